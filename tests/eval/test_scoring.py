"""Scoring rules on hand-made problems (no shared data needed)."""

from __future__ import annotations

import pytest

from optcopilot.eval.problems import Problem
from optcopilot.eval.scoring import RULES, LlmoptRule, ObjectiveRule, default_rule, score
from optcopilot.solve.result import normalize_status_word as normalize_status

LAPTOPS = Problem(
    id="t:1",
    text="laptops",
    answers={"Quantity of Laptop": 66.0, "Quantity of Desktop": 120.0, "Total Profit": 283200.0},
    objective_key="Total Profit",
    ptype="linear-notable",
    source="optibench",
)
SINGLE = Problem(id="t:2", text="q", answers={"objective": 1160.0}, source="mamo-easy")
INFEASIBLE = Problem(id="t:3", text="q", answers={"objective": None}, infeasible=True, source="sirl-nl4opt")


def test_rule_names() -> None:
    assert set(RULES) == {"optibench", "objective", "llmopt", "orlm", "sirl", "infeasible"}
    assert all(name == rule.name for name, rule in RULES.items())


def test_optibench_all_keys_within_1e4() -> None:
    pred = {"Quantity of Laptop": 66.00004, "Quantity of Desktop": 120.0, "Total Profit": 283200.0}
    verdict = score(LAPTOPS, pred, "optimal", "optibench")
    assert verdict.correct and verdict.rule == "optibench" and verdict.unmapped_keys == []
    assert verdict.details["Quantity of Laptop"].ok


def test_optibench_strict_tolerance_and_wrong_key() -> None:
    pred = {"Quantity of Laptop": 66.0, "Quantity of Desktop": 120.0002, "Total Profit": 283200.0}
    verdict = score(LAPTOPS, pred, "optimal")  # default rule for source "optibench"
    assert not verdict.correct
    assert not verdict.details["Quantity of Desktop"].ok
    assert verdict.details["Quantity of Desktop"].ref == 120.0


def test_optibench_missing_key_is_unmapped_and_wrong() -> None:
    verdict = score(LAPTOPS, {"Total Profit": 283200.0}, "optimal", "optibench")
    assert not verdict.correct
    assert verdict.unmapped_keys == ["Quantity of Laptop", "Quantity of Desktop"]


def test_objective_rule_uses_objective_key_and_alias() -> None:
    assert score(LAPTOPS, {"Total Profit": 283200.0}, "optimal", "objective").correct
    assert score(LAPTOPS, {"objective": 283210.0}, "optimal", "objective").correct  # rel 1e-4 = 28.3
    assert not score(LAPTOPS, {"objective": 283300.0}, "optimal", "objective").correct


def test_objective_abs_or_rel() -> None:
    tiny = Problem(id="t", text="q", answers={"objective": 0.0}, source="x")
    assert score(tiny, {"objective": 5e-5}, "optimal", "objective").correct  # abs
    assert score(SINGLE, {"objective": 1160.1}, "optimal", "objective").correct  # rel (0.116)
    assert not score(SINGLE, {"objective": 1160.2}, "optimal", "objective").correct
    strict = ObjectiveRule(abs_tol=1e-9, rel_tol=1e-9)
    assert not score(SINGLE, {"objective": 1160.1}, "optimal", strict).correct


def test_objective_key_unknown() -> None:
    p = Problem(id="t", text="q", answers={"a": 1.0, "b": 2.0}, objective_key=None, source="optibench")
    verdict = score(p, {"a": 1.0, "b": 2.0}, "optimal", "objective")
    assert not verdict.correct and "unknown" in verdict.reason
    assert score(p, {"a": 1.0, "b": 2.0}, "optimal", "optibench").correct


def test_llmopt_rounding() -> None:
    p = Problem(id="t", text="q", answers={"objective": 0.35}, source="llmopt-optibench")
    assert default_rule(p.source) == "llmopt"
    assert score(p, {"objective": 0.3536}, "optimal").correct  # 2-dp rounded reference
    assert not score(p, {"objective": 0.3536}, "optimal", "objective").correct
    assert not score(p, {"objective": 0.356}, "optimal").correct
    assert score(SINGLE, {"objective": 1160.004}, "optimal", LlmoptRule()).correct


def test_orlm_round_then_5_percent() -> None:
    assert score(SINGLE, {"objective": 1217.0}, "optimal", "orlm").correct  # 4.9 %
    assert not score(SINGLE, {"objective": 1220.0}, "optimal", "orlm").correct  # 5.2 %
    zero = Problem(id="t", text="q", answers={"objective": 0.4}, source="x")  # round(0.4) == 0
    assert score(zero, {"objective": 0.45}, "optimal", "orlm").correct  # round -> 0
    assert not score(zero, {"objective": 0.6}, "optimal", "orlm").correct  # round -> 1


def test_sirl_tolerance() -> None:
    assert score(SINGLE, {"objective": 1160.0005}, "optimal", "sirl").correct  # 4.3e-7
    assert not score(SINGLE, {"objective": 1160.002}, "optimal", "sirl").correct


@pytest.mark.parametrize("rule", sorted(RULES))
def test_infeasible_reference_needs_infeasible_prediction(rule: str) -> None:
    assert score(INFEASIBLE, {}, "No Best Solution", rule).correct
    assert score(INFEASIBLE, {}, "INFEASIBLE", rule).correct
    verdict = score(INFEASIBLE, {"objective": 3.0}, "optimal", rule)
    assert not verdict.correct and "infeasible" in verdict.reason


def test_infeasible_or_unbounded_reference_accepts_unbounded() -> None:
    p = Problem(
        id="t",
        text="q",
        answers={"objective": None},
        infeasible=True,
        source="x",
        extra={"reference_status": "infeasible_or_unbounded"},
    )
    assert score(p, {}, "unbounded").correct
    assert not score(INFEASIBLE, {}, "unbounded").correct


def test_feasible_reference_status_checks() -> None:
    assert not score(SINGLE, {"objective": 1160.0}, "infeasible").correct
    verdict = score(SINGLE, {"objective": 1160.0}, "time limit")
    assert not verdict.correct and "time_limit" in verdict.reason
    assert not score(SINGLE, {"objective": 1160.0}, "error").correct
    assert score(SINGLE, {"objective": 1160.0}, "Locally Optimal").correct
    assert not score(SINGLE, {"objective": 1160.0}, "optimal", "infeasible").correct


def test_non_finite_prediction_is_unmapped() -> None:
    verdict = score(SINGLE, {"objective": float("nan")}, "optimal")
    assert not verdict.correct and verdict.unmapped_keys == ["objective"]


def test_unknown_rule() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        score(SINGLE, {"objective": 1.0}, "optimal", "nope")


def test_normalize_status() -> None:
    assert normalize_status("No Best Solution") == "no_best_solution"
    assert normalize_status(" infeasible-or-unbounded ") == "infeasible_or_unbounded"
    assert normalize_status(None) == ""


@pytest.mark.parametrize(
    ("dataset", "rule"),
    [
        ("optibench", "optibench"),
        ("nl4opt-e", "optibench"),
        ("clean-resocratic", "optibench"),
        ("nl4opt", "llmopt"),
        ("llmopt-task3", "llmopt"),
        ("sirl-optibench", "llmopt"),
        ("mamo-easy", "objective"),
        ("industryor", "objective"),
        ("sirl-nl4opt", "objective"),
        ("miplib-mps", "objective"),
        ("miplib-nl", "objective"),
    ],
)
def test_default_rule(dataset: str, rule: str) -> None:
    assert default_rule(dataset) == rule
