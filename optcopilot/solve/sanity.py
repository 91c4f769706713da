"""A solver's answer is believed only when it is consistent with the model (called from `solve()`).

- A solution must be a number and a point that keeps the bounds and the rows (within a tolerance far
  looser than any solver's own): a solver that misread the model is caught here.
- `unbounded` is impossible when the objective is bounded over the variables' box (interval arithmetic,
  box tightened by one-variable rows): such a status (SCIP's for an objective beyond its 1e20 "infinity",
  say) becomes an error, exit 1, instead of a wrong definitive answer.
- A local solver's optimum of a nonlinear (or non-convex) model is `locally_optimal`; its "infeasible"
  proves nothing and becomes an error.
"""

from __future__ import annotations

import math

from optcopilot.compile.algebra import NL, Poly, Value, evaluate
from optcopilot.compile.checks import tightened_box
from optcopilot.compile.instance import Instance, ProblemClass
from optcopilot.compile.intervals import continuous_on_box
from optcopilot.solve.result import Result, Termination

FEASIBILITY_TOL = 1e-5  # relative to the row's size; solvers work to 1e-6..1e-9
MAX_CHECKED_TERMS = 2_000_000  # beyond this the point check is skipped (it is a Python loop)
GLOBAL_NONLINEAR = frozenset({"scip", "baron", "couenne", "antigone", "lindoglobal", "octeract", "gurobi",
                              "highs", "cpsat", "mathopt", "cplex", "xpress"})
LINEAR_CLASSES = (ProblemClass.LP, ProblemClass.MILP)


def checked(result: Result, instance: Instance) -> Result:
    """`result`, with its status corrected where the model contradicts it (the reason goes in `message`)."""
    status = result.status
    if status.has_solution:
        reason = _solution_problem(result, instance)
        if reason:
            return _demoted(result, Termination.ERROR, reason)
    if status == Termination.UNBOUNDED:
        box = tightened_box(instance)
        enclosure = box.of(instance.objective)
        bounded = enclosure[0] > -math.inf if instance.sense == "minimize" else enclosure[1] < math.inf
        if not bounded and continuous_on_box(instance.objective, box):
            return _demoted(result, Termination.ERROR, (
                f"{result.solver} reported 'unbounded', but the objective is continuous on the variables' "
                "bounded ranges, so it has an optimum (one too large for floating point: rescale the model)"))
        if bounded:
            return _demoted(result, Termination.ERROR, (
                f"{result.solver} reported 'unbounded', but the objective stays within [{enclosure[0]:.6g}, "
                f"{enclosure[1]:.6g}] over the variables' bounds, so the answer is not trusted (values beyond "
                "about 1e20 are infinite to solvers: rescale the model)"))
    if _local_solver(result, instance):
        if status == Termination.OPTIMAL:
            result.status = Termination.LOCALLY_OPTIMAL
            result.message = _join(result.message, f"{result.solver} finds local optima of this "
                                   f"{instance.problem_class().value} model; not proven globally optimal")
        elif status in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
            return _demoted(result, Termination.ERROR, f"{result.solver} is a local solver: finding no feasible "
                            "point does not prove the model infeasible")
    return result


def _demoted(result: Result, status: Termination, reason: str) -> Result:
    result.message = _join(f"{result.status.value} not trusted: {reason}", result.message)
    result.status = status
    return result


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first and second else first or second


def _local_solver(result: Result, instance: Instance) -> bool:
    name = result.solver.lower().removeprefix("pyomo:").removeprefix("appsi_").split("_")[0]  # scip_direct: scip
    return bool(name) and name not in GLOBAL_NONLINEAR and instance.problem_class() not in LINEAR_CLASSES


def _solution_problem(result: Result, instance: Instance) -> str | None:
    """Why the reported solution cannot be right, or None."""
    if result.objective is None or isinstance(result.objective, complex) or not math.isfinite(result.objective):
        return f"the objective value {result.objective} is not a finite number"
    values = result.variables
    if len(values) != instance.n_vars or sum(len(r.body) if isinstance(r.body, Poly) else 1
                                             for r in instance.rows) > MAX_CHECKED_TERMS:
        return None
    try:
        x = [float(values[name]) for name in instance.names]
    except (KeyError, TypeError, ValueError):
        return None
    for i, v in enumerate(x):
        if not math.isfinite(v):
            return f"{instance.names[i]} = {v} is not a finite number"
        lo, hi = float(instance.lb[i]), float(instance.ub[i])
        if v < lo - FEASIBILITY_TOL * (1 + abs(lo)) or v > hi + FEASIBILITY_TOL * (1 + abs(hi)):
            return f"{instance.names[i]} = {v:.10g} is outside its bounds [{lo:g}, {hi:g}]"
    value, scale = _activity(instance.objective, x)
    if value is not None and abs(value - result.objective) > FEASIBILITY_TOL * (1.0 + scale):
        return (f"it reports the objective {result.objective:.10g}, but its point gives {value:.10g} "
                "(the solver may have misread the model's numbers)")
    for row in instance.rows:
        activity, scale = _activity(row.body, x)
        if activity is None:
            continue
        tol = FEASIBILITY_TOL * (1.0 + scale + max((abs(b) for b in (row.lo, row.hi) if math.isfinite(b)),
                                                   default=0.0))
        if activity < row.lo - tol or activity > row.hi + tol:
            return (f"its point violates row {row.label}: {activity:.10g} is outside [{row.lo:g}, {row.hi:g}] "
                    "(the solver may have misread the model's numbers)")
    return None


def _activity(body: Value, x: list[float]) -> tuple[float | None, float]:
    """(value, sum of absolute term values) of a row body at x; None where it cannot be evaluated."""
    if isinstance(body, Poly):
        total = scale = 0.0
        for mono, coef in body.items():
            term = coef
            for i in mono:
                term *= x[i]
            total += term
            scale += abs(term)
        return total, scale
    if isinstance(body, NL):
        try:
            value = evaluate(body, x)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None, 0.0
        return (value, abs(value)) if isinstance(value, float) and math.isfinite(value) else (None, 0.0)
    return float(body), abs(float(body))
