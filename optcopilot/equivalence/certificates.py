"""Certificates of non-equivalence, each stating the class of maps it rules out.

- `status`: one model has feasible points (or an optimum) and the other has none — no map of any kind
  between the feasible sets (or between the optima) exists.
- `optimal value`: both have optima with different values — no map that keeps every point's objective
  value (of any form, affine or not) can exist, since it would carry one optimum's value to the other's.
- `objective range`: equal optima but a different worst value (the optimum of the opposite sense) — no
  objective-keeping correspondence of the whole feasible sets exists (feasible level only).
- `point`: for each map the structural search proposed, a point feasible in one model whose image is
  infeasible (or not optimal) in the other; the class is exactly those maps, named by method.

A rescaled objective (factor α ≠ 1) is not in the value classes: when a map with α ≠ 1 is verified the
verdict is `true` with the factor in the evidence, and no certificate is issued.
"""

from __future__ import annotations

from typing import Any

from optcopilot.equivalence.flat import FlatModel
from optcopilot.equivalence.solving import Solution, optimum, same_value
from optcopilot.solve.result import Termination

OPTIMAL, INFEASIBLE, UNBOUNDED = Termination.OPTIMAL, Termination.INFEASIBLE, Termination.UNBOUNDED

ANY_MAP = "any map between the two feasible sets"
VALUE_MAPS = "any map that keeps each point's objective value (affine or not)"


def status_certificate(sc: Solution, sr: Solution) -> dict[str, Any] | None:
    """One model has an optimum and the other has none; None when the statuses do not settle it."""
    if (sc.status == OPTIMAL) == (sr.status == OPTIMAL):
        return None
    other, which = (sr.status, "reference") if sc.status == OPTIMAL else (sc.status, "candidate")
    ev = {"candidate_status": sc.status.value, "reference_status": sr.status.value}
    if other == INFEASIBLE:
        return {"kind": "status", "class": ANY_MAP, **ev,
                "reason": f"the {which} model has no feasible point, the other has an optimum"}
    if other in (UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
        return {"kind": "status", "class": "any map that keeps the objective up to a positive factor and a constant",
                **ev, "reason": f"the {which} model has no optimum ({other.value}), the other has one"}
    return None


def value_certificate(sc: Solution, sr: Solution) -> dict[str, Any] | None:
    if sc.status != OPTIMAL or sr.status != OPTIMAL or sc.objective is None or sr.objective is None:
        return None
    if same_value(sc.objective, sr.objective):
        return None
    return {"kind": "optimal value", "class": VALUE_MAPS, "candidate_optimum": sc.objective,
            "reference_optimum": sr.objective,
            "reason": f"optimal values differ ({sc.objective:.10g} vs {sr.objective:.10g})"}


def _opposite(model: FlatModel, time_limit: float) -> Solution:
    return optimum(model.copy(sense="maximize" if model.sense == "minimize" else "minimize"), time_limit)


def range_certificate(cand: FlatModel, ref: FlatModel, time_limit: float) -> dict[str, Any] | None:
    """The worst objective values (optimum of the opposite sense) differ: the value sets differ."""
    wc, wr = _opposite(cand, time_limit), _opposite(ref, time_limit)
    if wc.status == OPTIMAL and wr.status == OPTIMAL and wc.objective is not None and wr.objective is not None:
        if same_value(wc.objective, wr.objective):
            return None
        return {"kind": "objective range", "class": VALUE_MAPS + ", between the whole feasible sets",
                "candidate_worst": wc.objective, "reference_worst": wr.objective,
                "reason": f"the worst objective values differ ({wc.objective:.10g} vs {wr.objective:.10g}), "
                          "so the sets of objective values differ"}
    bounded = {OPTIMAL}
    if {wc.status, wr.status} <= bounded | {UNBOUNDED} and wc.status != wr.status:
        return {"kind": "objective range", "class": VALUE_MAPS + ", between the whole feasible sets",
                "candidate_worst_status": wc.status, "reference_worst_status": wr.status,
                "reason": "the objective is bounded on one feasible set and not on the other"}
    return None


def point_certificate(refutations: list[dict[str, Any]], level: str) -> dict[str, Any] | None:
    """Every proposed map refuted by a witness; None when nothing was proposed or refuted."""
    if not refutations:
        return None
    methods = sorted({r["method"] for r in refutations})
    what = "an optimum whose image is not optimal" if level == "optimal" else \
        "a feasible point whose image is infeasible (or changes the objective)"
    return {"kind": "point", "class": f"the maps proposed by the structural search ({', '.join(methods)})",
            "reason": f"each proposed map sends {what}", "refutations": refutations}
