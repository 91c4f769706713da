"""JSON round trip, schema export, classification and rendering."""

import json

from optcopilot.compile.instance import ProblemClass, classify, instantiate
from optcopilot.ir.model import Formulation
from optcopilot.ir.render import render_latex, render_text
from tests.ir.test_validate import build


def test_json_round_trip_keeps_infinities():
    f = build(variables=[{"name": "x", "index": ["I"], "lb": None, "ub": "inf"}, {"name": "y"}])
    text = f.to_json()
    json.loads(text)  # strict JSON: no Infinity tokens
    again = Formulation.from_json(text)
    assert again == Formulation.from_json(again.to_json())
    assert instantiate(again).lb[0] == float("-inf")


def test_schema_export_is_a_json_schema():
    schema = Formulation.json_schema()
    assert schema["type"] == "object"
    assert {"objective", "variables", "constraints"} <= set(schema["properties"])


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


def test_renderings_mention_every_element():
    f = build()
    text = render_text(f)
    for word in ("Sets:", "Parameters:", "Variables:", "Objective: maximize", "Constraints:", "cap:"):
        assert word in text
    latex = render_latex(f)
    assert r"\sum_{i \in I}" in latex and r"\max" in latex
