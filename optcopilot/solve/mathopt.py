"""OR-Tools MathOpt route: LP (GLOP, with duals), MILP (SCIP via GSCIP), QP/MIQP objectives (GSCIP).

Other backends bundled in the wheel can be chosen with `solver_type` ("glop", "gscip", "highs",
"pdlp", "cp_sat"). Like the CP-SAT route, the solve runs in a clean worker process by default.
"""

from __future__ import annotations

import datetime
import importlib.util
import time
from typing import Any, ClassVar

from optcopilot.compile.capabilities import REGISTRY, SolverFeature
from optcopilot.compile.instance import Instance, ProblemClass
from optcopilot.compile.to_ortools import (
    MathOptModel,
    OrToolsConflictError,
    OrToolsUnsupportedError,
    build_mathopt,
    cp_friendly_problems,
    import_ortools,
)
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.cpsat import LOG_LIMIT, dispatch
from optcopilot.solve.result import Result, Termination

SOLVER_TYPES = ("glop", "gscip", "highs", "pdlp", "cp_sat")
QP_FEASIBILITY_TOLERANCE = 1e-9
"""SCIP's feasibility tolerance for quadratic objectives (its epigraph constraint otherwise costs ~1e-6)."""

_TERMINATION = {
    "OPTIMAL": Termination.OPTIMAL,
    "INFEASIBLE": Termination.INFEASIBLE,
    "UNBOUNDED": Termination.UNBOUNDED,
    "INFEASIBLE_OR_UNBOUNDED": Termination.INFEASIBLE_OR_UNBOUNDED,
    "FEASIBLE": Termination.TIME_LIMIT_FEASIBLE,
    "NO_SOLUTION_FOUND": Termination.TIME_LIMIT_NO_SOLUTION,
}


class MathOptSolver(Solver):
    """MathOpt with the backend picked per problem class. Options: `solver_type`, `mip_rel_gap` (0),
    `seed` (0), `threads`, `isolate` (None = auto)."""

    name: ClassVar[str] = "mathopt"
    features: ClassVar[frozenset[SolverFeature]] = REGISTRY["mathopt"].features

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("ortools") is not None

    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        pclass = instance.problem_class()
        if pclass in (ProblemClass.NLP, ProblemClass.MINLP):
            return Result(Termination.ERROR, solver=self.name, problem_class=pclass.value,
                          message=f"MathOpt route handles LP, MILP and QP objectives only; this model is "
                                  f"{pclass.value} (use the SCIP or Pyomo route)")
        return dispatch(self.name, "optcopilot.solve.mathopt:solve_mathopt", instance, time_limit, options)


def default_solver_type(instance: Instance) -> str:
    """GLOP for LP (simplex duals), GSCIP for everything with integers or a quadratic objective."""
    return "glop" if instance.problem_class() == ProblemClass.LP else "gscip"


def solve_mathopt(instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
    """Build and solve with MathOpt in this process (ortools must be importable here)."""
    start = time.perf_counter()
    pclass = instance.problem_class().value
    kind = str(options.pop("solver_type", None) or default_solver_type(instance)).lower()
    backend = kind.upper()

    def error(message: str, log: str = "") -> Result:
        return Result(Termination.ERROR, solver="mathopt", message=message, problem_class=pclass, log=log,
                      seconds=time.perf_counter() - start)

    if kind not in SOLVER_TYPES:
        return error(f"unknown MathOpt solver_type {kind!r} (choose from {', '.join(SOLVER_TYPES)})")
    if kind == "cp_sat" and (problems := cp_friendly_problems(instance)):
        return error("CP-SAT (through MathOpt) is only exact on CP-friendly models: " + "; ".join(problems))
    try:
        built = build_mathopt(instance)
        mathopt = import_ortools("ortools.math_opt.python.mathopt")
    except (OrToolsUnsupportedError, OrToolsConflictError) as exc:
        return error(str(exc))
    solver_type = getattr(mathopt.SolverType, kind.upper())
    params = mathopt.SolveParameters(time_limit=datetime.timedelta(seconds=float(time_limit)))
    params.random_seed = int(options.pop("seed", 0))
    if "threads" in options:
        params.threads = int(options.pop("threads"))
    gap = float(options.pop("mip_rel_gap", 0.0))
    if built.is_mip:
        params.relative_gap_tolerance = gap
    if built.quadratic_objective and kind == "gscip":
        params.gscip.real_params["numerics/feastol"] = QP_FEASIBILITY_TOLERANCE
    if options:
        return error(f"unknown MathOpt option(s): {', '.join(sorted(options))}")
    lines: list[str] = []
    try:
        answer = mathopt.solve(built.model, solver_type, params=params, msg_cb=lines.extend)
        reason = answer.termination.reason.name
        if reason == "INFEASIBLE_OR_UNBOUNDED":  # ask again without presolve for a definite answer
            params.presolve = mathopt.Emphasis.OFF
            try:
                again = mathopt.solve(built.model, solver_type, params=params, msg_cb=lines.extend)
                answer, reason = again, again.termination.reason.name
            except Exception:
                pass
    except Exception as exc:
        return error(f"MathOpt/{kind} failed: {_error_text(exc)}", "\n".join(lines)[-LOG_LIMIT:])
    return _read_answer(answer, reason, built, instance, backend, pclass, lines, start)


def _read_answer(answer: Any, reason: str, built: MathOptModel, instance: Instance, backend: str, pclass: str,
                 lines: list[str], start: float) -> Result:
    term = _TERMINATION.get(reason)
    feasible = answer.has_primal_feasible_solution()
    if term is None:  # IMPRECISE, NUMERICAL_ERROR, OTHER_ERROR
        term = Termination.TIME_LIMIT_FEASIBLE if reason == "IMPRECISE" and feasible else Termination.ERROR
    detail = answer.termination.detail
    limit = answer.termination.limit
    message = f"{backend}: {reason}" + (f" ({limit.name})" if limit is not None else "") + (
        f" - {detail}" if detail else "")
    log = "\n".join(lines)[-LOG_LIMIT:]
    result = Result(term, solver="mathopt", log=log, message=message, problem_class=pclass)
    if term.has_solution and feasible:
        result.objective = float(answer.objective_value())
        values = answer.variable_values(built.variables)
        result.variables = {name: float(v) for name, v in zip(instance.names, values, strict=True)}
        if built.is_mip:
            result.bound = float(answer.termination.objective_bounds.dual_bound)
        elif not built.quadratic_objective and answer.has_dual_feasible_solution():
            duals = answer.dual_values(built.constraints)
            reduced = answer.reduced_costs(built.variables)
            result.duals = {row.label: float(d) for row, d in zip(instance.rows, duals, strict=True)}
            result.reduced_costs = {n: float(d) for n, d in zip(instance.names, reduced, strict=True)}
    result.seconds = time.perf_counter() - start
    return result


def _error_text(exc: BaseException) -> str:
    """The backend's own message: this wheel's StatusNotOk conversion fails, so look at the context too."""
    cause = exc.__context__
    if cause is not None and type(cause).__name__ == "StatusNotOk":
        return str(cause)
    return f"{type(exc).__name__}: {exc}"
