"""The pipeline's own figures in a run's summary: objective-only accuracy, repairs, trust audit, examples shown.

- repairs: how many repair answers repeat an earlier answer of their chain, how many first drafts repeated
  and were resampled, and per error kind how many fix the error they were given (the repair's own answer has
  no error of its own, or a different kind)
- trust audit: accepted answers that reproduce a worked example, or whose numbers are not in the problem
- worked examples: bank entries removed because they belong to the evaluated dataset or are near-duplicates
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from optcopilot.eval.alternatives import objective_matches
from optcopilot.eval.records import EvalRecord


def objective_right_of(rec: EvalRecord) -> bool:
    """Objective-only verdict: the objective within 1e-4 (abs or rel) of the reference objective, or the
    record is right under its own rule (infeasible references, objective-only rules)."""
    if rec.verdict is not None and rec.verdict.correct:
        return True
    ref = rec.reference.get(rec.objective_key) if rec.objective_key else None
    return objective_matches(rec.objective, ref)


def _kind(value: Any) -> str:
    return str(value or "?").split(":")[0]


def repair_figures(attempt_lists: Sequence[Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """Repair answers: how many repeat an earlier answer of their chain, and how many fix the error given.

    Records written before repairs were tagged (no `repeated`/`repairs` fields) are read the same way: a
    repeat is a response equal to an earlier one of the same sample, and the kind is the earlier error's.
    """
    total = repeated = fixed = resampled = 0
    given: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    for attempts in attempt_lists:
        earlier: dict[int, list[Mapping[str, Any]]] = {}
        for a in attempts:
            chain = earlier.setdefault(int(a.get("sample") or 0), [])
            if a.get("stage") == "repair":
                total += 1
                text = " ".join(str(a.get("response") or "").split())
                repeated += bool(a.get("repeated")) if "repeated" in a else any(
                    " ".join(str(b.get("response") or "").split()) == text for b in chain)
                previous = chain[-1] if chain else {}
                kind = _kind(a.get("repairs") if "repairs" in a else
                             previous.get("error_kind") or _legacy_kind(previous.get("error")))
                given[kind] += 1
                resampled += bool(a.get("resampled"))
                ok = a.get("error_kind") is None and not a.get("error")
                fixes[kind] += ok
                fixed += ok
            chain.append(a)
    return {"calls": total, "repeated": repeated, "fixed": fixed, "resampled": resampled,
            "by_kind": {k: {"given": n, "fixed": fixes[k]} for k, n in given.most_common()}}


def _legacy_kind(error: Any) -> str:
    """The kind of an error of a record written before errors were tagged (only for old records)."""
    text = str(error or "").lower()
    for word, kind in (("infeasible", "infeasible"), ("unbounded", "unbounded"), ("syntax", "syntax"),
                       ("cut off", "cut-off"), ("solver failed", "solver")):
        if word in text:
            return kind
    return "invalid" if text else "?"


def second_opinion_figures(records: Sequence[EvalRecord]) -> dict[str, int]:
    """Problems whose greedy chain asked a second opinion, how many took its answer, and how many of those
    answers are right (objective only). The answer taken is the second chain's when its objective is one the
    first chain never reached."""
    asked = taken = right = 0
    for r in records:
        if not any(a.get("stage") == "second-opinion" for a in r.attempts):
            continue
        asked += 1
        first = [a.get("objective") for a in r.attempts if int(a.get("sample") or 0) == 0
                 and a.get("status") == "optimal"]
        if r.objective is not None and not any(objective_matches(r.objective, o) for o in first if o is not None):
            taken += 1
            right += objective_right_of(r)
    return {"asked": asked, "taken": taken, "taken_right": right}


def pipeline_summary(records: Sequence[EvalRecord]) -> dict[str, Any] | None:
    recs = [r for r in records if r.mode == "pipeline"]
    if not recs:
        return None
    objective_right = sum(objective_right_of(r) for r in recs)
    audited = [r.checks for r in recs if r.checks]
    dropped: Counter[str] = Counter()
    for r in recs:
        dropped.update(r.dropped_examples or {})
    secs = [r.seconds for r in recs]
    second = second_opinion_figures(recs)
    return {
        "n": len(recs),
        "objective_correct": objective_right,
        "median_seconds": statistics.median(secs) if secs else None,
        "repairs": repair_figures([r.attempts for r in recs]),
        "accepted_audited": len(audited),
        "accepted_copied_example": sum(bool(c.get("copied_example")) for c in audited),
        "accepted_alien_numbers": sum(bool(c.get("alien_numbers")) for c in audited),
        "examples_dropped": dict(dropped),
        "problems_with_retrieved_examples": sum(any(not e.startswith("fixed") for e in (r.examples or []))
                                                for r in recs),
        **({"second_opinions": second} if second["asked"] else {}),  # runs before session 6 had none
    }


def _share(a: int, n: int) -> str:
    return f"{a}/{n} = {100 * a / n:.1f} %" if n else "–"


def pipeline_lines(summary: Mapping[str, Any] | None) -> list[str]:
    if not summary:
        return []
    rep = summary["repairs"]
    lines = ["", "## Pipeline", "",
             f"- Objective-only accuracy: {_share(summary['objective_correct'], summary['n'])}",
             f"- Median seconds per problem: {summary['median_seconds']:.1f}" if summary["median_seconds"] is not None
             else "- Median seconds per problem: –",
             f"- Repair answers repeating an earlier answer: {_share(rep['repeated'], rep['calls'])}",
             f"- Repair first drafts that repeated an earlier answer and were resampled (DRY sampler): "
             f"{_share(rep.get('resampled', 0), rep['calls'])}",
             f"- Repair answers fixing the error they were given: {_share(rep['fixed'], rep['calls'])}"]
    if rep["by_kind"]:
        lines += ["", "| error given to the repair | repairs | fixed |", "|---|---:|---:|"]
        lines += [f"| {k} | {v['given']} | {v['fixed']} |" for k, v in rep["by_kind"].items()]
    second = summary.get("second_opinions") or {}
    if second.get("asked"):
        lines += ["", f"- Second opinions (greedy chain without an answer or with a telling finding): asked on "
                  f"{_share(second['asked'], summary['n'])}; their answer taken on {second['taken']}, "
                  f"of which {second['taken_right']} right (objective only)"]
    lines += ["", f"- Trust audit of {summary['accepted_audited']} accepted answers: "
              f"{summary['accepted_copied_example']} reproduce a worked example, "
              f"{summary['accepted_alien_numbers']} use numbers that are not in the problem",
              f"- Problems shown retrieved worked examples: {summary['problems_with_retrieved_examples']}/{summary['n']}; "
              "bank entries removed per problem, summed: "
              + (", ".join(f"{k} {v}" for k, v in summary["examples_dropped"].items()) or "none")]
    return lines
