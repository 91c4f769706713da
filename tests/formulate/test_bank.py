"""The worked-example bank: small, verified, from development data, and never leaking the evaluated item."""

from __future__ import annotations

import json
import re

import pytest

from optcopilot.formulate.bank import bank_path, load_bank, near_duplicate, retrieve
from optcopilot.formulate.techniques import excluded_sources


def test_bank_is_small_and_holds_no_optibench_item() -> None:
    assert bank_path().stat().st_size < 1_000_000
    entries = load_bank()
    assert len(entries) >= 100
    assert {e.source for e in entries} == {"nlp4lp"}
    assert not any("optibench" in e.id.lower() or "resocratic" in e.source for e in entries)


def test_bank_build_reproduces_the_shipped_file() -> None:
    from optcopilot.formulate.bank_build import build
    from optcopilot.io.data_dir import DatasetError

    try:
        entries, skipped = build()
    except DatasetError as exc:  # the shared datasets are not beside this checkout
        pytest.skip(str(exc))
    shipped = [json.loads(line) for line in bank_path().read_text().splitlines() if line.strip()]
    assert [e.id for e in entries] == [row["id"] for row in shipped]
    assert sum(skipped.values()) + len(entries) == 269


def test_retrieval_never_returns_the_evaluated_dataset() -> None:
    text = load_bank()[0].text
    found = retrieve(text, 3, exclude_sources=excluded_sources("nlp4lp"))
    assert found.examples == [] and found.dropped["evaluated dataset"] == len(load_bank())
    found = retrieve(text, 3, exclude_sources=excluded_sources("clean-nlp4lp"))
    assert found.examples == []


def test_retrieval_drops_near_duplicates_even_with_other_numbers() -> None:
    entry = load_bank()[5]
    disguised = re.sub(r"\d+", lambda m: str(int(m.group()) + 7), entry.text)
    found = retrieve(disguised, 3)
    assert entry.id not in [e.id for e in found.examples]
    assert found.dropped["near duplicate"] >= 1
    assert near_duplicate(entry.text, disguised) and not near_duplicate(entry.text, load_bank()[6].text)


def test_retrieval_finds_a_similar_problem() -> None:
    text = ("A bakery makes muffins and cookies. Each muffin needs 3 eggs and each cookie 1 egg; 300 eggs are "
            "available. Profit is $2 per muffin and $1 per cookie. Maximize profit.")
    found = retrieve(text, 2)
    assert len(found.examples) == 2
    assert all(e.source == "nlp4lp" for e in found.examples)
