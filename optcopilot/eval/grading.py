"""Grade one record: map the prediction onto the reference keys, score it, give it a `Category`."""

from __future__ import annotations

from optcopilot.eval.alternatives import objective_matches, reference_is_alternative_optimum
from optcopilot.eval.keymap import Prediction, map_keys
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.scoring import Rule, finite_number, score
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Termination

HINTED = frozenset({Category.TIMEOUT, Category.LLM_ERROR, Category.INVALID_IR, Category.ERROR})
"""Failure categories a mode may decide before scoring (they win over what the status says)."""


def categorize(*, correct: bool, status: Termination | None, failure: Category | None = None,
               has_value: bool = False) -> Category:
    """The category of one record: ``ok`` when correct, else the mode's failure hint, else from the status."""
    if correct:
        return Category.OK
    if failure in HINTED:
        return failure
    if status is not None and status.infeasible:
        return Category.INFEASIBLE
    if status == Termination.UNBOUNDED:
        return Category.UNBOUNDED
    if status is not None and status.time_limit:
        return Category.TIMEOUT
    if has_value:
        return Category.WRONG_VALUE
    return Category.NO_ANSWER


def grade(rec: EvalRecord, problem: Problem, prediction: Prediction | None, rule: str | Rule | None,
          failure: Category | None = None) -> None:
    """Fill ``mapped``/``predicted``/``unmapped_keys``/``verdict``/``category`` of ``rec``."""
    predicted: dict[str, float] = {}
    if prediction is not None:
        km = map_keys(list(problem.answers), prediction, objective_key=problem.objective_key)
        rec.mapped = dict(km.mapping)
        predicted = dict(km.values)
        if prediction.objective is not None:
            predicted.setdefault("objective", float(prediction.objective))
        rec.predicted = predicted
        rec.unmapped_keys = list(km.unmapped)
    rec.verdict = score(problem, predicted, rec.status, rule)
    rec.category = categorize(correct=rec.verdict.correct, status=rec.status, failure=failure,
                              has_value=rec.objective is not None)


def check_alternative_optimum(rec: EvalRecord, problem: Problem, formulation: Formulation,
                              time_limit: float) -> None:
    """Right objective, other variable values: is the reference solution an optimum of our model too?

    Stored in the verdict (``alternative_checked``/``alternative_optimum``); the rule's verdict is unchanged.
    """
    key = problem.objective_key
    if rec.category != Category.WRONG_VALUE or rec.verdict is None or not key or rec.objective is None:
        return
    if not objective_matches(rec.objective, finite_number(problem.answers.get(key))):
        return
    try:
        verdict = reference_is_alternative_optimum(formulation, rec.mapped, problem.answers, rec.objective,
                                                   time_limit=min(time_limit, 20.0))
    except Exception:  # a check that cannot run leaves the verdict as it is
        verdict = None
    rec.verdict.alternative_checked = True
    rec.verdict.alternative_optimum = verdict
