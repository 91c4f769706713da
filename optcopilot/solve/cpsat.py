"""CP-SAT route: exact for CP-friendly models only (all-integer, linear, integer coefficients, finite bounds).

CP-SAT is not a reliable oracle once continuous variables appear (wrong optima, false infeasible on
MIPLIB), so any other model gets an ERROR result that says why, never a silently wrong answer.
By default the solve runs in a fresh interpreter: ortools and highspy cannot share a process
(see `optcopilot.compile.to_ortools`).
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable
from typing import Any, ClassVar

from optcopilot.compile.capabilities import REGISTRY, SolverFeature
from optcopilot.compile.instance import Instance
from optcopilot.compile.to_ortools import (
    WORKER_GRACE_SECONDS,
    IsolatedCallError,
    OrToolsConflictError,
    OrToolsUnsupportedError,
    build_cpsat,
    cp_friendly_problems,
    highspy_loaded,
    import_ortools,
    ortools_loaded,
    run_isolated,
)
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.result import Result, Termination

LOG_LIMIT = 20_000
DEFAULT_WORKERS = 2


class CpSatSolver(Solver):
    """Google CP-SAT on CP-friendly instances. Options: `num_workers` (2), `seed` (0),
    `max_time_in_seconds` (overrides time_limit), `isolate` (None = auto), any other SatParameters field."""

    name: ClassVar[str] = "cpsat"
    features: ClassVar[frozenset[SolverFeature]] = REGISTRY["cpsat"].features

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("ortools") is not None

    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        problems = cp_friendly_problems(instance)
        if problems:  # refuse before paying for a worker process
            return Result(Termination.ERROR, solver=self.name, problem_class=instance.problem_class().value,
                          message="CP-SAT refuses this model (it is only exact on all-integer linear models "
                                  "with integer coefficients and finite bounds): " + "; ".join(problems))
        return dispatch(self.name, "optcopilot.solve.cpsat:solve_cpsat", instance, time_limit, options)


def dispatch(solver: str, target: str, instance: Instance, time_limit: float,
             options: dict[str, Any]) -> Result:
    """Run `target(instance, time_limit, **options)` here or in a clean worker process (`isolate` option).

    isolate=None (default) stays in-process only when ortools is already loaded here and highspy is not;
    otherwise a worker runs it, so this process keeps a working highspy.
    """
    start = time.perf_counter()
    options = dict(options)
    isolate = options.pop("isolate", None)
    if isolate is None:
        isolate = not ortools_loaded() or highspy_loaded()
    if not isolate:
        module, func = target.split(":")
        run: Callable[..., Result] = getattr(importlib.import_module(module), func)
        return run(instance, time_limit, **options)
    budget = float(options.get("max_time_in_seconds", time_limit))
    try:
        call = (target, (instance, time_limit), options)
        result: Result = run_isolated([call], budget + WORKER_GRACE_SECONDS)[0]
    except IsolatedCallError as exc:
        return Result(Termination.ERROR, solver=solver, message=f"{solver} worker failed: {exc}",
                      problem_class=instance.problem_class().value, seconds=time.perf_counter() - start)
    result.seconds = time.perf_counter() - start
    return result


def solve_cpsat(instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
    """Build and solve with CP-SAT in this process (ortools must be importable here)."""
    start = time.perf_counter()
    pclass = instance.problem_class().value

    def error(message: str, log: str = "") -> Result:
        return Result(Termination.ERROR, solver="cpsat", message=message, problem_class=pclass, log=log,
                      seconds=time.perf_counter() - start)

    try:
        built = build_cpsat(instance)
        cp_model = import_ortools("ortools.sat.python.cp_model")
    except (OrToolsUnsupportedError, OrToolsConflictError) as exc:
        return error(str(exc))
    except (OverflowError, TypeError, ValueError) as exc:
        return error(f"cannot build the CP-SAT model: {exc}")
    if built.empty_domains:  # CP-SAT calls an empty domain invalid; the model is simply infeasible
        return Result(Termination.INFEASIBLE, solver="cpsat", problem_class=pclass,
                      message=f"no integer value within the bounds of {', '.join(built.empty_domains[:3])}",
                      seconds=time.perf_counter() - start)
    solver = cp_model.CpSolver()
    params = solver.parameters
    try:
        params.max_time_in_seconds = float(options.pop("max_time_in_seconds", time_limit))
        params.num_workers = int(options.pop("num_workers", DEFAULT_WORKERS))
        params.random_seed = int(options.pop("seed", options.pop("random_seed", 0)))
        for key, value in options.items():
            setattr(params, key, value)
    except (AttributeError, TypeError, ValueError) as exc:
        return error(f"bad CP-SAT option: {exc}")
    params.log_search_progress = True
    params.log_to_stdout = False
    lines: list[str] = []
    solver.log_callback = lines.append
    status = solver.solve(built.model)
    log = "\n".join(lines)[-LOG_LIMIT:]
    if status == cp_model.MODEL_INVALID:
        reason = (built.model.validate() or "MODEL_INVALID").strip().splitlines()[0]
        return error(f"CP-SAT rejected the model: {reason}", log)
    term = {
        cp_model.OPTIMAL: Termination.OPTIMAL,
        cp_model.FEASIBLE: Termination.TIME_LIMIT_FEASIBLE,
        cp_model.INFEASIBLE: Termination.INFEASIBLE,
        cp_model.UNKNOWN: Termination.TIME_LIMIT_NO_SOLUTION,
    }.get(status, Termination.ERROR)
    result = Result(term, solver="cpsat", log=log, message=solver.status_name(status), problem_class=pclass)
    if term.has_solution:
        has_objective = built.model.has_objective()
        result.objective = solver.objective_value if has_objective else built.objective_constant
        result.bound = solver.best_objective_bound if has_objective else built.objective_constant
        result.variables = {name: float(solver.value(var))
                            for name, var in zip(instance.names, built.variables, strict=True)}
    result.seconds = time.perf_counter() - start
    return result
