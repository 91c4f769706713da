"""Instance -> Pyomo model: components, indices, domains, bounds, maps, and expression translation."""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo
import pytest

from optcopilot.compile.algebra import NL, Poly, evaluate
from optcopilot.compile.instance import instantiate
from optcopilot.compile.to_pyomo import (
    UnsupportedExpressionError,
    build_pyomo,
    to_pyomo_expr,
)
from optcopilot.ir.model import Formulation
from tests.problems import BY_NAME, PROBLEMS


def test_indexed_components_and_maps() -> None:
    inst = instantiate(BY_NAME["lp_1"].formulation)
    model, handles = build_pyomo(inst)
    assert model.x.is_indexed() and len(model.x) == 6
    x = model.x["seattle", "chicago"]
    assert handles.flat_id(x) == inst.flat_id("x", ("seattle", "chicago"))
    assert x.lb == 0 and x.ub is None and x.domain is pyo.Reals
    assert set(model.supply.keys()) == {"seattle", "san-diego"}
    assert set(model.demand.keys()) == {"new-york", "chicago", "topeka"}
    assert handles.row_label(model.demand["topeka"]) == "demand[topeka]"
    assert [handles.row_index(c) for c in handles.rows] == list(range(len(inst.rows)))
    assert model.component("objective").sense == pyo.minimize


def test_scalar_binary_integer_and_conditional_rows() -> None:
    inst = instantiate(BY_NAME["milp_1"].formulation)
    model, _ = build_pyomo(inst)
    assert not model.total.is_indexed() and model.total.lb is None and model.total.ub is None
    assert model.x["w1", 2].domain is pyo.Binary
    assert list(model.forbid.keys()) == [("w3", 3)]  # `if cost[w, t] <= 1` kept one row
    assert not model.define.is_indexed()
    cp = instantiate(BY_NAME["cp_0"].formulation)
    cp_model, _ = build_pyomo(cp)
    assert cp_model.n["y"].domain is pyo.Integers and cp_model.n["y"].ub == 10
    assert cp_model.component("objective").sense == pyo.maximize


def test_names_clashing_with_pyomo_attributes_are_renamed() -> None:
    f = Formulation.model_validate({
        "variables": [{"name": "name"}, {"name": "solutions", "domain": "integer", "ub": 3}],
        "objective": {"sense": "maximize", "expression": "name + solutions"},
        "constraints": [{"name": "component", "expression": "name + 2 * solutions <= 4"}],
    })
    inst = instantiate(f)
    model, handles = build_pyomo(inst)
    assert handles.var_components == {"name": "name_", "solutions": "solutions_"}
    assert handles.con_components == {"component": "component_"}
    assert model.name_ is handles.variables[0]


def test_subset_of_rows_without_objective() -> None:
    inst = instantiate(BY_NAME["lp_1"].formulation)
    model, handles = build_pyomo(inst, rows=[0, 3], with_objective=False)
    assert [handles.row_label(c) for c in handles.rows if c is not None] == ["supply[seattle]", "demand[chicago]"]
    assert pyo.value(model.component("objective").expr) == 0.0


def _sample_point(inst, rng: np.random.Generator) -> np.ndarray:
    lo = np.where(np.isfinite(inst.lb), inst.lb, -3.0)
    hi = np.where(np.isfinite(inst.ub), inst.ub, lo + 6.0)
    hi = np.minimum(hi, lo + 6.0)
    x = rng.uniform(lo, hi)
    return np.where(inst.integer, np.round(x), x)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
def test_pyomo_expressions_evaluate_like_flat_algebra(problem) -> None:
    inst = instantiate(problem.formulation)
    _, handles = build_pyomo(inst)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = _sample_point(inst, rng)
        for var, value in zip(handles.variables, x, strict=True):
            var.set_value(float(value), skip_validation=True)
        obj = handles.objective
        assert pyo.value(obj.expr) == pytest.approx(evaluate(inst.objective, list(x)), rel=1e-9, abs=1e-9)
        for row, con in zip(inst.rows, handles.rows, strict=True):
            assert pyo.value(con.body) == pytest.approx(evaluate(row.body, list(x)), rel=1e-9, abs=1e-9), row.label


def test_abs_min_max_power_translation() -> None:
    m = pyo.ConcreteModel()
    m.v = pyo.Var([0, 1])
    xs = [m.v[0], m.v[1]]
    a, b = Poly({(0,): 1.0}), Poly({(1,): 1.0, (): -2.0})
    cases = [NL("abs", (b,)), NL("min", (a, b, 1.5)), NL("max", (a, 0.5, b)), NL("**", (a, b)),
             NL("**", (2.0, a)), NL("log10", (a,)), NL("/", (b, a)), NL("neg", (NL("sqrt", (a,)),))]
    for x0, x1 in ((0.7, 3.1), (2.5, -1.0), (4.0, 4.0)):
        m.v[0].set_value(x0)
        m.v[1].set_value(x1)
        for case in cases:
            expected = evaluate(case, [x0, x1])
            assert pyo.value(to_pyomo_expr(case, xs)) == pytest.approx(expected, rel=1e-12), case.op
    abs_expr = to_pyomo_expr(NL("abs", (b,)), xs)
    assert type(abs_expr).__name__ == "UnaryFunctionExpression" and abs_expr.getname() == "abs"


@pytest.mark.parametrize("case", [NL("floor", (Poly({(0,): 1.0}),)), NL("**", (-2.0, Poly({(0,): 1.0})))])
def test_unsupported_expressions_raise(case: NL) -> None:
    m = pyo.ConcreteModel()
    m.v = pyo.Var([0])
    with pytest.raises(UnsupportedExpressionError):
        to_pyomo_expr(case, [m.v[0]])


def test_values_by_name_reads_loaded_values() -> None:
    inst = instantiate(BY_NAME["lp_0"].formulation)
    model, handles = build_pyomo(inst)
    model.doors.set_value(2.0)
    assert handles.values_by_name()["doors"] == 2.0
    assert math.isnan(handles.values_by_name()["windows"])
