"""MathOpt route: shared problems, LP duals against HiGHS, backends, statuses, limits and refusals."""

from __future__ import annotations

import pytest

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.compile.to_ortools import run_isolated
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import get_solver, solve
from optcopilot.solve.mathopt import MathOptSolver, default_solver_type
from optcopilot.solve.result import Result, Termination
from tests.problems import BY_NAME, PROBLEMS, Problem, applicable

DUALS_LP = Formulation.model_validate({
    "name": "duals",
    "variables": [{"name": "a", "ub": 8}, {"name": "b"}, {"name": "c", "lb": None}],
    "objective": {"sense": "minimize", "expression": "2 * a + 3 * b + c"},
    "constraints": [
        {"name": "total", "expression": "a + b + c == 10"},
        {"name": "gap", "expression": "a - b >= -2"},
        {"name": "band", "expression": "1 <= b + c <= 6"},
        {"name": "lowc", "expression": "c - a >= -3"},
    ],
})
MIQP = Formulation.model_validate({
    "name": "miqp",
    "variables": [{"name": "n", "domain": "integer", "lb": -5, "ub": 5}, {"name": "y", "ub": 4}],
    "objective": {"sense": "minimize", "expression": "(n - 1.6)**2 + (y - 2.5)**2 + n * y"},
    "constraints": [{"name": "sum", "expression": "n + y >= 2"}],
})

KNAPSACK_60 = Formulation.model_validate({
    "sets": [{"name": "K", "range": [1, 60]}],
    "parameters": [{"name": "v", "index": ["K"], "value": [50 + (37 * k) % 51 for k in range(60)]},
                   {"name": "w", "index": ["K"], "value": [50 + (53 * k) % 51 for k in range(60)]}],
    "variables": [{"name": "x", "index": ["K"], "domain": "integer", "ub": 3}],
    "objective": {"sense": "maximize", "expression": "sum(v[k] * x[k] for k in K)"},
    "constraints": [{"name": "cap", "expression": "sum(w[k] * x[k] for k in K) <= 2001"}],
})

APPLICABLE = [p for p in PROBLEMS if applicable(MathOptSolver, "mathopt", instantiate(p.formulation)) is None]

# name -> (formulation, solve_mathopt options)
CASES: dict[str, tuple[Formulation, dict]] = {
    **{p.name: (p.formulation, {}) for p in APPLICABLE},
    "duals": (DUALS_LP, {}),
    "miqp": (MIQP, {}),
    "milp_0_highs": (BY_NAME["milp_0"].formulation, {"solver_type": "highs"}),
    "cp_0_cp_sat": (BY_NAME["cp_0"].formulation, {"solver_type": "CP_SAT"}),
    "lp_0_cp_sat": (BY_NAME["lp_0"].formulation, {"solver_type": "cp_sat"}),
    "milp_0_glop": (BY_NAME["milp_0"].formulation, {"solver_type": "glop"}),
    "unknown_backend": (BY_NAME["lp_0"].formulation, {"solver_type": "gurobi"}),
    "unknown_option": (BY_NAME["lp_0"].formulation, {"pivot_rule": "dantzig"}),
    "time_limit": (KNAPSACK_60, {}),
}
TIME_LIMITS = {"time_limit": 1e-4}


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    return {name: instantiate(f) for name, (f, _) in CASES.items()}


@pytest.fixture(scope="module")
def results(instances: dict[str, Instance]) -> dict[str, Result]:
    """Every case solved in one batch by the OR-Tools worker (this process keeps a working highspy)."""
    target = "optcopilot.solve.mathopt:solve_mathopt"
    calls = [(target, (instances[name], TIME_LIMITS.get(name, 20.0)), options)
             for name, (_, options) in CASES.items()]
    return dict(zip(CASES, run_isolated(calls, timeout=120), strict=True))


@pytest.mark.parametrize("problem", APPLICABLE, ids=lambda p: p.name)
def test_shared_problems(problem: Problem, results: dict[str, Result],
                         instances: dict[str, Instance]) -> None:
    result = results[problem.name]
    assert result.status == problem.status, result.message
    assert result.solver == "mathopt" and result.problem_class == problem.problem_class
    if problem.objective is not None:
        assert result.objective == pytest.approx(problem.objective, rel=1e-6, abs=1e-6)
        assert list(result.variables) == instances[problem.name].names


