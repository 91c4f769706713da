"""IIS by deletion filter (linear and nonlinear), LP dual signs via HiGHS, and the generic Pyomo route."""

from __future__ import annotations

import dataclasses

import pytest

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import get_solver, solve
from optcopilot.solve.highs import HighsSolver
from optcopilot.solve.iis import deletion_filter
from optcopilot.solve.pyomo_solver import PyomoSolver
from optcopilot.solve.result import Termination
from optcopilot.solve.scip import ScipSolver
from tests.problems import BY_NAME, PROBLEMS


def rows_of(iis: list[str]) -> set[str]:
    return {entry for entry in iis if not entry.startswith("bound:")}


# ---- IIS -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["pyomo", "pyscipopt"])
def test_scip_route_returns_iis_of_linear_toy(backend: str) -> None:
    problem = BY_NAME["lp_infeasible"]
    result = ScipSolver().solve(instantiate(problem.formulation), time_limit=10, backend=backend)
    assert result.status == Termination.INFEASIBLE
    assert result.iis is not None and rows_of(result.iis) == set(problem.iis or ())
    assert "bound:y" in result.iis and "bound:x" not in result.iis  # x >= 2 comes from a row, y >= 0 is needed


def test_deletion_filter_agrees_with_highs_iis_rows() -> None:
    inst = instantiate(BY_NAME["lp_infeasible"].formulation)
    highs = HighsSolver().solve(inst)
    assert highs.iis is not None
    assert rows_of(deletion_filter(inst) or []) == rows_of(highs.iis)


def _infeasible_nonlinear() -> Formulation:
    return Formulation.model_validate({
        "sets": [{"name": "K", "range": [1, 6]}],
        "variables": [{"name": "x", "lb": 0.1, "ub": 10}, {"name": "y", "lb": 0.1, "ub": 30},
                      {"name": "z", "index": ["K"], "ub": 5}],
        "objective": {"sense": "minimize", "expression": "x + y + sum(z[k] for k in K)"},
        "constraints": [
            {"name": "product", "expression": "x * y >= 20"},
            {"name": "filler", "forall": "k in K", "expression": "z[k] >= k / 2"},
            {"name": "growth", "expression": "exp(x) <= 3"},
            {"name": "root", "expression": "sqrt(y) <= 2"},
            {"name": "spare", "expression": "x + y <= 30"},
            {"name": "ratio", "expression": "z[1] / x <= 100"},
        ],
    })


def test_nonlinear_infeasible_model_gets_an_iis() -> None:
    inst = instantiate(_infeasible_nonlinear())
    result = ScipSolver().solve(inst, time_limit=30)
    assert result.status == Termination.INFEASIBLE
    # x <= log 3 ≈ 1.1 and y <= 4 make x * y >= 20 impossible; everything else is irrelevant
    assert result.iis is not None and rows_of(result.iis) == {"product", "growth", "root"}


def test_iis_is_irreducible_and_infeasible() -> None:
    inst = instantiate(_infeasible_nonlinear())
    labels = deletion_filter(inst, time_limit=30, with_bounds=False)
    assert labels is not None
    index = {row.label: r for r, row in enumerate(inst.rows)}
    solver = ScipSolver()

    def status_with(keep: set[str]) -> Termination:
        sub = dataclasses.replace(inst, rows=[inst.rows[index[lab]] for lab in keep], objective=0.0)
        return solver.solve(sub, time_limit=10, iis=False).status

    assert status_with(set(labels)) == Termination.INFEASIBLE
    for label in labels:
        assert status_with(set(labels) - {label}) == Termination.OPTIMAL


def test_deletion_filter_on_feasible_model_is_none() -> None:
    assert deletion_filter(instantiate(BY_NAME["lp_0"].formulation)) is None


def test_deletion_filter_out_of_time_is_none() -> None:
    assert deletion_filter(instantiate(BY_NAME["lp_infeasible"].formulation), time_limit=0.0) is None


# ---- LP duals (HiGHS) ----------------------------------------------------------------------------
#
# Sign convention (HighsSolver, and Pyomo's contrib `highs` agrees): the dual of a row is the shadow
# price d(optimal objective) / d(active bound of the row), in the model's own sense. So in a
# maximisation a binding `<=` row has a dual >= 0; in a minimisation a binding `>=` row has a dual
# >= 0 and a binding `<=` row a dual <= 0. Rows that are not binding have dual 0.

def _shift_row(inst: Instance, label: str, delta: float) -> Instance:
    rows = []
    for row in inst.rows:
        if row.label == label:
            row = dataclasses.replace(row, lo=row.lo + delta, hi=row.hi + delta)
        rows.append(row)
    return dataclasses.replace(inst, rows=rows)


@pytest.mark.parametrize("name", ["lp_0", "lp_1"])
def test_highs_duals_are_shadow_prices(name: str) -> None:
    inst = instantiate(BY_NAME[name].formulation)
    base = HighsSolver().solve(inst)
    assert base.status == Termination.OPTIMAL and base.duals is not None
    assert set(base.duals) == {row.label for row in inst.rows}
    delta = 1e-3
    for label, dual in base.duals.items():
        shifted = HighsSolver().solve(_shift_row(inst, label, delta))
        assert shifted.status == Termination.OPTIMAL
        assert (shifted.objective - base.objective) / delta == pytest.approx(dual, abs=1e-6), label


def test_highs_dual_signs() -> None:
    duals = HighsSolver().solve(instantiate(BY_NAME["lp_0"].formulation)).duals  # maximise, <= rows
    assert duals == pytest.approx({"plant1": 0.0, "plant2": 1.5, "plant3": 1.0})
    transport = HighsSolver().solve(instantiate(BY_NAME["lp_1"].formulation)).duals  # minimise, demand >=
    assert transport is not None
    assert all(transport[f"demand[{j}]"] > 0 for j in ("new-york", "chicago", "topeka"))
    assert all(transport[f"supply[{i}]"] <= 1e-12 for i in ("seattle", "san-diego"))


def test_pyomo_highs_duals_match_highspy() -> None:
    inst = instantiate(BY_NAME["lp_1"].formulation)
    ours = HighsSolver().solve(inst).duals
    theirs = PyomoSolver("highs").solve(inst, time_limit=10).duals
    assert theirs is not None and ours is not None
    assert theirs == pytest.approx(ours, abs=1e-9)


# ---- generic Pyomo route -------------------------------------------------------------------------

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
