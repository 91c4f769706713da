"""The pipeline with a scripted LLM: repair loop, voting, tables, failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optcopilot.formulate import pipeline
from optcopilot.formulate.pipeline import group_by_objective, parse_answer
from optcopilot.llm import ScriptedBackend


def formulate_and_solve(text: str, llm: ScriptedBackend, **kw: Any) -> pipeline.Outcome:
    """The pipeline on the JSON surface (these tests script JSON answers)."""
    return pipeline.formulate_and_solve(text, llm, **{"surface": "json", **kw})


def formulate_only(text: str, llm: ScriptedBackend, **kw: Any) -> pipeline.Outcome:
    return pipeline.formulate_only(text, llm, **{"surface": "json", **kw})


def model(obj: str = "3*x + 2*y", cap: str = "x + y <= 4", sense: str = "maximize") -> str:
    return json.dumps({
        "sets": [], "parameters": [],
        "variables": [{"name": "x", "description": "units of x", "index": [], "type": "continuous", "lb": 0,
                       "ub": None},
                      {"name": "y", "description": "units of y", "index": [], "type": "continuous", "lb": 0,
                       "ub": None}],
        "objective": {"sense": sense, "expression": obj},
        "constraints": [{"name": "cap", "expression": cap, "forall": ""}],
    })


def test_single_shot() -> None:
    llm = ScriptedBackend([model()])
    out = formulate_and_solve("Maximize 3x+2y with x+y<=4.", llm)
    assert out.error is None and out.result is not None
    assert out.result.objective == pytest.approx(12.0)
    assert out.confidence == 1.0
    assert [a.stage for a in out.attempts] == ["generate"]
    assert llm.calls[0].json_schema is not None and llm.calls[0].temperature == 0.0
    assert out.llm["calls"] == 1
    json.dumps(out.to_dict())


def test_repair_after_invalid_answer() -> None:
    bad = model(obj="3*x + 2*z")  # unknown symbol z
    llm = ScriptedBackend([bad, model()])
    out = formulate_and_solve("p", llm)
    assert out.result is not None and out.result.objective == pytest.approx(12.0)
    assert [a.stage for a in out.attempts] == ["generate", "repair"]
    assert "z" in (out.attempts[0].error or "")
    repair_prompt = llm.calls[1].messages[-1]["content"]
    assert "z" in repair_prompt and llm.calls[1].messages[-2]["content"] == bad


def test_repair_after_not_json_then_gives_up() -> None:
    llm = ScriptedBackend(["this is not json", "still {not json", "nope"])
    out = formulate_and_solve("p", llm, max_repairs=2)
    assert out.result is None and out.formulation is None
    assert len(out.attempts) == 3
    assert "not valid JSON" in (out.attempts[0].error or "")
    assert out.error is not None and "after 3 attempt(s)" in out.error


def test_infeasible_feedback_names_iis() -> None:
    infeasible = json.dumps({**json.loads(model()), "constraints": [
        {"name": "cap", "expression": "x + y <= 4", "forall": ""},
        {"name": "need", "expression": "x >= 10", "forall": ""}]})
    llm = ScriptedBackend([infeasible, model()])
    out = formulate_and_solve("p", llm)
    assert "infeasible" in (out.attempts[0].error or "")
    assert "need" in (out.attempts[0].error or "")
    assert out.result is not None and out.result.objective == pytest.approx(12.0)


def test_unbounded_feedback_names_variables() -> None:
    llm = ScriptedBackend([model(cap="x - y <= 4"), model()])
    out = formulate_and_solve("p", llm)
    err = out.attempts[0].error or ""
    assert "unbounded" in err and "x" in err and "y" in err
    assert out.result is not None and out.result.objective == pytest.approx(12.0)


def test_infeasible_after_all_repairs_is_reported() -> None:
    infeasible = model(cap="x + y <= -1")
    out = formulate_and_solve("p", ScriptedBackend([infeasible] * 2), max_repairs=1)
    assert out.result is not None and out.result.status.value == "infeasible"
    assert out.error is not None and "infeasible" in out.error


def test_voting_majority_and_confidence() -> None:
    answers = [model(), model(obj="x + y"), model(obj="3*x + 2*y + 0")]
    llm = ScriptedBackend(answers)
    out = formulate_and_solve("p", llm, samples=3)
    assert out.result is not None and out.result.objective == pytest.approx(12.0)
    assert out.confidence == pytest.approx(2 / 3)
    assert [a.stage for a in out.attempts] == ["sample"] * 3
    assert [c.seed for c in llm.calls] == [1, 2, 3]
    assert all(c.temperature > 0 for c in llm.calls)


def test_five_samples_also_record_the_vote_of_their_first_three() -> None:
    # samples 1-3 vote 12 (two of three); samples 4 and 5 make x + y (4) the majority of five
    answers = [model(), model(obj="x + y"), model(obj="3*x + 2*y + 0"), model(obj="x + y"), model(obj="y + x")]
    out = formulate_and_solve("p", ScriptedBackend(answers), samples=5, prefix_votes=True)
    assert out.result is not None and out.result.objective == pytest.approx(4.0)
    assert list(out.prefix_votes) == [3]
    three = out.prefix_votes[3]
    assert three.samples == 3 and three.result is not None and three.result.objective == pytest.approx(12.0)
    assert three.confidence == pytest.approx(2 / 3) and three.error_kind is None and three.seconds > 0


def test_prefix_vote_keeps_the_llm_failure_that_stopped_its_last_chain() -> None:
    answers: list[Any] = [model(cap="x + y <= -1"), model(cap="x + y <= -2"), {"timeout": True}]
    out = formulate_and_solve("p", ScriptedBackend(answers), samples=5, max_repairs=0, prefix_votes=True)
    three = out.prefix_votes[3]
    assert three.error_kind is not None and three.error_kind.value == "llm_timeout"  # as a K = 3 run ends
    assert three.result is None or three.result.objective is None


def test_no_prefix_vote_for_one_or_three_samples() -> None:
    assert formulate_and_solve("p", ScriptedBackend([model()])).prefix_votes == {}
    assert formulate_and_solve("p", ScriptedBackend([model()] * 3), samples=3, prefix_votes=True).prefix_votes == {}
    five = [model()] * 5  # not asked for (the CLI): no extra vote
    assert formulate_and_solve("p", ScriptedBackend(five), samples=5).prefix_votes == {}


def test_group_by_objective() -> None:
    assert group_by_objective([1.0, 1.0 + 1e-9, 2.0, 0.0, 1e-12]) == [[0, 1], [2], [3, 4]]


def test_llm_timeout_is_one_line_error() -> None:
    out = formulate_and_solve("p", ScriptedBackend([{"timeout": True}]))
    assert out.result is None and out.error is not None and out.error.startswith("LLM timeout")


def test_llm_error() -> None:
    out = formulate_and_solve("p", ScriptedBackend([{"error": "boom"}]))
    assert out.error == "LLM error: boom"


def test_empty_text() -> None:
    out = formulate_and_solve("  ", ScriptedBackend([]))
    assert out.error is not None and "empty" in out.error


def test_formulate_only() -> None:
    out = formulate_only("p", ScriptedBackend(["{}", model()]))
    assert out.formulation is not None and out.result is None and len(out.attempts) == 2


def test_dsl_surface() -> None:
    llm = ScriptedBackend(["```python\nx = var()\ny = var()\nmaximize(3*x + 2*y)\nsubject_to(x + y <= 4)\n```"])
    out = formulate_and_solve("p", llm, surface="dsl")
    assert llm.calls[0].json_schema is None
    assert out.result is not None and out.result.objective == pytest.approx(12.0)


def test_tidy_drops_stray_parameters() -> None:
    answer = json.loads(model())
    answer["parameters"] = [{"name": "x", "index": [], "value": [1]},
                            {"name": "unused", "index": ["Nope"], "value": [1, 2]},
                            {"name": "cap4", "index": [], "value": [4]}]
    answer["constraints"][0]["expression"] = "x + y <= cap4"
    f = parse_answer(json.dumps(answer), "json")
    assert [p.name for p in f.parameters] == ["cap4"] and f.parameters[0].value == 4


def test_csv_table_becomes_parameters(tmp_path: Path) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text("product,profit,hours\nchair,30,4\ntable,50,6\n", encoding="utf-8")
    answer = json.dumps({
        "sets": [{"name": "Products", "elements": ["wrong"]}], "parameters": [],
        "variables": [{"name": "make", "description": "units", "index": ["Products"], "type": "continuous",
                       "lb": 0, "ub": None}],
        "objective": {"sense": "maximize", "expression": "sum(profit[p]*make[p] for p in Products)"},
        "constraints": [{"name": "hours_cap", "expression": "sum(hours[p]*make[p] for p in Products) <= 240",
                         "forall": ""}]})
    llm = ScriptedBackend([answer])
    out = formulate_and_solve("Make chairs and tables.", llm, tables={"products": csv})
    prompt = llm.calls[0].messages[-1]["content"]
    assert "set Products" in prompt and "param profit[Products]" in prompt and "chair,30" not in prompt
    assert out.result is not None and out.result.objective == pytest.approx(2000.0)
    assert out.formulation is not None and out.formulation.sets[0].elements == ["chair", "table"]


def test_cache_hits_are_counted(tmp_path: Path) -> None:
    from optcopilot.llm import CachedBackend

    inner = ScriptedBackend([model()])
    cached = CachedBackend(inner, tmp_path / "c.sqlite")
    first = formulate_and_solve("Maximize 3x+2y with x+y<=4.", cached)
    again = formulate_and_solve("Maximize 3x+2y with x+y<=4.", cached)
    assert len(inner.calls) == 1  # the second run never reached the model
    assert (first.llm["calls"], first.llm["cached_calls"]) == (1, 0)
    assert (again.llm["calls"], again.llm["cached_calls"]) == (1, 1)
    assert [a.cached for a in again.attempts] == [True]
    assert again.result is not None and again.result.objective == pytest.approx(12.0)
