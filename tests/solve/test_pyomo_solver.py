"""The generic Pyomo route (`pyomo:NAME`): LPs through several Pyomo interfaces, nonlinear through SCIP, duals,
and a clear error for a solver that is not installed."""

from __future__ import annotations

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.solve.api import get_solver, solve
from optcopilot.solve.highs import HighsSolver
from optcopilot.solve.pyomo_solver import PyomoSolver
from optcopilot.solve.result import Termination
from tests.problems import BY_NAME, PROBLEMS


def test_pyomo_highs_duals_match_highspy() -> None:
    inst = instantiate(BY_NAME["lp_1"].formulation)
    ours = HighsSolver().solve(inst).duals
    theirs = PyomoSolver("highs").solve(inst, time_limit=10).duals
    assert theirs is not None and ours is not None
    assert theirs == pytest.approx(ours, abs=1e-9)


@pytest.mark.parametrize("name", ["highs", "appsi_highs", "scip"])
def test_pyomo_route_solves_lps(name: str) -> None:
    solver = PyomoSolver(name)
    assert solver.available()
    for problem in PROBLEMS:
        if problem.problem_class != "LP":
            continue
        result = solver.solve(instantiate(problem.formulation), time_limit=10)
        assert result.status == problem.status, (name, problem.name, result.message)
        assert result.solver == f"pyomo:{name}"
        if problem.objective is not None:
            assert result.objective == pytest.approx(problem.objective, rel=1e-6)


def test_pyomo_route_nonlinear_through_scip() -> None:
    problem = BY_NAME["minlp_0"]
    result = solve(problem.formulation, solver="pyomo:scip_direct", time_limit=20)
    assert result.status == Termination.OPTIMAL
    assert result.objective == pytest.approx(problem.objective, rel=1e-5)


@pytest.mark.parametrize("name", ["gurobi", "no_such_solver"])
def test_missing_pyomo_solver_is_a_clear_error(name: str) -> None:
    solver = get_solver(f"pyomo:{name}")
    assert isinstance(solver, PyomoSolver)
    if solver.available():
        pytest.skip(f"{name} is installed here")
    result = solver.solve(instantiate(BY_NAME["lp_0"].formulation), time_limit=5)
    assert result.status == Termination.ERROR
    assert name in result.message and "not available" in result.message
