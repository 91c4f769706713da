"""The pipeline's repair figures in a run's summary: repeats, resampled drafts, fixes by error kind."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from optcopilot.eval.pipeline_report import pipeline_lines, repair_figures, second_opinion_figures


def attempt(stage: str, response: str, **kw: object) -> dict[str, object]:
    return {"stage": stage, "response": response, "sample": 0, "error": None, "error_kind": None, **kw}


def test_repairs_are_counted_by_what_they_were_given_and_what_came_out() -> None:
    chains = [
        [attempt("generate", "A", error="infeasible", error_kind="infeasible"),
         attempt("repair", "B", repairs="infeasible")],  # fixed
        [attempt("generate", "C", error="x", error_kind="invalid:unknown-symbol"),
         attempt("repair", "D", repairs="invalid:unknown-symbol", resampled=True, error="y",
                 error_kind="invalid:unknown-symbol")],  # a resampled draft, not fixed
        [attempt("generate", "E", error="infeasible", error_kind="infeasible"),
         attempt("repair", "E", repairs="infeasible", resampled=True, repeated=True,
                 error="the repair repeated an earlier answer", error_kind="repeated")],
    ]
    figures = repair_figures(chains)
    assert (figures["calls"], figures["repeated"], figures["resampled"], figures["fixed"]) == (3, 1, 2, 1)
    assert figures["by_kind"] == {"infeasible": {"given": 2, "fixed": 1}, "invalid": {"given": 1, "fixed": 0}}


def test_old_records_without_tags_are_read_by_comparing_texts() -> None:
    chains = [[{"stage": "generate", "response": "A  B", "error": "model is infeasible"},
               {"stage": "repair", "response": "A B", "error": "model is infeasible"}]]
    figures = repair_figures(chains)
    assert figures["repeated"] == 1 and figures["by_kind"] == {"infeasible": {"given": 1, "fixed": 0}}


def test_the_summary_lines_show_repeats_and_resampled_drafts() -> None:
    summary = {"n": 2, "objective_correct": 1, "median_seconds": 3.0, "accepted_audited": 1,
               "accepted_copied_example": 0, "accepted_alien_numbers": 0, "examples_dropped": {},
               "problems_with_retrieved_examples": 2,
               "repairs": {"calls": 4, "repeated": 1, "fixed": 2, "resampled": 2, "by_kind": {}}}
    text = "\n".join(pipeline_lines(summary))
    assert "repeating an earlier answer: 1/4 = 25.0 %" in text and "resampled (DRY sampler): 2/4 = 50.0 %" in text


def record(objective: float | None, attempts: list[dict[str, object]], reference: float = 10.0) -> Any:
    return SimpleNamespace(objective=objective, attempts=attempts, verdict=None, objective_key="obj",
                           reference={"obj": reference})


def test_second_opinions_are_counted_asked_taken_and_right() -> None:
    first = attempt("generate", "A", status="optimal", objective=7.0)
    records = [
        record(10.0, [first, attempt("second-opinion", "B", sample=1, status="optimal", objective=10.0)]),  # taken, right
        record(7.0, [first, attempt("second-opinion", "C", sample=1, status="optimal", objective=8.0)]),  # not taken
        record(9.0, [attempt("generate", "D", error="x", error_kind="infeasible"),
                     attempt("second-opinion", "E", sample=1, status="optimal", objective=9.0)]),  # taken, wrong
        record(7.0, [first]),  # not asked
    ]
    assert second_opinion_figures(records) == {"asked": 3, "taken": 2, "taken_right": 1}
