"""Mode ``pipeline``: our formulate → validate → solve pipeline (`formulate_and_solve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.equivalence_grading import grade_equivalence
from optcopilot.eval.grading import check_alternative_optimum, grade
from optcopilot.eval.keymap import Prediction
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.pipeline_report import objective_right_of
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord, LLMCalls, Tokens
from optcopilot.formulate.audit import audit_answer, table_numbers
from optcopilot.formulate.events import FailureKind
from optcopilot.formulate.pipeline import formulate_and_solve
from optcopilot.formulate.records import PrefixVote
from optcopilot.formulate.techniques import Techniques, excluded_sources
from optcopilot.ir.model import Formulation
from optcopilot.llm.base import LLMBackend, LLMError
from optcopilot.solve.result import Result, Termination

_CATEGORY_OF_FAILURE = {FailureKind.LLM_TIMEOUT: Category.TIMEOUT, FailureKind.LLM_ERROR: Category.LLM_ERROR}


def failure_category(kind: FailureKind | None, status: Termination | None) -> Category | None:
    """The category a pipeline failure decides before scoring.

    LLM timeouts and errors are their own categories. Any other failure without a usable solve means no
    valid model came out (``invalid_ir``); with a solve, the status speaks (e.g. infeasible).
    """
    if kind in _CATEGORY_OF_FAILURE:
        return _CATEGORY_OF_FAILURE[kind]
    if status is None or status == Termination.ERROR:
        return Category.INVALID_IR
    return None


def _llm_usage(llm: dict[str, Any]) -> tuple[Tokens, LLMCalls]:
    tokens = Tokens(int(llm.get("prompt_tokens", 0) or 0), int(llm.get("completion_tokens", 0) or 0))
    return tokens, LLMCalls(int(llm.get("calls", 0) or 0), int(llm.get("cached_calls", 0) or 0))


def evaluate(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None) -> EvalRecord:
    """Formulate and solve ``problem.text`` with ``backend``; grade the answer."""
    if backend is None:
        raise LLMError("no LLM backend")
    rec = MODE.new_record(problem, cfg)
    tables: dict[str, str | Path] = dict(problem.tables)
    # the evaluated dataset's own items are never shown as worked examples (near-duplicates are dropped too)
    outcome = formulate_and_solve(problem.text, backend, tables=tables or None, samples=cfg.samples,
                                  time_limit=cfg.time_limit, llm_timeout=cfg.llm_timeout,
                                  techniques=Techniques.parse(cfg.techniques),
                                  exclude_sources=excluded_sources(cfg.dataset), prefix_votes=cfg.samples > 1)
    data = outcome.to_dict()
    rec.formulation = data.get("formulation")
    rec.attempts = list(data.get("attempts", []))
    rec.confidence = outcome.confidence
    rec.error = outcome.error
    rec.tokens, rec.llm_calls = _llm_usage(outcome.llm or {})
    rec.examples, rec.dropped_examples = list(outcome.examples), dict(outcome.dropped_examples)
    formulation, result = outcome.formulation, outcome.result
    if formulation is not None and result is not None and result.objective is not None and outcome.attempts:
        answer = next((a.response for a in reversed(outcome.attempts)
                       if a.formulation_json == formulation.to_json(indent=None)), "")
        rec.checks = audit_answer(formulation, problem.text, rec.examples, answer, table_numbers(tables),
                                  legacy=Techniques.parse(cfg.techniques).legacy)
    _grade_answer(rec, problem, cfg, formulation, result, outcome.error_kind)
    if formulation is not None:
        check_alternative_optimum(rec, problem, formulation, cfg.time_limit)
    grade_equivalence(rec, problem, formulation, cfg.time_limit)
    if outcome.prefix_votes:
        rec.prefix_votes = {str(m): _graded_prefix(problem, cfg, vote) for m, vote in outcome.prefix_votes.items()}
    return rec


def _grade_answer(rec: EvalRecord, problem: Problem, cfg: EvalConfig, formulation: Formulation | None,
                  result: Result | None, error_kind: FailureKind | None) -> None:
    """Status, objective and values of `result` into `rec`, graded under the run's rule."""
    prediction = None
    if result is not None:
        rec.status = result.status
        rec.objective = result.objective
        rec.values = dict(result.variables)
        descriptions: dict[str, str] = {}
        objective_description = ""
        if formulation is not None:
            family = {v.name: v.description for v in formulation.variables}
            descriptions = {n: family.get(n.split("[", 1)[0], "") for n in result.variables}
            objective_description = formulation.objective.description
        prediction = Prediction(result.objective, dict(result.variables), descriptions, objective_description)
    grade(rec, problem, prediction, MODE.rule_for(cfg), failure_category(error_kind, rec.status))


def _graded_prefix(problem: Problem, cfg: EvalConfig, vote: PrefixVote) -> dict[str, Any]:
    """The answer a run with fewer samples would have given, graded like the record itself."""
    sub = MODE.new_record(problem, cfg)
    _grade_answer(sub, problem, cfg, vote.formulation, vote.result, vote.error_kind)
    return {"samples": vote.samples, "category": sub.category.value,
            "correct": bool(sub.verdict and sub.verdict.correct), "objective_right": objective_right_of(sub),
            "objective": sub.objective, "confidence": vote.confidence, "seconds": round(vote.seconds, 3)}


MODE = EvalMode("pipeline", "our pipeline: formulate in the IR, validate, solve, repair, vote", evaluate)
