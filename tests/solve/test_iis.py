"""IIS by deletion filter (linear and nonlinear rows), checked against HiGHS's own IIS and by re-solving."""

from __future__ import annotations

import dataclasses

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.highs import HighsSolver
from optcopilot.solve.iis import deletion_filter
from optcopilot.solve.result import Termination
from optcopilot.solve.scip import ScipSolver
from tests.problems import BY_NAME, rows_of


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
