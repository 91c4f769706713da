"""Grade a candidate formulation by equivalence with the dataset's reference formulation, not only by value.

References: NLP4LP items' imported formulations (`optcopilot.eval.modes.reference`, parametrised, so the
check is repeated on perturbed values of the parameters whose numbers the candidate shares) and, for
MIPLIB-NL, the instance's MIPLIB MPS file. The record's ``equivalence`` holds both verdict levels, the method,
the map, the certificate and the evidence (`optcopilot.equivalence`). The LLM is never asked for a map here.

For MIPLIB-NL the reference optimum is MIPLIB's proven value (``.solu``): a candidate whose own optimum differs
gets the optimal-value certificate without solving the (sometimes slow) MPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optcopilot.eval.problems import Problem
from optcopilot.eval.records import EvalRecord
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Termination, json_safe
from optcopilot.solve.tolerance import same_value

MAX_MAP_ENTRIES = 60
MAX_LIST = 8


def reference_for(problem: Problem) -> tuple[Formulation | None, dict[str, Any]] | None:
    """The problem's reference formulation and where it came from; None when the dataset has none."""
    if problem.source == "nlp4lp":
        from optcopilot.eval.modes.reference import reference_of

        item = reference_of(problem)
        return item.formulation, {"source": item.source or None, "failure": item.failure}
    if problem.source == "miplib-nl":
        from optcopilot.io.mps import read_model_file

        path = miplib_mps_path(problem)
        if path is None:
            return None, {"source": "miplib-mps", "failure": "MPS file not found"}
        return read_model_file(path), {"source": "miplib-mps", "file": path.name}
    return None


def miplib_mps_path(problem: Problem) -> Path | None:
    """``miplib/instances/<name>.mps.gz`` next to the problem's tables, else in the shared data directory."""
    name = str(problem.extra.get("instance", ""))
    roots = [Path(t).parents[3] for t in problem.tables.values()]
    try:
        from optcopilot.io.data_dir import resolve_data_dir

        roots.append(resolve_data_dir(None) / "miplib")
    except Exception:  # no shared data directory: only the tables' location is tried
        pass
    for root in roots:
        path = root / "instances" / f"{name}.mps.gz"
        if name and path.is_file():
            return path
    return None


def _small(value: Any, depth: int = 0) -> Any:
    """JSON-safe evidence with long lists and maps cut (the full map can have thousands of entries)."""
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k): _small(v, depth + 1) for k, v in items[:MAX_MAP_ENTRIES]}
        if len(items) > MAX_MAP_ENTRIES:
            out["…"] = f"{len(items) - MAX_MAP_ENTRIES} more"
        return out
    if isinstance(value, list | tuple):
        cut = [_small(v, depth + 1) for v in value[:MAX_LIST]]
        return cut + ([f"… {len(value) - MAX_LIST} more"] if len(value) > MAX_LIST else [])
    return json_safe(value)


def _known_optimum_certificate(rec: EvalRecord, problem: Problem) -> dict[str, Any] | None:
    """MIPLIB: the candidate's optimum against MIPLIB's proven optimum of the reference."""
    ref_value = problem.extra.get("solu_value")
    if problem.source != "miplib-nl" or not isinstance(ref_value, int | float):
        return None
    if rec.status != Termination.OPTIMAL or rec.objective is None or same_value(rec.objective, float(ref_value)):
        return None
    from optcopilot.equivalence.certificates import VALUE_MAPS

    return {"kind": "optimal value", "class": VALUE_MAPS, "candidate_optimum": rec.objective,
            "reference_optimum": float(ref_value), "reference_optimum_source": "MIPLIB .solu (proven optimum)",
            "reason": f"optimal values differ ({rec.objective:.10g} vs {float(ref_value):.10g})"}


def grade_equivalence(rec: EvalRecord, problem: Problem, candidate: Formulation | None, time_limit: float) -> None:
    """Fill ``rec.equivalence`` when the problem has a reference formulation (else leave it None).

    Never raises: a check that fails leaves ``equivalent: null`` with the reason, and the value grading stands.
    """
    try:
        _grade(rec, problem, candidate, time_limit)
    except Exception as exc:  # the equivalence check must not cost the record its value grading
        rec.equivalence = {"equivalent": None, "feasible": None, "equivamap_convention": False,
                           "reason": f"equivalence check failed: {type(exc).__name__}: {exc}"[:500]}


def _grade(rec: EvalRecord, problem: Problem, candidate: Formulation | None, time_limit: float) -> None:
    found = reference_for(problem)
    if found is None:
        return
    reference, info = found
    base = {"reference": {k: v for k, v in info.items() if v is not None}, "equivamap_convention": False}
    if reference is None:
        rec.equivalence = {**base, "equivalent": None, "feasible": None,
                           "reason": f"the reference could not be imported: {info.get('failure')}"}
        return
    if candidate is None:
        rec.equivalence = {**base, "equivalent": None, "feasible": None, "reason": "no candidate formulation"}
        return
    quick = _known_optimum_certificate(rec, problem)
    if quick is not None:
        rec.equivalence = {**base, "equivalent": False, "feasible": False, "method": "certificate",
                           "certificate": quick, "feasible_certificate": quick}
        return
    from optcopilot.equivalence import EquivalenceInputError
    from optcopilot.equivalence.parameters import check_on_matched_parameters

    try:
        report = check_on_matched_parameters(candidate, reference, use_llm=False, time_limit=time_limit)
    except EquivalenceInputError as exc:
        rec.equivalence = {**base, "equivalent": None, "feasible": None, "reason": str(exc)}
        return
    evidence = {k: v for k, v in report.evidence.items() if k not in ("certificate", "checks")}
    rec.equivalence = {**base, "equivalent": report.equivalent, "feasible": report.feasible.equivalent,
                       "equivamap_convention": report.equivamap_convention, "method": report.method,
                       "certificate": _small(report.certificate), "feasible_certificate":
                           _small(report.feasible.certificate),
                       "map": _small(report.mapping), "evidence": _small(evidence),
                       "feasible_evidence": _small({k: v for k, v in report.feasible.evidence.items()
                                                    if k != "certificate"}),
                       "seconds": round(report.seconds, 3)}