def test_applicable_problems_cover_every_class() -> None:
    assert {p.problem_class for p in APPLICABLE} == {"LP", "MILP", "QP"}
    assert {"lp_infeasible", "lp_unbounded"} <= {p.name for p in APPLICABLE}


def test_backend_defaults() -> None:
    assert default_solver_type(instantiate(BY_NAME["lp_0"].formulation)) == "glop"
    assert default_solver_type(instantiate(BY_NAME["milp_1"].formulation)) == "gscip"
    assert default_solver_type(instantiate(BY_NAME["qp_0"].formulation)) == "gscip"


@pytest.mark.parametrize("name", ["duals", "lp_0"])
def test_lp_duals_and_reduced_costs_match_highs(name: str, results: dict[str, Result],
                                                instances: dict[str, Instance]) -> None:
    result = results[name]
    assert result.message.startswith("GLOP: OPTIMAL")
    reference = solve(instances[name], solver="highs")
    assert result.objective == pytest.approx(reference.objective, rel=1e-9)
    assert result.duals is not None and reference.duals is not None
    assert result.duals == pytest.approx(reference.duals, abs=1e-9)
    assert result.reduced_costs == pytest.approx(reference.reduced_costs, abs=1e-9)
    assert result.bound is None


def test_known_duals(results: dict[str, Result]) -> None:
    duals = results["lp_0"].duals
    assert duals == pytest.approx({"plant1": 0.0, "plant2": 1.5, "plant3": 1.0})


def test_mip_has_bound_and_no_duals(results: dict[str, Result]) -> None:
    result = results["milp_1"]
    assert result.message.startswith("GSCIP: OPTIMAL")
    assert result.bound == pytest.approx(result.objective) and result.duals is None


def test_miqp_matches_enumeration(results: dict[str, Result]) -> None:
    best = min(_miqp_value(n) for n in range(-5, 6))
    result = results["miqp"]
    assert result.status == Termination.OPTIMAL and result.problem_class == "MIQP"
    assert result.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


def _miqp_value(n: int) -> float:
    """min over y in [max(0, 2 - n), 4] of (n - 1.6)^2 + (y - 2.5)^2 + n y: y* = clip(2.5 - n / 2)."""
    lo = max(0.0, 2.0 - n)
    if lo > 4:
        return float("inf")
    y = min(4.0, max(lo, 2.5 - n / 2))
    return (n - 1.6) ** 2 + (y - 2.5) ** 2 + n * y


def test_other_backends(results: dict[str, Result]) -> None:
    assert results["milp_0_highs"].objective == pytest.approx(25.0)
    assert results["milp_0_highs"].message.startswith("HIGHS")
    assert results["cp_0_cp_sat"].objective == pytest.approx(13.0)


def test_backend_errors_are_results(results: dict[str, Result]) -> None:
    refused = results["lp_0_cp_sat"]
    assert refused.status == Termination.ERROR and "CP-friendly" in refused.message
    glop = results["milp_0_glop"]
    assert glop.status == Termination.ERROR and "integer variables" in glop.message
    assert "gurobi" in results["unknown_backend"].message
    assert results["unknown_option"].status == Termination.ERROR
    assert "pivot_rule" in results["unknown_option"].message


def test_time_limit(results: dict[str, Result]) -> None:
    result = results["time_limit"]
    limited = (Termination.TIME_LIMIT_NO_SOLUTION, Termination.TIME_LIMIT_FEASIBLE)
    assert result.status in limited, result.message
    assert "TIME" in result.message


def test_refuses_nonlinear_models() -> None:
    for name in ("nlp_0", "minlp_0"):
        result = MathOptSolver().solve(instantiate(BY_NAME[name].formulation))
        assert result.status == Termination.ERROR and "SCIP or Pyomo" in result.message


def test_public_routes_run_isolated() -> None:
    import highspy  # noqa: F401 - loaded here on purpose: the MathOpt route must not need this process

    solver = get_solver("mathopt")
    assert isinstance(solver, MathOptSolver) and MathOptSolver.available()
    result = solver.solve(instantiate(BY_NAME["lp_1"].formulation), time_limit=10)
    assert result.status == Termination.OPTIMAL and result.objective == pytest.approx(153.675)
    via_api = solve(BY_NAME["qp_0"].formulation, solver="mathopt", time_limit=10)
    assert via_api.status == Termination.OPTIMAL and via_api.objective == pytest.approx(0.0, abs=1e-6)
