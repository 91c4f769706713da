"""SCIP route specifics: both backends, log and bound, functions, limits, errors (shared problems: test_problems.py)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination
from optcopilot.solve.scip import ScipSolver
from optcopilot.solve.scip_model import build_scip, scip_expr
from tests.problems import BY_NAME, PROBLEMS, Problem, check, instance_of


@pytest.mark.parametrize("problem", [p for p in PROBLEMS if p.problem_class != "MILP" or p.name == "milp_1"],
                         ids=lambda p: p.name)
def test_direct_pyscipopt_backend_agrees(problem: Problem) -> None:
    result = ScipSolver().solve(instance_of(problem), time_limit=20, backend="pyscipopt")
    check(problem, result)
    assert "pyscipopt" in result.message


def test_scip_reports_log_bound_and_solver_name() -> None:
    result = ScipSolver().solve(instance_of(BY_NAME["minlp_0"]), time_limit=20)
    assert result.solver == "scip" and result.problem_class == "MINLP"
    assert "SCIP Status" in result.log
    assert result.bound is not None and result.bound <= result.objective + 1e-6
    assert result.variables["y"] == 4.0 and result.variables["x"] == pytest.approx(2.5, abs=1e-5)


def test_auto_routes_nonlinear_to_scip() -> None:
    result = solve(BY_NAME["nlp_1"].formulation, time_limit=20)
    assert result.solver == "scip" and result.status == Termination.OPTIMAL
    assert result.variables["x"] == pytest.approx(6.0, rel=1e-3) and result.variables["y"] == pytest.approx(3.0, rel=1e-3)


def _formulation(objective: str, constraints: list[dict], variables: list[dict] | None = None,
                 sense: str = "minimize") -> Formulation:
    return Formulation.model_validate({
        "variables": variables or [{"name": "x", "ub": 10}, {"name": "y", "ub": 10}],
        "objective": {"sense": sense, "expression": objective}, "constraints": constraints})


@pytest.mark.parametrize("backend", ["pyomo", "pyscipopt"])
def test_functions_supported_by_scip(backend: str) -> None:
    f = _formulation("-log10(x + 1) - sin(y) - cos(y) + x**0.5 + 2**x", [
        {"name": "a", "expression": "abs(x - y) <= 3"},
        {"name": "b", "expression": "max(x, y) - min(x, 1) >= 0.5"},
        {"name": "c", "expression": "x * y / (1 + x) <= 4"},
        {"name": "d", "expression": "x**y <= 50"},
    ])
    inst = instantiate(f)
    result = ScipSolver().solve(inst, time_limit=20, backend=backend)
    assert result.status == Termination.OPTIMAL, result.message
    x, y = result.variables["x"], result.variables["y"]
    assert abs(x - y) <= 3 + 1e-5 and max(x, y) - min(x, 1) >= 0.5 - 1e-5
    assert x * y / (1 + x) <= 4 + 1e-5 and x**y <= 50 + 1e-4
    expected = -math.log10(x + 1) - math.sin(y) - math.cos(y) + x**0.5 + 2**x
    assert result.objective == pytest.approx(expected, rel=1e-9)


def test_unsupported_function_is_an_error_result_not_an_exception() -> None:
    f = _formulation("x + y", [{"name": "c", "expression": "floor(x) + y >= 1.5"}])
    result = ScipSolver().solve(instantiate(f), time_limit=5)
    assert result.status == Termination.ERROR
    assert "floor" in result.message and "\n" not in result.message


def test_bad_scip_parameter_is_an_error_result() -> None:
    result = ScipSolver().solve(instance_of(BY_NAME["lp_0"]), time_limit=5, **{"no/such/param": 1})
    assert result.status == Termination.ERROR and result.message


def test_pyomo_failure_falls_back_to_pyscipopt(monkeypatch: pytest.MonkeyPatch) -> None:
    import optcopilot.solve.scip as scip_module

    def broken(*args: object, **kwargs: object) -> None:
        raise NotImplementedError("unrecognized expression type: <class 'Something'>")

    monkeypatch.setattr(scip_module, "_solve_pyomo", broken)
    result = ScipSolver().solve(instance_of(BY_NAME["nlp_0"]), time_limit=20)
    check(BY_NAME["nlp_0"], result)
    assert "Pyomo route failed" in result.message


def _market_split(m: int = 4, n: int = 34, seed: int = 3) -> Formulation:
    """Cornuéjols-Dawande market split: tiny, and far too hard for a fraction of a second."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    return Formulation.model_validate({
        "sets": [{"name": "R", "range": [1, m]}, {"name": "J", "range": [1, n]}],
        "parameters": [{"name": "a", "index": ["R", "J"], "value": a.tolist()},
                       {"name": "d", "index": ["R"], "value": (a.sum(axis=1) // 2).tolist()}],
        "variables": [{"name": "x", "index": ["J"], "domain": "binary"},
                      {"name": "s", "index": ["R"], "lb": None}],
        "objective": {"sense": "minimize", "expression": "sum(s[r] for r in R)"},
        "constraints": [
            {"name": "split", "forall": "r in R", "expression": "sum(a[r, j] * x[j] for j in J) - d[r] <= s[r]"},
            {"name": "split2", "forall": "r in R", "expression": "d[r] - sum(a[r, j] * x[j] for j in J) <= s[r]"},
        ],
    })


def test_time_limit_is_respected() -> None:
    inst = instantiate(_market_split())
    start = time.perf_counter()
    result = ScipSolver().solve(inst, time_limit=0.5)
    assert time.perf_counter() - start < 5
    assert result.status in (Termination.TIME_LIMIT_FEASIBLE, Termination.TIME_LIMIT_NO_SOLUTION), result.status
    if result.status == Termination.TIME_LIMIT_FEASIBLE:
        assert result.objective is not None and result.bound is not None and result.bound <= result.objective


def test_infeasible_or_unbounded_is_settled(monkeypatch: pytest.MonkeyPatch) -> None:
    import optcopilot.solve.scip as scip_module

    real = scip_module._solve_pyomo

    def fuzzy(*args, **kwargs):  # SCIP sometimes answers "inforunbd"; make it do so here
        outcome = real(*args, **kwargs)
        if outcome.status in (Termination.INFEASIBLE, Termination.UNBOUNDED):
            outcome.status = Termination.INFEASIBLE_OR_UNBOUNDED
        return outcome

    monkeypatch.setattr(scip_module, "_solve_pyomo", fuzzy)
    assert ScipSolver().solve(instance_of(BY_NAME["lp_unbounded"]), time_limit=10).status == Termination.UNBOUNDED
    result = ScipSolver().solve(instance_of(BY_NAME["lp_infeasible"]), time_limit=10)
    assert result.status == Termination.INFEASIBLE and result.iis


def test_scip_expr_folds_constants_and_rejects_floor() -> None:
    from optcopilot.compile.algebra import NL, Poly
    from optcopilot.compile.to_pyomo import UnsupportedExpressionError

    inst = instance_of(BY_NAME["nlp_0"])
    model, xs = build_scip(inst)
    assert scip_expr(NL("exp", (0.0,)), xs) == 1.0
    with pytest.raises(UnsupportedExpressionError, match="floor"):
        scip_expr(NL("floor", (Poly({(0,): 1.0}),)), xs)
    assert len(xs) == inst.n_vars and model.getNVars() == inst.n_vars + 1  # + epigraph variable


LOUD_SCIP = """
import sys, time
from tests.solve.test_scip import _market_split
from optcopilot.compile.instance import instantiate
from optcopilot.solve.scip import ScipSolver
start = time.perf_counter()
# a log line per node: far more than a pipe's 64 KiB inside Pyomo's output capture
result = ScipSolver().solve(instantiate(_market_split()), time_limit=3, **{"display/freq": 1})
print(result.status.value, round(time.perf_counter() - start, 1), len(result.log))
"""


def test_a_loud_solve_through_pyomo_does_not_hang_on_its_own_output() -> None:
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", LOUD_SCIP], capture_output=True, text=True, timeout=120, cwd=repo,
                         env={**os.environ, "PYTHONPATH": str(repo)})
    assert run.returncode == 0, run.stderr[-1500:]
    status, seconds, log_chars = run.stdout.split()
    assert status.startswith("time_limit") and float(seconds) < 30 and int(log_chars) > 0
