"""Value accuracy beside equivalence accuracy, and the table of their disagreements with problem ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from optcopilot.eval.records import Category, EvalRecord

VERDICTS = {True: "equivalent", False: "not equivalent", None: "undecided"}
NO_MODEL = "no candidate formulation"


def _cell(value_right: bool, verdict: bool | None) -> str:
    return f"{'right' if value_right else 'wrong'} value / {VERDICTS[verdict]}"


def equivalence_summary(recs: Sequence[EvalRecord]) -> dict[str, Any] | None:
    """Counts over records graded against a reference formulation (None when there are none)."""
    graded = [r for r in recs if r.equivalence is not None]
    if not graded:
        return None
    cells: dict[str, list[str]] = {_cell(v, e): [] for v in (True, False) for e in (True, False, None)}
    no_model = [r.id for r in graded if r.equivalence.get("reason") == NO_MODEL]  # type: ignore[union-attr]
    for r in graded:
        if r.id not in no_model:
            cells[_cell(r.category == Category.OK, r.equivalence.get("equivalent"))].append(r.id)  # type: ignore[union-attr]
    feasible = Counter(r.equivalence.get("feasible") for r in graded)  # type: ignore[union-attr]
    optimal = Counter(r.equivalence.get("equivalent") for r in graded)  # type: ignore[union-attr]
    kinds = Counter(str((r.equivalence.get("certificate") or {}).get("kind"))  # type: ignore[union-attr]
                    for r in graded if r.equivalence.get("equivalent") is False)  # type: ignore[union-attr]
    return {
        "n": len(graded),
        "value_correct": sum(r.category == Category.OK for r in graded),
        "optimal": {str(k).lower(): optimal.get(k, 0) for k in (True, False, None)},
        "feasible": {str(k).lower(): feasible.get(k, 0) for k in (True, False, None)},
        "equivamap_convention": sum(bool(r.equivalence.get("equivamap_convention")) for r in graded),  # type: ignore[union-attr]
        "certificates": dict(kinds),
        "cells": cells,
        "no_model": no_model,
    }


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} = {100 * num / den:.1f} %" if den else "-"


def equivalence_lines(s: Mapping[str, Any] | None) -> list[str]:
    """The summary.md section (nothing when `s` is None)."""
    if not s:
        return []
    n, cells = s["n"], s["cells"]
    lines = [
        "", "## Value accuracy and equivalence accuracy (against the reference formulation)", "",
        "| measure | result |", "|---|---:|",
        f"| value accuracy (the run's rule) | {_pct(s['value_correct'], n)} |",
        f"| equivalent, optimal level (optima map to optima) | {_pct(s['optimal']['true'], n)} |",
        f"| equivalent, feasible level (feasible sets correspond, objective kept) | {_pct(s['feasible']['true'], n)} |",
        f"| not equivalent, with a certificate (optimal level) | {_pct(s['optimal']['false'], n)} |",
        f"| undecided (optimal level; no candidate model: {len(s.get('no_model', []))}) | "
        f"{_pct(s['optimal']['none'], n)} |",
        f"| EquivaMap convention (no verified map = not equivalent) | {_pct(s['equivamap_convention'], n)} |",
        "", "| | equivalent | not equivalent | undecided |", "|---|---:|---:|---:|",
    ]
    for value in ("right", "wrong"):
        row = [len(cells[f"{value} value / {v}"]) for v in VERDICTS.values()]
        lines.append(f"| {value} value | " + " | ".join(str(c) for c in row) + " |")
    notes = (("right value / not equivalent", "Right value but not equivalent (lucky, or an under-constrained model)"),
             ("wrong value / equivalent", "Equivalent but wrong value (the reference label is suspect)"),
             ("right value / undecided", "Right value, equivalence undecided"),
             ("wrong value / undecided", "Wrong value, equivalence undecided"))
    for key, title in notes:
        if cells.get(key):
            lines += ["", f"{title}: {', '.join(cells[key])}"]
    if s.get("no_model"):
        lines += ["", f"No candidate model to compare (counted undecided, outside the table): {', '.join(s['no_model'])}"]
    if s.get("certificates"):
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s["certificates"].items()))
        lines += ["", f"Certificates of the `not equivalent` verdicts: {kinds}"]
    return lines


def equivalence_cells(s: Mapping[str, Any] | None) -> tuple[str, str]:
    """Two cells for `optcopilot report`'s comparison: equivalence accuracy and value-vs-equivalence splits."""
    if not s:
        return "-", "-"
    n = s["n"]
    acc = f"{100 * s['optimal']['true'] / n:.1f}% / {100 * s['feasible']['true'] / n:.1f}%" if n else "-"
    cells = s["cells"]
    split = (f"{len(cells['right value / not equivalent'])} / {len(cells['wrong value / equivalent'])} / "
             f"{s['optimal']['none']}")
    return acc, split
