"""Scoring rules: compare a prediction with a ``Problem``'s reference answers.

Rules (``RULES``):

* ``optibench`` - every reference key must be predicted and ``|pred - ref| < 1e-4``
  (ReSocratic ``gpt_baseline.py``/``eval_sft_code.py``; the LLM reads each value off the
  code output rounded to 5 decimals; a run that is not solved to optimality is wrong).
* ``objective`` - objective only: ``|pred - ref| <= abs_tol`` OR ``<= rel_tol * |ref|``
  (both 1e-4 by default, configurable via ``ObjectiveRule(abs_tol=..., rel_tol=...)``).
* ``llmopt`` - objective only, for LLMOPT's references that are rounded to 2 decimals:
  ``|pred - ref| <= 0.005`` (half a unit of the 2nd decimal) OR the ``objective`` rule.
  LLMOPT publishes no numeric checker (its eval uses an LLM judge), so this is ours.
* ``orlm`` - ORLM ``eval/execute.py``: ``round()`` both values to integers (Python's
  round-half-even), then ``|pred - ref| / |ref| <= 0.05``; if the rounded ref is 0,
  ``|pred| <= 0.05``. A "No Best Solution" reference matches only an infeasible run.
* ``sirl`` - SIRL ``check_result``: ``|pred - ref| / (|ref| + 1) < 1e-6`` (their extra
  re-run with integer/continuous types flipped is not reproduced).
* ``infeasible`` - the reference must be infeasible and the prediction must say so.

Every rule first applies the status checks: an infeasible reference is matched only by an
infeasible prediction; a feasible reference needs an optimal (or locally optimal) status. Statuses are
`Termination` members; a status word (e.g. from a dataset) is converted with `Termination.from_text`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from optcopilot.eval.problems import Problem
from optcopilot.solve.result import Termination


@dataclass(frozen=True)
class KeyCheck:
    """Per-key comparison."""

    pred: float | None
    ref: float | None
    ok: bool


@dataclass
class Verdict:
    """Outcome of scoring one prediction."""

    correct: bool
    rule: str
    details: dict[str, KeyCheck] = field(default_factory=dict)
    unmapped_keys: list[str] = field(default_factory=list)
    reason: str = ""
    alternative_checked: bool = False  # right objective, other values: was the reference tried in our model?
    alternative_optimum: bool | None = None  # ... and is it an optimum there too (None: could not tell)


Compare = Callable[[float, float], bool]


def finite_number(value: object) -> float | None:
    """A finite int/float as float (bools, None, text, nan and inf give None)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def status_word(status: Termination | None) -> str:
    """The status as stored and shown; ``no_answer`` when nothing was solved."""
    return "no_answer" if status is None else status.value


def _status_verdict(problem: Problem, status: Termination | None, rule: str) -> Verdict | None:
    """Decide on status alone when possible (infeasible refs, failed runs)."""
    unbounded_ok = "unbounded" in str(problem.extra.get("reference_status", ""))
    if problem.infeasible:
        ok = status is not None and (status.infeasible or (unbounded_ok and status == Termination.UNBOUNDED))
        return Verdict(
            ok, rule, reason="reference infeasible; prediction " + ("agrees" if ok else f"is {status_word(status)!r}")
        )
    if status is not None and status.infeasible:
        return Verdict(False, rule, reason="prediction infeasible but reference has a value")
    if status is None or not status.optimal:
        return Verdict(False, rule, reason=f"status {status_word(status)!r} is not an optimal solve")
    return None


def _compare_keys(
    problem: Problem, predicted: Mapping[str, float], keys: list[str], rule: str, close: Compare
) -> Verdict:
    details: dict[str, KeyCheck] = {}
    unmapped: list[str] = []
    for key in keys:
        ref = problem.answers.get(key)
        pred = finite_number(predicted.get(key))
        if pred is None:
            unmapped.append(key)
        ok = pred is not None and ref is not None and close(pred, ref)
        details[key] = KeyCheck(pred, ref, ok)
    correct = bool(keys) and all(d.ok for d in details.values())
    reason = (
        "all keys match" if correct else f"{sum(not d.ok for d in details.values())} key(s) differ or missing"
    )
    return Verdict(correct, rule, details, unmapped, reason)


