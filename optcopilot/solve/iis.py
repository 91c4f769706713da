"""Irreducible infeasible subsets by a deletion filter over the flat rows (any model class).

Feasibility of a subset of rows is decided by HiGHS when every row is linear (LP or MILP) and by
SCIP otherwise (global, so nonlinear proofs are proofs). Rows are dropped in shrinking chunks and
then one at a time; a row stays only if dropping it makes the rest feasible, so the final set is
irreducible. A second pass does the same for the finite bounds of the variables left in the rows
(reported as `bound:x[i]`, as the HiGHS route does). Integrality is never relaxed.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from optcopilot.compile.algebra import Poly, variables_of
from optcopilot.compile.instance import Instance
from optcopilot.compile.to_highs import build_highs
from optcopilot.ir import budget
from optcopilot.solve.highs_status import highs_termination
from optcopilot.solve.result import Termination
from optcopilot.solve.scip_model import is_feasible_scip

Check = Callable[[list[int], np.ndarray, np.ndarray], bool | None]  # rows, lb, ub -> feasible?


class _OutOfTime(Exception):
    pass


def is_linear(instance: Instance) -> bool:
    return all(isinstance(r.body, Poly) and r.body.degree() <= 1 for r in instance.rows)


def feasibility_check(instance: Instance, deadline: float) -> Check:
    """A function deciding feasibility of (rows, bounds) before `deadline` (perf_counter seconds)."""
    linear = is_linear(instance)

    def check(rows: list[int], lb: np.ndarray, ub: np.ndarray) -> bool | None:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise _OutOfTime
        if linear:
            return _feasible_highs(instance, rows, lb, ub, left)
        return is_feasible_scip(instance, rows, left, lb=lb, ub=ub)

    return check


def _feasible_highs(instance: Instance, rows: list[int], lb: np.ndarray, ub: np.ndarray,
                    time_limit: float) -> bool | None:
    sub = dataclasses.replace(instance, rows=[instance.rows[r] for r in rows], objective=0.0, lb=lb, ub=ub)
    h, _ = build_highs(sub)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.run()
    status = highs_termination(h.getModelStatus(), h.getInfo().primal_solution_status == 2)
    if status == Termination.OPTIMAL:
        return True
    if status.infeasible:  # zero objective: cannot be unbounded
        return False
    return None


def deletion_filter(instance: Instance, time_limit: float = 30.0, check: Check | None = None,
                    with_bounds: bool = True) -> list[str] | None:
    """Labels of an irreducible infeasible set of rows (plus `bound:x` entries), or None.

    None means the full model was not proven infeasible, or the time ran out before the set was
    shown to be irreducible.
    """
    remaining = budget.current().remaining()  # an IIS is a bonus: never past the run's own deadline
    deadline = time.perf_counter() + max(0.0, time_limit if remaining is None else min(time_limit, remaining))
    check = check or feasibility_check(instance, deadline)
    lb, ub = instance.lb.copy(), instance.ub.copy()
    try:
        if check(list(range(len(instance.rows))), lb, ub) is not False:
            return None
        keep = _filter_rows(list(range(len(instance.rows))), lambda rows: check(rows, lb, ub) is False)
        labels = [instance.rows[r].label for r in keep]
        if with_bounds:
            labels += _filter_bounds(instance, keep, check)
    except _OutOfTime:
        return None
    return labels


def _filter_rows(rows: list[int], infeasible: Callable[[list[int]], bool]) -> list[int]:
    keep = list(rows)
    chunk = max(1, len(keep) // 2)
    while True:
        pos = 0
        while pos < len(keep):
            trial = keep[:pos] + keep[pos + chunk:]
            if infeasible(trial):
                keep = trial  # the dropped rows are not needed
            else:
                pos += chunk
        if chunk == 1:
            return keep
        chunk = max(1, chunk // 2)


def _filter_bounds(instance: Instance, rows: Sequence[int], check: Check) -> list[str]:
    lb, ub = instance.lb.copy(), instance.ub.copy()
    touched: set[int] = set()
    for r in rows:
        touched |= variables_of(instance.rows[r].body)
    touched |= {int(i) for i in np.nonzero(instance.lb > instance.ub)[0]}
    needed: list[str] = []
    for i in sorted(touched):
        name = instance.names[i]
        kept = False
        for arr, free in ((lb, -math.inf), (ub, math.inf)):
            if not math.isfinite(arr[i]):
                continue
            old = arr[i]
            arr[i] = free
            if check(list(rows), lb, ub) is not False:
                arr[i] = old  # this bound is needed
                kept = True
        if kept:
            needed.append(f"bound:{name}")
    return needed
