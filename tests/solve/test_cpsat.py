"""CP-SAT route: exact answers on CP-friendly models, refusals elsewhere, status mapping, log, isolation."""

from __future__ import annotations

import itertools
import random

import pytest

from optcopilot.compile.algebra import evaluate
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.compile.to_ortools import cp_friendly_problems, run_isolated
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import get_solver, solve
from optcopilot.solve.cpsat import CpSatSolver
from optcopilot.solve.result import Result, Termination
from tests.problems import ASSIGN_COST, BY_NAME, PROBLEMS, applicable

EMPTY_DOMAIN = Formulation.model_validate({
    "variables": [{"name": "x", "domain": "integer", "lb": 0.2, "ub": 0.8},
                  {"name": "y", "domain": "integer", "ub": 2}],
    "objective": {"sense": "maximize", "expression": "x + y"},
})
CONSTANT_OBJECTIVE = Formulation.model_validate({
    "variables": [{"name": "x", "domain": "integer", "ub": 4}],
    "objective": {"sense": "minimize", "expression": "5"},
    "constraints": [{"name": "low", "expression": "x >= 3"}],
})
_rng = random.Random(1)
HARD_KNAPSACK = Formulation.model_validate({
    "sets": [{"name": "K", "range": [1, 60]}],
    "parameters": [{"name": "v", "index": ["K"], "value": [_rng.randint(50, 100) for _ in range(60)]},
                   {"name": "w", "index": ["K"], "value": [_rng.randint(50, 100) for _ in range(60)]}],
    "variables": [{"name": "x", "index": ["K"], "domain": "integer", "ub": 3}],
    "objective": {"sense": "maximize", "expression": "sum(v[k] * x[k] for k in K)"},
    "constraints": [{"name": "cap", "expression": "sum(w[k] * x[k] for k in K) <= 2001"},
                    {"name": "cap2", "expression": "sum(v[k] * x[k] for k in K) <= 2500"}],
})
BIG = 2**50
OVERFLOW = Formulation.model_validate({
    "sets": [{"name": "K", "range": [1, 20]}],
    "variables": [{"name": "x", "index": ["K"], "domain": "integer", "ub": BIG}],
    "objective": {"sense": "maximize", "expression": f"sum({BIG} * x[k] for k in K)"},
    "constraints": [{"name": "c", "expression": f"sum({BIG} * x[k] for k in K) <= {BIG}"}],
})


def _brute_force_pure_integer() -> float:
    best = -float("inf")
    for a, b, c in itertools.product(range(-10, 11), repeat=3):
        if a + b + c == 7 and -3 <= a - b <= 2 and 2 * a + 3 * c <= 15 and c >= -2:
            best = max(best, 3 * a - 2 * b + c - 4)
    return best


def _brute_force_assignment() -> float:
    return min(sum(ASSIGN_COST[w][t] for w, t in enumerate(p)) for p in itertools.permutations(range(3)))


# name -> (formulation, solve_cpsat options)
CASES: dict[str, tuple[Formulation, dict]] = {
    **{p.name: (p.formulation, {}) for p in PROBLEMS if p.cp_friendly},  # assignment, pure_integer, ...
    "empty_domain": (EMPTY_DOMAIN, {}),
    "constant_objective": (CONSTANT_OBJECTIVE, {}),
    "no_time": (HARD_KNAPSACK, {"max_deterministic_time": 0.0}),
    "first_solution": (HARD_KNAPSACK, {"num_workers": 1, "stop_after_first_solution": True,
                                       "cp_model_presolve": False}),
    "overflow": (OVERFLOW, {}),
    "bad_option": (BY_NAME["cp_0"].formulation, {"no_such_parameter": 1}),
    "seed_7": (BY_NAME["cp_0"].formulation, {"seed": 7}),
}


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    return {name: instantiate(f) for name, (f, _) in CASES.items()}


@pytest.fixture(scope="module")
def results(instances: dict[str, Instance]) -> dict[str, Result]:
    """Every case solved in one batch by the OR-Tools worker (this process keeps a working highspy)."""
    calls = [("optcopilot.solve.cpsat:solve_cpsat", (instances[name], 20.0), options)
             for name, (_, options) in CASES.items()]
    return dict(zip(CASES, run_isolated(calls, timeout=120), strict=True))


def _assert_feasible(inst: Instance, values: dict[str, float]) -> None:
    x = [values[n] for n in inst.names]
    for v, lo, hi in zip(x, inst.lb, inst.ub, strict=True):
        assert lo - 1e-9 <= v <= hi + 1e-9 and float(v).is_integer()
    for row in inst.rows:
        assert row.lo - 1e-9 <= evaluate(row.body, x) <= row.hi + 1e-9, row.label