@dataclass(frozen=True)
class ObjectiveRule:
    """Objective only, absolute OR relative tolerance."""

    name: str = "objective"
    abs_tol: float = 1e-4
    rel_tol: float = 1e-4

    def close(self, pred: float, ref: float) -> bool:
        """True when pred is within abs_tol or rel_tol*|ref| of ref."""
        diff = abs(pred - ref)
        return diff <= self.abs_tol or diff <= self.rel_tol * abs(ref)

    def check(self, problem: Problem, predicted: Mapping[str, float]) -> Verdict:
        """Score the objective key only."""
        key = problem.objective_key
        if key is None or key not in problem.answers:
            return Verdict(False, self.name, reason="reference objective key unknown for this problem")
        pred = dict(predicted)
        if key not in pred and "objective" in pred:
            pred[key] = pred["objective"]
        return _compare_keys(problem, pred, [key], self.name, self.close)


@dataclass(frozen=True)
class LlmoptRule(ObjectiveRule):
    """Objective with half-a-cent tolerance for LLMOPT's 2-decimal references."""

    name: str = "llmopt"
    round_tol: float = 0.005 + 1e-9

    def close(self, pred: float, ref: float) -> bool:
        """True when pred rounds to the 2-decimal ref, or passes the objective rule."""
        return abs(pred - ref) <= self.round_tol or super().close(pred, ref)


@dataclass(frozen=True)
class OrlmRule(ObjectiveRule):
    """ORLM: integer-rounded values, 5% relative error."""

    name: str = "orlm"
    tol: float = 0.05

    def close(self, pred: float, ref: float) -> bool:
        """ORLM's check after Python round() of both values."""
        p, r = round(pred), round(ref)
        return abs(p) <= self.tol if r == 0 else abs((p - r) / r) <= self.tol


@dataclass(frozen=True)
class SirlRule(ObjectiveRule):
    """SIRL: |pred - ref| / (|ref| + 1) < 1e-6."""

    name: str = "sirl"
    tol: float = 1e-6

    def close(self, pred: float, ref: float) -> bool:
        """SIRL's scaled relative error."""
        return abs(pred - ref) / (abs(ref) + 1.0) < self.tol


@dataclass(frozen=True)
class OptiBenchRule:
    """Every reference key within an absolute 1e-4 (strict <)."""

    name: str = "optibench"
    abs_tol: float = 1e-4

    def close(self, pred: float, ref: float) -> bool:
        """ReSocratic's ``abs(llm - gt) < 1e-4``."""
        return abs(pred - ref) < self.abs_tol

    def check(self, problem: Problem, predicted: Mapping[str, float]) -> Verdict:
        """All keys must be present and close."""
        return _compare_keys(problem, predicted, list(problem.answers), self.name, self.close)


@dataclass(frozen=True)
class InfeasibleRule:
    """Only for infeasible references: the prediction must be infeasible."""

    name: str = "infeasible"

    def check(self, problem: Problem, predicted: Mapping[str, float]) -> Verdict:
        """Reached only when the reference is feasible (status checks come first)."""
        return Verdict(False, self.name, reason="reference is not infeasible; use a value rule")


Rule = ObjectiveRule | OptiBenchRule | InfeasibleRule
RULES: dict[str, Rule] = {
    r.name: r
    for r in (OptiBenchRule(), ObjectiveRule(), LlmoptRule(), OrlmRule(), SirlRule(), InfeasibleRule())
}

_LLMOPT_ROUNDED = {"nl4opt", "sirl-optibench"}  # same 2-decimal values as LLMOPT
_OPTIBENCH_SCHEMA = {"optibench", "nl4opt-e", "clean-resocratic"}


def default_rule(dataset: str) -> str:
    """Default rule name for a dataset (see the module docstring)."""
    if dataset in _OPTIBENCH_SCHEMA:
        return "optibench"
    if dataset.startswith("llmopt-") or dataset in _LLMOPT_ROUNDED:
        return "llmopt"
    return "objective"


def score(
    problem: Problem,
    predicted: Mapping[str, float],
    predicted_status: Termination | str | None,
    rule: str | Rule | None = None,
) -> Verdict:
    """Score ``predicted`` (reference key -> value) against ``problem``.

    ``predicted_status`` is a `Termination` (a status word is converted; None: nothing was solved).
    ``rule`` is a name from ``RULES``, a rule instance (e.g. ``ObjectiveRule(rel_tol=1e-6)``)
    or None for ``default_rule(problem.source)``.
    """
    if rule is None:
        rule = default_rule(problem.source)
    if isinstance(rule, str):
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
        rule = RULES[rule]
    verdict = _status_verdict(problem, Termination.from_text(predicted_status), rule.name)
    if verdict is not None:
        return verdict
    return rule.check(problem, predicted)
