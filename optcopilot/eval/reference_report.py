"""The ``reference`` mode's section of a run summary: imports, reproductions and every failure by reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from optcopilot.eval.records import EvalRecord

OUTCOMES = ("reproduced", "import_failed", "solve_differs", "label_error")


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} = {100 * num / den:.1f} %" if den else f"{num}/0"


def _failure(rec: EvalRecord, check: Mapping[str, Any]) -> dict[str, Any]:
    outcome = check.get("outcome", "")
    answer = rec.reference.get(rec.objective_key or "objective")
    entry: dict[str, Any] = {"id": rec.id, "outcome": outcome}
    if outcome == "import_failed":
        entry["reason"] = check.get("reason") or rec.error or ""
        return entry
    ours = "no value" if rec.objective is None else f"{rec.objective:.10g}"
    status = rec.status.value if rec.status is not None else "not solved"
    entry["reason"] = f"ours {ours} ({status}) vs the dataset's {answer}"
    label = check.get("label_error")
    if label:
        corrected = label.get("corrected")
        entry["reason"] += f"; ORThought: {label.get('note')}" + (f", corrected {corrected:g}" if corrected is not None
                                                                    else ", no corrected value")
    return entry


def _unloaded(dataset: str, evaluated: set[str]) -> dict[str, Any] | None:
    """NLP4LP items the eval does not load (no answer): are their references importable too?"""
    if dataset != "nlp4lp":
        return None
    from optcopilot.io.data_dir import DatasetError
    from optcopilot.io.nlp4lp import iter_nlp4lp_references

    try:
        items = [i for i in iter_nlp4lp_references() if f"{dataset}:{i.id}" not in evaluated]
    except (DatasetError, OSError):
        return None
    failed = [{"id": f"{dataset}:{i.id}", "outcome": "import_failed", "reason": i.failure} for i in items
              if i.formulation is None]
    return {"items": len(items), "imported": len(items) - len(failed), "failures": failed}


def reference_summary(recs: Sequence[EvalRecord], dataset: str) -> dict[str, Any] | None:
    """Counts for records of the ``reference`` mode (None when the run has none)."""
    checked = [(r, r.reference_check) for r in recs if r.reference_check]
    if not checked:
        return None
    outcomes = Counter(c.get("outcome", "") for _, c in checked)
    labelled = [(r, c) for r, c in checked if c.get("label_error")]
    clean = [(r, c) for r, c in checked if not c.get("label_error")]
    return {
        "evaluated": len(checked),
        "imported": len(checked) - outcomes.get("import_failed", 0),
        "reproduced": outcomes.get("reproduced", 0),
        "outcomes": {o: outcomes.get(o, 0) for o in OUTCOMES},
        "sources": dict(Counter(c.get("source") or "none" for _, c in checked)),
        "known_label_errors": len(labelled),
        "known_label_errors_reproduced": sum(c.get("outcome") == "reproduced" for _, c in labelled),
        "clean": len(clean),
        "clean_reproduced": sum(c.get("outcome") == "reproduced" for _, c in clean),
        "failures": [_failure(r, c) for r, c in checked if c.get("outcome") != "reproduced"],
        "not_loaded": _unloaded(dataset, {r.id for r, _ in checked}),
    }


def reference_lines(s: Mapping[str, Any] | None) -> list[str]:
    """Markdown lines of the reference section (nothing when `s` is None)."""
    if not s:
        return []
    lines = ["", "## Reference formulations (imported with `ast`, solved by us)", ""]
    extra = s.get("not_loaded")
    if extra:
        total = s["evaluated"] + extra["items"]
        lines.append(f"- Imported: **{_pct(s['imported'] + extra['imported'], total)}** of the items in the file "
                     f"({extra['items']} of them have no answer and are not evaluated; "
                     f"{extra['imported']} of those import)")
    lines += [
        f"- Imported among the evaluated items: {_pct(s['imported'], s['evaluated'])} "
        f"(source: {', '.join(f'{k} {v}' for k, v in sorted(s['sources'].items()))})",
        f"- Reproduce the dataset's optimum: {_pct(s['reproduced'], s['evaluated'])}",
        f"- **Items whose answer is not a known label error: {_pct(s['clean_reproduced'], s['clean'])} reproduce it**",
        f"- Items on ORThought's list of wrong labels: {s['known_label_errors']} "
        f"({s['known_label_errors_reproduced']} of them reproduce the listed wrong answer, as the reference "
        "carries the same error)",
        "",
        "| outcome | count |",
        "|---|---:|",
        *[f"| {o} | {n} |" for o, n in s["outcomes"].items()],
    ]
    failures = list(s["failures"]) + list((extra or {}).get("failures", []))
    if failures:
        lines += ["", "### Every item that does not reproduce", "", "| id | outcome | reason |", "|---|---|---|"]
        for f in failures:
            reason = str(f.get("reason", "")).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {f['id']} | {f['outcome']} | {reason} |")
    return lines
