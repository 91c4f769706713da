"""JSON round trip, schema export, classification and rendering."""

import json

from optcopilot.compile.instance import instantiate
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


def test_renderings_mention_every_element():
    f = build()
    text = render_text(f)
    for word in ("Sets:", "Parameters:", "Variables:", "Objective: maximize", "Constraints:", "cap:"):
        assert word in text
    latex = render_latex(f)
    assert r"\sum_{i \in I}" in latex and r"\max" in latex
