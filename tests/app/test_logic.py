"""The app's plain functions: uploads, JSON editing, parameter edits, solution tables, code, examples."""

from __future__ import annotations

import json

import pytest

from optcopilot.app import logic
from optcopilot.formulate.events import ProgressEvent, Stage
from optcopilot.formulate.prompts import llm_json_to_formulation
from optcopilot.solve.result import Result, Termination
from tests.app.conftest import PRODUCTION_ANSWER, PRODUCTION_OPTIMUM


@pytest.fixture
def production():
    return llm_json_to_formulation(PRODUCTION_ANSWER)


def test_examples_ship_with_text():
    examples = logic.list_examples()
    assert "production" in examples
    assert "chairs" in examples["production"].text


def test_shipped_ir_example_solves_to_the_stated_optimum():
    from optcopilot.examples import EXAMPLES_DIR, example_files

    assert EXAMPLES_DIR / "production.ir.json" in example_files()
    f = logic.parse_ir_text((EXAMPLES_DIR / "production.ir.json").read_text(encoding="utf-8"))
    result = logic.solve_model(f)
    assert result.status == Termination.OPTIMAL and result.objective == pytest.approx(PRODUCTION_OPTIMUM)


def test_parse_ir_text_reports_bad_json_and_bad_models(production):
    assert logic.parse_ir_text(production.to_json()).objective.sense == "maximize"
    with pytest.raises(logic.AppInputError, match="malformed JSON at line 1"):
        logic.parse_ir_text("{not json")
    with pytest.raises(logic.AppInputError, match="expected a JSON object"):
        logic.parse_ir_text("[1, 2]")
    with pytest.raises(logic.AppInputError, match="invalid formulation at objective"):
        logic.parse_ir_text('{"sets": []}')
    with pytest.raises(logic.AppInputError, match="empty"):
        logic.parse_ir_text("  ")


@pytest.mark.parametrize(("name", "data", "message"), [
    ("model.json", b"\x00\x01\x02binary", "binary"),
    ("model.json", b"\xff\xfe{", "UTF-8"),
    ("model.mps", b"", "empty"),
    ("model.exe", b"MZ", "expected one of"),
    ("model.mps", b"\x00\x01garbage\x00" * 10, "model.mps"),
])
def test_bad_model_uploads_raise_app_errors(name, data, message):
    with pytest.raises(logic.AppInputError, match=message):
        logic.load_model_upload(name, data)


def test_model_upload_reads_ir_json(production):
    f = logic.load_model_upload("p.json", production.to_json().encode())
    assert logic.solve_model(f).objective == pytest.approx(PRODUCTION_OPTIMUM)


def test_csv_uploads_are_checked():
    assert logic.read_csv_uploads([("food.csv", b"name,cost\nbread,2\n")]) == {"food": "name,cost\nbread,2\n"}
    with pytest.raises(logic.AppInputError, match="binary"):
        logic.read_csv_uploads([("x.csv", b"\x00\x00\x00")])
    with pytest.raises(logic.AppInputError, match="no rows"):
        logic.read_csv_uploads([("x.csv", b"a,b\n")])


def test_parameter_edits_change_the_answer(production):
    rows = logic.parameter_rows(production)
    assert [r["name"] for r in rows] == ["profit", "hours", "avail"]
    rows[0]["value"] = "[30, 100]"
    edited = logic.apply_parameter_rows(production, rows)
    assert logic.solve_model(edited).objective == pytest.approx(3000.0)
    rows[0]["value"] = "[30,"
    with pytest.raises(logic.AppInputError, match="profit"):
        logic.apply_parameter_rows(production, rows)


def test_solve_reports_bad_data_as_app_error(production):
    data = json.loads(production.to_json())
    data["parameters"][0]["value"] = [1, 2, 3, 4]
    f = logic.parse_ir_text(json.dumps(data))
    with pytest.raises(logic.AppInputError, match="invalid formulation"):
        logic.solve_model(f)
    with pytest.raises(logic.AppInputError, match="not available"):
        logic.solve_model(production, solver="nosuchsolver")


def test_variable_rows_put_nonzeros_first():
    result = Result(Termination.OPTIMAL, 1.0, {"a": 0.0, "b": 2.0, "c": -5.0, "d": 1e-12})
    assert [r["variable"] for r in logic.variable_rows(result)] == ["c", "b", "a", "d"]


def test_iis_in_words(production):
    result = Result(Termination.INFEASIBLE, iis=["capacity[carpentry]", "bound:make[chair]"])
    words = logic.iis_sentences(result, production)
    assert words[0].startswith("constraint capacity[carpentry] (sum(hours")
    assert words[1] == "the bounds of variable make[chair]"


def test_element_tables_and_latex(production):
    tables = logic.element_tables(production)
    assert list(tables) == ["Sets", "Parameters", "Variables", "Objective", "Constraints"]
    assert tables["Constraints"][0]["for all"] == "r in R"
    lines = logic.latex_lines(production)
    assert lines[0].startswith(r"\max") and len(lines) == 2


def test_generated_code_never_raises(production):
    code = logic.generated_code(production)
    assert set(code) == {"Pyomo", "OR-Tools"}
    for text, reason in code.values():
        assert bool(text) != bool(reason)


def test_progress_stages():
    """The label comes from the event's stage, never from its (English) message."""
    assert logic.stage_label(ProgressEvent(Stage.WRITING, "writing the model…")) == "formulating"
    assert logic.stage_label(ProgressEvent(Stage.PROBLEM, "problem found: x")) == "validating"
    assert logic.stage_label(ProgressEvent(Stage.REPAIRING, "repairing the model (1)…")) == "repairing"
    assert logic.stage_label(ProgressEvent(Stage.SOLVING, "solving…")) == "solving"
    assert logic.stage_label(ProgressEvent(Stage.CHECKING, "solving… (ignored)")) == "validating"
    assert {logic.stage_label(ProgressEvent(stage, "")) for stage in Stage} <= {
        "formulating", "repairing", "validating", "solving"}


def test_default_spec_from_env(monkeypatch):
    assert logic.default_llm_spec() == "local"
    monkeypatch.setenv(logic.APP_LLM_ENV, "scripted:/x.json")
    assert logic.default_llm_spec() == "scripted:/x.json"
