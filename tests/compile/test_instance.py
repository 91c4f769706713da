"""Grounding (`compile.instance`): expressions evaluate on the data, classification, CP-friendliness, defaults."""

from __future__ import annotations

import math

import pytest

from optcopilot.compile.algebra import NL, Poly, evaluate
from optcopilot.compile.instance import ProblemClass, classify, instantiate
from tests.ir.test_expr import _model
from tests.ir.test_validate import build


@pytest.mark.parametrize(("text", "point", "expected"), [
    ("x + 2*y - 3", {"x": 1, "y": 2}, 2.0),
    ("-x ** 2", {"x": 3}, -9.0),
    ("x / 4", {"x": 2}, 0.5),
    ("sum(c[i]*z[i] for i in I)", {"z[a]": 1, "z[b]": 1, "z[c]": 1}, 6.0),
    ("sum(c[i]*z[i] for i in I if c[i] > 1)", {"z[a]": 1, "z[b]": 1, "z[c]": 1}, 5.0),
    ("sum(a[i, j]*w[i, j] for i in I for j in J)", {f"w[{i},{j}]": 1 for i in "abc" for j in (1, 2)}, 21.0),
    ("sum(w[i, j] for (i, j) in ARCS)", {"w[a,1]": 2, "w[b,2]": 5}, 7.0),
    ("prod(c[i] for i in I) * x", {"x": 2}, 12.0),
    ("abs(x - 3) + min(x, y) + max(x, y)", {"x": 1, "y": 4}, 7.0),
    ("exp(x) + log(y + 1) + sqrt(x)", {"x": 1, "y": 0}, math.e + 1),
    ("len(I) * x", {"x": 2}, 6.0),
    ("x if c['b'] >= 2 else y", {"x": 1, "y": 9}, 1.0),
    ("sum(z[i] for i in I if i != 'a' and not c[i] < 0)", {"z[a]": 1, "z[b]": 10, "z[c]": 100}, 110.0),
    ("sum(w[i, t] for i in I for t in range(1, 2))", {"w[a,1]": 1, "w[b,1]": 1, "w[c,1]": 1}, 3.0),
])
def test_constructs_evaluate_on_the_data(text, point, expected):
    inst = instantiate(_model(text))
    x = [0.0] * inst.n_vars
    for name, value in point.items():
        x[inst.names.index(name)] = value
    assert evaluate(inst.objective, x) == pytest.approx(expected)


def test_linear_stays_polynomial_and_nonlinear_becomes_nl():
    assert isinstance(instantiate(_model("x + 2*y")).objective, Poly)
    assert isinstance(instantiate(_model("exp(x)")).objective, NL)
    assert instantiate(_model("x*y")).objective.degree() == 2


def _cls(expr, domain="continuous", cons=()):
    f = build(variables=[{"name": "x", "index": ["I"], "domain": domain, "ub": 5}, {"name": "y", "ub": 5}],
              objective={"sense": "minimize", "expression": expr},
              constraints=[{"name": f"k{i}", "expression": c} for i, c in enumerate(cons)])
    return classify(f)


def test_classification():
    assert _cls("y + x['a']") == (ProblemClass.LP, False)
    assert _cls("y + x['a']", "integer")[0] == ProblemClass.MILP
    assert _cls("y*y + x['a']") == (ProblemClass.QP, False)
    assert _cls("y*y + x['a']", "integer")[0] == ProblemClass.MIQP
    assert _cls("exp(y)")[0] == ProblemClass.NLP
    assert _cls("y", cons=["x['a']*y <= 3"])[0] == ProblemClass.NLP
    assert _cls("exp(y)", "binary")[0] == ProblemClass.MINLP


def test_cp_friendly_needs_all_integer_integer_coefficients_and_finite_bounds():
    f = build(variables=[{"name": "x", "index": ["I"], "domain": "integer", "ub": 9},
                         {"name": "y", "domain": "integer", "ub": 9}])
    assert classify(f) == (ProblemClass.MILP, True)
    g = build(variables=[{"name": "x", "index": ["I"], "domain": "integer", "ub": 9},
                         {"name": "y", "domain": "integer", "ub": 9}],
              objective={"sense": "maximize", "expression": "0.5*y"})
    assert classify(g) == (ProblemClass.MILP, False)


def test_missing_param_entry_uses_default_or_reports():
    f = build(parameters=[{"name": "c", "index": ["I"], "value": {"a": 3}, "default": 7},
                          {"name": "cap", "value": 10}])
    inst = instantiate(f)
    assert inst.objective[(inst.names.index("x[b]"),)] == 7