@pytest.mark.parametrize("name", ["milp_0", "cp_0", "assignment", "pure_integer"])
def test_optimum_matches_highs_and_is_feasible(name: str, results: dict[str, Result],
                                               instances: dict[str, Instance]) -> None:
    result, inst = results[name], instances[name]
    assert result.status == Termination.OPTIMAL, result.message
    reference = solve(inst, solver="highs", time_limit=20)
    assert result.objective == pytest.approx(reference.objective, rel=1e-9, abs=1e-9)
    assert result.bound == pytest.approx(result.objective)
    assert list(result.variables) == inst.names
    _assert_feasible(inst, result.variables)
    assert result.solver == "cpsat" and result.problem_class == "MILP"


def test_known_optima(results: dict[str, Result]) -> None:
    assert results["pure_integer"].objective == _brute_force_pure_integer() == BY_NAME["pure_integer"].objective
    assert results["assignment"].objective == _brute_force_assignment()
    for p in PROBLEMS:
        if p.cp_friendly:
            assert results[p.name].objective == pytest.approx(p.objective), p.name


def test_infeasible_models(results: dict[str, Result]) -> None:
    assert results["infeasible_int"].status == Termination.INFEASIBLE
    assert results["infeasible_int"].objective is None and not results["infeasible_int"].variables
    empty = results["empty_domain"]
    assert empty.status == Termination.INFEASIBLE
    assert "x" in empty.message and "no integer value" in empty.message
    assert solve(EMPTY_DOMAIN, solver="highs").status == Termination.INFEASIBLE


def test_constant_objective_is_kept(results: dict[str, Result]) -> None:
    result = results["constant_objective"]
    assert result.status == Termination.OPTIMAL and result.objective == 5.0
    assert result.variables["x"] in (3.0, 4.0)


def test_limits_map_to_time_limit_statuses(results: dict[str, Result]) -> None:
    assert results["no_time"].status == Termination.TIME_LIMIT_NO_SOLUTION
    assert results["no_time"].objective is None
    first = results["first_solution"]
    assert first.status == Termination.TIME_LIMIT_FEASIBLE, first.message
    assert first.objective is not None and first.bound is not None and first.objective <= first.bound
    assert len(first.variables) == 60


def test_model_invalid_and_bad_option_are_errors(results: dict[str, Result]) -> None:
    overflow = results["overflow"]
    assert overflow.status == Termination.ERROR and "overflow" in overflow.message
    assert "\n" not in overflow.message
    bad = results["bad_option"]
    assert bad.status == Termination.ERROR and "no_such_parameter" in bad.message


def test_log_records_parameters_and_seed(results: dict[str, Result]) -> None:
    log = results["cp_0"].log
    assert "CP-SAT" in log and "num_workers: 2" in log and "random_seed: 0" in log
    assert "random_seed: 7" in results["seed_7"].log


@pytest.mark.parametrize("name", ["lp_0", "qp_0", "milp_1", "nlp_0"])
def test_refuses_models_that_are_not_cp_friendly(name: str) -> None:
    inst = instantiate(BY_NAME[name].formulation)
    result = CpSatSolver().solve(inst, time_limit=5)
    assert result.status == Termination.ERROR
    assert "CP-SAT refuses" in result.message and "continuous" in result.message
    assert result.objective is None and not result.variables
    assert applicable(CpSatSolver, "cpsat", inst) is not None


def test_refusal_names_non_integer_data_and_infinite_bounds() -> None:
    fractional = Formulation.model_validate({
        "variables": [{"name": "x", "domain": "integer", "ub": 5}],
        "objective": {"sense": "maximize", "expression": "1.5 * x"},
        "constraints": [{"name": "cap", "expression": "x <= 3.5"}]})
    problems = cp_friendly_problems(instantiate(fractional))
    assert any("objective" in p for p in problems) and any("cap" in p for p in problems)
    unbounded = Formulation.model_validate({
        "variables": [{"name": "n", "domain": "integer"}],
        "objective": {"sense": "minimize", "expression": "n"}})
    result = CpSatSolver().solve(instantiate(unbounded))
    assert result.status == Termination.ERROR and "finite bounds" in result.message and "n" in result.message


def test_public_routes_run_isolated_and_agree() -> None:
    """Through get_solver / api.solve (worker process), with HiGHS used in this same process."""
    import highspy  # noqa: F401 - loaded here on purpose: the CP-SAT route must not need this process

    solver = get_solver("cpsat")
    assert isinstance(solver, CpSatSolver) and CpSatSolver.available()
    result = solver.solve(instantiate(BY_NAME["milp_0"].formulation), time_limit=10)
    assert result.status == Termination.OPTIMAL and result.objective == pytest.approx(25.0)
    assignment = BY_NAME["assignment"].formulation
    via_api = solve(assignment, solver="cpsat", time_limit=10)
    assert via_api.solver == "cpsat" and via_api.objective == _brute_force_assignment()
    assert solve(assignment, solver="highs").objective == via_api.objective


def test_in_process_request_with_highspy_loaded_is_a_clear_error() -> None:
    import highspy  # noqa: F401

    result = CpSatSolver().solve(instantiate(BY_NAME["cp_0"].formulation), isolate=False)
    assert result.status == Termination.ERROR and "highspy" in result.message
