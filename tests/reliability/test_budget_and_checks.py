"""The pieces behind the CLI tests: the budget, the number and domain checks, the result checks, the guarded
child, the model-file completeness check."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.io.file_check import IncompleteFileError, check_complete
from optcopilot.ir import budget
from optcopilot.ir.errors import BuildTimeout, FormulationError
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from optcopilot.solve.guarded import can_fork, run_guarded
from optcopilot.solve.result import Result, Termination
from optcopilot.solve.sanity import checked
from tests.reliability.conftest import knapsack


def _slow_model() -> Formulation:
    return Formulation.model_validate({
        "sets": [{"name": n, "range": [1, 1000]} for n in "IJK"], "variables": [{"name": "x"}],
        "objective": {"sense": "minimize", "expression": "x + sum(1 for i in I for j in J for k in K)"}})


def test_grounding_stops_at_the_deadline_with_a_build_timeout() -> None:
    start = time.monotonic()
    with budget.within(0.3), pytest.raises(BuildTimeout, match="--time-limit"):
        instantiate(_slow_model())
    assert time.monotonic() - start < 2.0


def test_solve_turns_a_build_timeout_into_a_time_limit_result() -> None:
    result = solve(_slow_model(), time_limit=0.3)
    assert result.status == Termination.TIME_LIMIT_NO_SOLUTION and "building" in result.message


def test_outer_deadline_wins_over_a_later_inner_one() -> None:
    with budget.within(0.5) as outer, budget.within(100) as inner:
        assert inner.deadline == outer.deadline


def test_size_limits_name_their_setting_and_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Formulation.model_validate(knapsack())
    monkeypatch.setenv("OPTCOPILOT_MAX_VARIABLES", "1")
    with pytest.raises(FormulationError, match="OPTCOPILOT_MAX_VARIABLES") as info:
        instantiate(model)
    assert info.value.codes == {"size-limit"}
    monkeypatch.setenv("OPTCOPILOT_MAX_VARIABLES", "2")
    assert instantiate(model).n_vars == 2


def test_nested_nonlinear_sums_stay_flat() -> None:
    model = Formulation.model_validate({
        "sets": [{"name": "I", "range": [1, 3000]}], "variables": [{"name": "x", "index": ["I"], "lb": 1, "ub": 2}],
        "objective": {"sense": "minimize", "expression": "sum(exp(x[i]) for i in I)"}})
    instance = instantiate(model)  # used to be a chain of 3000 nested '+' nodes
    assert instance.objective.op == "+" and len(instance.objective.args) == 3000  # type: ignore[union-attr]


def _instance(**changes: object) -> object:
    return instantiate(Formulation.model_validate(knapsack(**changes)))


def test_a_point_that_breaks_a_row_is_not_believed() -> None:
    instance = _instance()
    wrong = Result(Termination.OPTIMAL, objective=900.0, variables={"x[a]": 0.0, "x[b]": 100.0}, solver="highs")
    result = checked(wrong, instance)  # type: ignore[arg-type]
    assert result.status == Termination.ERROR and "violates row cap" in result.message


def test_a_local_solver_optimum_of_a_nonlinear_model_is_locally_optimal() -> None:
    instance = _instance(objective={"sense": "maximize", "expression": "sum(p[i]*x[i] for i in P) - exp(x['a'])"})
    x = {"x[a]": 0.0, "x[b]": 22.5}
    local = checked(Result(Termination.OPTIMAL, objective=201.5, variables=dict(x), solver="pyomo:ipopt"),
                    instance)  # type: ignore[arg-type]
    assert local.status == Termination.LOCALLY_OPTIMAL and not local.status.definitive
    scip = checked(Result(Termination.OPTIMAL, objective=201.5, variables=dict(x), solver="scip"),
                   instance)  # type: ignore[arg-type]
    assert scip.status == Termination.OPTIMAL
    infeasible = checked(Result(Termination.INFEASIBLE, solver="pyomo:ipopt"), instance)  # type: ignore[arg-type]
    assert infeasible.status == Termination.ERROR


def test_unbounded_is_kept_when_the_box_is_open() -> None:
    instance = _instance(variables=[{"name": "x", "index": ["P"]}], constraints=[])
    result = checked(Result(Termination.UNBOUNDED, solver="highs"), instance)  # type: ignore[arg-type]
    assert result.status == Termination.UNBOUNDED


def test_sqrt_of_a_possibly_negative_argument_and_a_bound_that_fixes_it() -> None:
    with pytest.raises(FormulationError, match="sqrt") as info:
        _instance(objective={"sense": "maximize", "expression": "sqrt(x['a'] - 5)"})
    assert info.value.codes == {"domain"}
    fixed = _instance(objective={"sense": "maximize", "expression": "sqrt(x['a'] - 5)"},
                      constraints=[{"name": "low", "expression": "x['a'] >= 5"}])
    assert fixed.n_vars == 2  # type: ignore[attr-defined]  # x >= 5 as a row keeps the argument non-negative


def test_variable_lower_bound_of_plus_infinity_is_refused() -> None:
    with pytest.raises(FormulationError, match=r"lower bound is \+inf"):
        _instance(variables=[{"name": "x", "index": ["P"], "lb": "inf"}])


@pytest.mark.skipif(not can_fork(), reason="needs fork")
def test_guarded_child_is_killed_at_the_deadline() -> None:
    start = time.monotonic()
    result = run_guarded(lambda: time.sleep(30) or Result(Termination.OPTIMAL), 0.2, "slow")  # type: ignore[func-returns-value]
    assert result.status == Termination.TIME_LIMIT_NO_SOLUTION
    assert time.monotonic() - start < 3.0


@pytest.mark.skipif(not can_fork(), reason="needs fork")
def test_guarded_child_result_and_crash() -> None:
    ok = run_guarded(lambda: Result(Termination.OPTIMAL, objective=1.0, variables={"x": 1.0}),
                     5, "quick")
    assert ok.status == Termination.OPTIMAL and ok.variables == {"x": 1.0}
    import os
    import signal

    crashed = run_guarded(lambda: os.kill(os.getpid(), signal.SIGKILL), 5, "crashing")  # type: ignore[arg-type,return-value]
    assert crashed.status == Termination.ERROR and "crashed" in crashed.message


def test_lp_file_without_end_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "cut.lp"
    path.write_text("Maximize\n obj: x + y\nSubject To\n c1: x + y <= 4\n", encoding="utf-8")
    with pytest.raises(IncompleteFileError, match="end"):
        check_complete(path, "LP")
    path.write_text(path.read_text() + "End\n", encoding="utf-8")
    check_complete(path, "LP")

