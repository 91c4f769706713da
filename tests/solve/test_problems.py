"""Every shared problem (`tests/problems.py`) on every solver route that can take it (`solver_route`)."""

from __future__ import annotations

import pytest

from tests.conftest import SolverRoute
from tests.problems import PROBLEMS, Problem, applicable, check, instance_of


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
def test_problem_on_solver(problem: Problem, solver_route: SolverRoute) -> None:
    inst = instance_of(problem)
    reason = applicable(solver_route.cls, solver_route.name, inst)
    if reason:
        pytest.skip(reason)
    result = solver_route.cls().solve(inst, time_limit=20)
    check(problem, result, strict_status=solver_route.name in ("highs", "scip"))
    assert result.seconds < 20
    if solver_route.name == "scip":
        assert "Pyomo scip_direct" in result.message and "pyscipopt" not in result.message


def test_problem_classes_and_cp_flags() -> None:
    for p in PROBLEMS:
        inst = instance_of(p)
        assert inst.problem_class().value == p.problem_class, p.name
        assert inst.is_cp_friendly() == p.cp_friendly, p.name
