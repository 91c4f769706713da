"""Trust audit of an accepted answer: did it reproduce a worked example, or use numbers the problem never gave?

The pipeline refuses such answers when its verifiers are on; the audit counts them for every run (also runs of
the legacy pipeline, whose worked examples were the two fixed ones), so a summary can say how many slipped through.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from optcopilot.formulate.bank import load_bank
from optcopilot.formulate.checks import check_numbers
from optcopilot.formulate.prompts import FIXED_STAGED_EXAMPLES, legacy_examples
from optcopilot.formulate.tables import TableError, load_tables
from optcopilot.ir.model import Formulation

FIXED_IDS = ("fixed-bakery", "fixed-transport")


def shown_examples(ids: list[str], *, legacy: bool = False) -> list[tuple[str, str]]:
    """The (problem, answer) pairs behind example ids (bank ids, or the fixed examples)."""
    fixed = dict(zip(FIXED_IDS, legacy_examples() if legacy else FIXED_STAGED_EXAMPLES, strict=True))
    bank = {e.id: (e.text, e.answer) for e in load_bank()}
    return [fixed[i] if i in fixed else bank[i] for i in ids if i in fixed or i in bank]


def table_numbers(tables: Mapping[str, str | Path] | None) -> list[float]:
    """The numbers of a problem's data tables: they are the problem's own numbers, as in the pipeline's checks."""
    if not tables:
        return []
    try:
        return load_tables(dict(tables)).numbers()
    except TableError:
        return []


def audit_answer(formulation: Formulation, problem: str, example_ids: list[str], answer: str = "",
                 extra_numbers: list[float] | None = None, *, legacy: bool = False) -> dict[str, bool]:
    """`copied_example` / `alien_numbers`: the hard verifier findings on an answer that was accepted."""
    examples = shown_examples(example_ids, legacy=legacy)
    codes = {f.code for f in check_numbers(formulation, problem, examples, extra_numbers or [], answer=answer)
             if f.hard}
    return {"copied_example": "copied-example" in codes, "alien_numbers": "alien-numbers" in codes}
