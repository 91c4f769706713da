"""`solve()`: route a formulation (or grounded instance) to a solver and return one Result.

Which route takes a model is a capability query (`optcopilot.compile.capabilities`); routes are imported
only when used, so a missing optional solver costs nothing.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from optcopilot.compile.capabilities import REGISTRY, UnknownSolverError, capabilities, choose_solver
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.result import Result, Termination

__all__ = ["SOLVERS", "UnknownSolverError", "get_solver", "solve"]

SOLVERS: dict[str, str] = {name: caps.route for name, caps in REGISTRY.items()}
"""Registered route name -> "module:Class"."""


def get_solver(name: str) -> Solver:
    """The route for a solver name (`pyomo:NAME` included); UnknownSolverError for others."""
    caps = capabilities(name)
    module, cls = caps.route.split(":")
    route = getattr(importlib.import_module(module), cls)
    return route(name.split(":", 1)[1]) if caps.name == "pyomo" else route()


def solve(model: Formulation | Instance, solver: str = "auto", time_limit: float = DEFAULT_TIME_LIMIT,
          **options: Any) -> Result:
    """Solve a formulation; data errors raise FormulationError, solver failures return ERROR results."""
    start = time.perf_counter()
    instance = model if isinstance(model, Instance) else instantiate(model)
    name = choose_solver(instance) if solver == "auto" else solver
    backend = get_solver(name)
    result = backend.solve(instance, time_limit=time_limit, **options)
    if not result.problem_class:
        result.problem_class = instance.problem_class().value
    if result.status == Termination.ERROR and solver == "auto" and name == "highs":
        fallback = get_solver("scip").solve(instance, time_limit=time_limit, **options)
        if fallback.status != Termination.ERROR:
            result = fallback
    result.seconds = time.perf_counter() - start
    return result
