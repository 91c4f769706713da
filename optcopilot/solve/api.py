"""`solve()`: route a formulation (or grounded instance) to a solver and return one Result."""

from __future__ import annotations

import importlib
import time
from typing import Any

from optcopilot.compile.instance import Instance, ProblemClass, instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.result import Result, Termination

# name -> "module:Class"; imported lazily so a missing optional solver costs nothing
SOLVERS: dict[str, str] = {
    "highs": "optcopilot.solve.highs:HighsSolver",
    "scip": "optcopilot.solve.scip:ScipSolver",
    "cpsat": "optcopilot.solve.cpsat:CpSatSolver",
    "mathopt": "optcopilot.solve.mathopt:MathOptSolver",
}


class UnknownSolverError(ValueError):
    pass


def get_solver(name: str) -> Solver:
    if name.startswith("pyomo:"):
        from optcopilot.solve.pyomo_solver import PyomoSolver  # generic Pyomo route (gurobi, ...)

        return PyomoSolver(name.split(":", 1)[1])
    target = SOLVERS.get(name)
    if target is None:
        raise UnknownSolverError(f"unknown solver {name!r} (choose from auto, {', '.join(SOLVERS)}, pyomo:NAME)")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def choose_solver(instance: Instance) -> str:
    """HiGHS for LP/MILP/convex QP, CP-SAT only for CP-friendly models, SCIP for the rest."""
    pclass = instance.problem_class()
    if pclass in (ProblemClass.LP, ProblemClass.MILP):
        return "highs"
    if pclass == ProblemClass.QP and _convex_objective(instance):
        return "highs"
    return "scip"


def _convex_objective(instance: Instance) -> bool:
    import numpy as np

    from optcopilot.compile.to_highs import objective_arrays

    _, _, quad = objective_arrays(instance)
    if instance.n_vars > 2000:
        return False
    q = np.zeros((instance.n_vars, instance.n_vars))
    for (i, j), c in quad.items():  # type: ignore[misc]
        q[i, j] += c / 2 if i != j else c
        q[j, i] += c / 2 if i != j else 0.0
    eig = np.linalg.eigvalsh(q)
    sign = 1.0 if instance.sense == "minimize" else -1.0
    return bool((sign * eig >= -1e-9).all())


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
