"""`solve()`: route a formulation (or grounded instance) to a solver and return one Result.

Which route takes a model is a capability query (`optcopilot.compile.capabilities`); routes are imported
only when used, so a missing optional solver costs nothing.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from optcopilot.compile.capabilities import REGISTRY, UnknownSolverError, capabilities, choose_solver
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.ir import budget
from optcopilot.ir.errors import BuildTimeout
from optcopilot.ir.model import Formulation
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.guarded import can_fork, run_guarded
from optcopilot.solve.result import Result, Termination
from optcopilot.solve.sanity import checked

MIN_SOLVER_SECONDS = 0.05
GUARD_MIN_SIZE = 5000  # variables plus row terms from which SCIP/Pyomo routes run in a killable child


def _needs_guard(backend: Solver, instance: Instance) -> bool:
    """Routes whose model translation cannot be interrupted run in a killable child when the model is large."""
    if backend.name not in ("scip", "pyomo") or not can_fork():
        return False
    size = instance.n_vars + sum(len(r.body) if isinstance(r.body, dict) else 1 for r in instance.rows)
    return size >= GUARD_MIN_SIZE

__all__ = ["SOLVERS", "UnknownSolverError", "get_solver", "solve"]

SOLVERS: dict[str, str] = {name: caps.route for name, caps in REGISTRY.items()}
"""Registered route name -> "module:Class"."""


def get_solver(name: str) -> Solver:
    """The route for a solver name (`pyomo:NAME` included); UnknownSolverError for others."""
    caps = capabilities(name)
    module, cls = caps.route.split(":")
    route: Callable[..., Solver] = getattr(importlib.import_module(module), cls)
    return route(name.split(":", 1)[1]) if caps.name == "pyomo" else route()


def solve(model: Formulation | Instance, solver: str = "auto", time_limit: float = DEFAULT_TIME_LIMIT,
          **options: Any) -> Result:
    """Solve a formulation; data errors raise FormulationError, solver failures return ERROR results.

    `time_limit` bounds building, solving and checking together (inside an outer budget, such as the CLI's,
    the earlier deadline wins); the answer is checked against the model (`solve.sanity`) before it is returned.
    """
    start = time.perf_counter()
    with budget.within(time_limit) as clock:
        try:
            instance = model if isinstance(model, Instance) else instantiate(model)
        except BuildTimeout as exc:
            return Result(Termination.TIME_LIMIT_NO_SOLUTION, message=str(exc), seconds=time.perf_counter() - start)
        name = choose_solver(instance) if solver == "auto" else solver
        backend = get_solver(name)
        result = _run(backend, instance, clock, options)
        if not result.problem_class:
            result.problem_class = instance.problem_class().value
        if result.status == Termination.ERROR and solver == "auto" and name == "highs" and not clock.expired():
            fallback = _run(get_solver("scip"), instance, clock, options)
            if fallback.status != Termination.ERROR:
                result = fallback
        result = checked(result, instance)
    result.seconds = time.perf_counter() - start
    return result


def _run(backend: Solver, instance: Instance, clock: budget.Budget, options: dict[str, Any]) -> Result:
    """One solver run on what is left of the budget; an error after the deadline is a time limit."""
    remaining = clock.remaining()
    if remaining is not None and remaining < MIN_SOLVER_SECONDS:
        return Result(Termination.TIME_LIMIT_NO_SOLUTION, solver=backend.name,
                      message="time limit reached before the solver could start")
    seconds = remaining if remaining is not None else DEFAULT_TIME_LIMIT
    try:
        if _needs_guard(backend, instance):
            result = run_guarded(lambda: backend.solve(instance, time_limit=seconds, **dict(options)), seconds,
                                 getattr(backend, "label", backend.name))
        else:
            result = backend.solve(instance, time_limit=seconds, **dict(options))
    except BuildTimeout as exc:
        return Result(Termination.TIME_LIMIT_NO_SOLUTION, solver=backend.name, message=str(exc))
    if result.status == Termination.ERROR and clock.expired():
        result.status = Termination.TIME_LIMIT_NO_SOLUTION
        result.message = f"time limit reached ({result.message})" if result.message else "time limit reached"
    return result
