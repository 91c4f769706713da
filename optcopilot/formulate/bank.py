"""The bank of verified worked examples (problem text → five-section DSL) and retrieval from it.

Entries come from development data only (see `optcopilot.formulate.bank_build`), each with its source dataset.
For a problem, `retrieve` returns the k most similar entries by BM25 (the `bm25s` library), after removing:

- every entry whose source is a dataset being evaluated (`exclude_sources`), and
- every near-duplicate of the problem: word-trigram Jaccard similarity ≥ `NEAR_DUPLICATE` (or containment of
  the shorter text's trigrams ≥ `NEAR_CONTAINMENT`) after digits are masked, so a copy of the problem with other
  numbers counts as a duplicate too.

`Retrieval.dropped` says how many entries each rule removed, for the run's summary.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

BANK_FILE = "bank.jsonl"
NEAR_DUPLICATE = 0.5
NEAR_CONTAINMENT = 0.7
DEFAULT_K = 2
MAX_EXAMPLE_CHARS = 2500  # longer entries would crowd the prompt; they are never retrieved

_WORD = re.compile(r"[a-z]+|#")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class BankEntry:
    id: str
    source: str  # the dataset it comes from, e.g. "nlp4lp"
    source_id: str
    text: str
    answer: str  # the five-section DSL answer, fenced
    objective: float


@dataclass
class Retrieval:
    examples: list[BankEntry]
    dropped: dict[str, int] = field(default_factory=dict)  # rule → entries removed


def bank_path() -> Path:
    return Path(str(resources.files("optcopilot.formulate").joinpath(BANK_FILE)))


@lru_cache(maxsize=4)
def load_bank(path: str | None = None) -> tuple[BankEntry, ...]:
    file = Path(path) if path else bank_path()
    if not file.is_file():
        return ()
    entries = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row: dict[str, Any] = json.loads(line)
            entries.append(BankEntry(**{k: row[k] for k in BankEntry.__dataclass_fields__}))
    return tuple(entries)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(re.sub(r"\d+(?:[.,]\d+)*", "#", text.lower()))


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _tokens(text)
    return {tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2))}


def near_duplicate(a: str, b: str) -> bool:
    """Word-trigram Jaccard ≥ NEAR_DUPLICATE or containment ≥ NEAR_CONTAINMENT, digits masked."""
    ta, tb = _trigrams(a), _trigrams(b)
    if not ta or not tb:
        return a.strip().lower() == b.strip().lower()
    inter = len(ta & tb)
    return inter / len(ta | tb) >= NEAR_DUPLICATE or inter / min(len(ta), len(tb)) >= NEAR_CONTAINMENT


class _Index:
    """BM25 over the bank's texts (built once per bank)."""

    def __init__(self, entries: tuple[BankEntry, ...]) -> None:
        import bm25s

        self.entries = entries
        self.retriever = bm25s.BM25()
        self.retriever.index([_tokens(e.text) for e in entries], show_progress=False)

    def scores(self, text: str) -> list[float]:
        return [float(s) for s in self.retriever.get_scores(_tokens(text))]


@lru_cache(maxsize=4)
def _index(path: str | None) -> _Index | None:
    entries = load_bank(path)
    return _Index(entries) if entries else None


def retrieve(text: str, k: int = DEFAULT_K, *, exclude_sources: frozenset[str] | set[str] = frozenset(),
             path: str | None = None) -> Retrieval:
    """The k bank entries most similar to `text`, none from `exclude_sources` and none a near-duplicate."""
    with _LOCK:
        index = _index(path)
    if index is None or k <= 0:
        return Retrieval([])
    excluded = {s.lower() for s in exclude_sources}
    dropped = {"evaluated dataset": 0, "near duplicate": 0}
    ranked = sorted(zip(index.scores(text), range(len(index.entries)), strict=True), key=lambda t: (-t[0], t[1]))
    chosen: list[BankEntry] = []
    for _, i in ranked:
        entry = index.entries[i]
        if entry.source.lower() in excluded:
            dropped["evaluated dataset"] += 1
            continue
        if near_duplicate(text, entry.text):
            dropped["near duplicate"] += 1
            continue
        if len(chosen) < k and len(entry.answer) <= MAX_EXAMPLE_CHARS:
            chosen.append(entry)
    # most similar last: nearest to the problem in the prompt
    return Retrieval(list(reversed(chosen)), dropped)
