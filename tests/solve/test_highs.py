"""HiGHS route specifics: LP duals as shadow prices and their signs (the shared problems run in test_problems.py).

Sign convention (HighsSolver, and Pyomo's contrib `highs` agrees): the dual of a row is the shadow
price d(optimal objective) / d(active bound of the row), in the model's own sense. So in a
maximisation a binding `<=` row has a dual >= 0; in a minimisation a binding `>=` row has a dual
>= 0 and a binding `<=` row a dual <= 0. Rows that are not binding have dual 0.
"""

from __future__ import annotations

import dataclasses

import pytest

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.solve.highs import HighsSolver
from optcopilot.solve.result import Termination
from tests.problems import BY_NAME


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
