"""Drive the real app with `streamlit.testing.v1.AppTest` and a scripted LLM backend."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optcopilot.app import APP_SCRIPT
from optcopilot.formulate.prompts import llm_json_to_formulation
from tests.app.conftest import PRODUCTION_ANSWER, PRODUCTION_OPTIMUM, write_script

needs_pipeline = pytest.mark.skipif(importlib.util.find_spec("optcopilot.formulate.pipeline") is None,
                                    reason="optcopilot.formulate.pipeline is not present yet")
TIMEOUT = 120


def start() -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def run_example(at: AppTest) -> AppTest:
    at.selectbox(key="example_choice").set_value("production").run()
    assert "chairs and tables" in at.text_area(key="problem_text").value
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    return at


def successes(at: AppTest) -> list[str]:
    return [s.value for s in at.success]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def objective(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Objective")


def test_app_starts_without_a_model():
    at = start()
    assert at.title[0].value == "optcopilot"
    assert at.sidebar.radio(key="llm_kind").value.startswith("Embedded")
    assert not at.tabs  # nothing to show before a run


@needs_pipeline
def test_run_shows_formulation_code_and_solution(scripted_llm):
    at = run_example(start())
    assert successes(at) == ["Solution: optimal, objective 1900 (highs, " + successes(at)[0].split("highs, ")[1]]
    labels = [t.label for t in at.tabs]
    for label in ("Formulation", "Solution", "Code", "Pyomo", "OR-Tools", "IR JSON", "Attempts", "What-if"):
        assert label in labels
    assert at.latex[0].value.startswith("$$\n\\max")
    assert any("capacity" in latex.value for latex in at.latex)
    assert float(objective(at)) == pytest.approx(PRODUCTION_OPTIMUM)
    variables = next(d.value for d in at.dataframe if list(d.value.columns) == ["variable", "value"])
    assert dict(zip(variables["variable"], variables["value"], strict=True)) == {"make[chair]": 30.0,
                                                                                 "make[table]": 20.0}
    assert any("dual" in d.value.columns for d in at.dataframe)  # an LP shows its duals
    downloads = [b.label for b in at.get("download_button")]
    assert "Download IR JSON" in downloads
    if importlib.util.find_spec("optcopilot.compile.codegen_pyomo"):
        assert "Download Pyomo script" in downloads
        assert any("pyomo" in c for c in [c.value for c in at.code])
    codes = [c.value for c in at.code]
    assert any('"objective"' in c for c in codes)
    assert any(e.label.startswith("Attempt 1 · generate") for e in at.expander)


@needs_pipeline
def test_edit_a_parameter_and_resolve(scripted_llm):
    at = run_example(start())
    at.session_state["param_editor"] = {"edited_rows": {0: {"value": "[30, 100]"}}, "added_rows": [],
                                        "deleted_rows": []}
    at.button(key="resolve_params").click().run()
    assert not at.exception and not errors(at)
    assert float(objective(at)) == pytest.approx(3000.0)  # now only tables: 30 of them
    assert '"value": [\n        30,\n        100\n      ]' in at.text_area(key="ir_edit").value


@needs_pipeline
def test_edit_the_ir_json_and_resolve(scripted_llm):
    at = run_example(start())
    data = json.loads(at.text_area(key="ir_edit").value)
    data["parameters"][2]["value"] = [240, 300]  # plenty of finishing: 40 tables
    at.text_area(key="ir_edit").set_value(json.dumps(data))
    at.button(key="resolve_json").click().run()
    assert float(objective(at)) == pytest.approx(2000.0)
    at.text_area(key="ir_edit").set_value("{broken")
    at.button(key="resolve_json").click().run()
    assert not at.exception
    assert any("malformed JSON" in e for e in errors(at))
    assert float(objective(at)) == pytest.approx(2000.0)  # the last good model stays


@needs_pipeline
def test_llm_failure_shows_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_script(tmp_path / "bad.json", ["this is not a model", "still not", "nope"])
    monkeypatch.setenv("OPTCOPILOT_APP_LLM", f"scripted:{path}")
    at = run_example(start())
    assert any(e.startswith("No formulation:") for e in errors(at))
    attempts = [e.label for e in at.expander if e.label.startswith("Attempt")]
    # three answers of the greedy chain; the second opinion it asked for ran out of scripted answers
    assert len(attempts) == 4 and "second-opinion" in attempts[3] and "LLMError" in attempts[3]


def test_missing_script_shows_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPTCOPILOT_APP_LLM", f"scripted:{tmp_path / 'missing.json'}")
    at = start()
    at.text_area(key="problem_text").set_value("Maximize x with x <= 3.")
    at.button(key="run").click().run()
    assert not at.exception
    if importlib.util.find_spec("optcopilot.formulate.pipeline") is not None:
        assert any("Cannot read the script" in e for e in errors(at))


def test_empty_problem_text_is_refused():
    at = start()
    at.button(key="run").click().run()
    assert any("Type a problem first" in e for e in errors(at))


@pytest.mark.parametrize(("name", "data"), [("model.json", b"\x00\x01\x02\x03"), ("model.json", b"{nope"),
                                            ("model.mps", b"\x89PNG\r\n\x1a\n\x00\x00garbage")])
def test_bad_model_upload_shows_an_error(name: str, data: bytes):
    at = start()
    at.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert any(e.startswith(f"Cannot load {name}") for e in errors(at))
    assert not at.tabs


def test_bad_csv_upload_shows_an_error():
    at = start()
    at.file_uploader(key="csv_upload").set_value(("t.csv", b"\x00\xff\x00binary", "text/csv")).run()
    assert not at.exception
    assert any("Bad table upload" in e for e in errors(at))


def test_paste_a_model_then_check_equivalence():
    model = llm_json_to_formulation(PRODUCTION_ANSWER).to_json()
    at = start()
    at.text_area(key="model_paste").set_value("[1, 2")
    at.button(key="load_pasted").click().run()
    assert any("Cannot load the pasted model" in e for e in errors(at))
    at.text_area(key="model_paste").set_value(model)
    at.button(key="load_pasted").click().run()
    assert float(objective(at)) == pytest.approx(PRODUCTION_OPTIMUM)
    assert any("No LLM attempts" in c.value for c in at.caption)
    at.text_area(key="equiv_paste").set_value("not json")
    at.button(key="equiv_run").click().run()
    assert any("malformed JSON" in e for e in errors(at))
    at.text_area(key="equiv_paste").set_value(model)
    at.button(key="equiv_run").click().run()
    assert not at.exception
    if importlib.util.find_spec("optcopilot.equivalence") and hasattr(
            importlib.import_module("optcopilot.equivalence"), "check_equivalence"):
        assert any(s.startswith("Equivalent") for s in successes(at))
    else:
        assert any("equivalence checker" in e for e in errors(at))


def test_infeasible_model_explains_the_conflict():
    data = dict(PRODUCTION_ANSWER)
    data["constraints"] = [*PRODUCTION_ANSWER["constraints"],
                           {"name": "min_tables", "expression": "make['table'] >= 100", "forall": ""}]
    at = start()
    at.text_area(key="model_paste").set_value(llm_json_to_formulation(data).to_json())
    at.button(key="load_pasted").click().run()
    assert not at.exception
    infeasible = [e for e in errors(at) if "infeasible" in e]
    assert infeasible
    assert "min_tables" in infeasible[0] or "no irreducible" in infeasible[0]



@needs_pipeline
def test_the_accurate_choice_reaches_the_pipeline(scripted_llm, monkeypatch: pytest.MonkeyPatch):
    from optcopilot.app import logic
    from optcopilot.formulate.techniques import Techniques

    seen: list[Techniques | None] = []
    real = logic.formulate_and_solve

    def spy(*args, techniques=None, **kwargs):
        seen.append(techniques)
        return real(*args, techniques=techniques, **kwargs)

    monkeypatch.setattr(logic, "formulate_and_solve", spy)
    at = start()
    assert at.sidebar.radio(key="techniques").value == "fast (default)"
    at.sidebar.radio(key="techniques").set_value("accurate").run()
    at = run_example(at)
    assert float(objective(at)) == pytest.approx(PRODUCTION_OPTIMUM)
    assert seen == [Techniques.parse("accurate")]
