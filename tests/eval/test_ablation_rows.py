"""`benchmarks/bench_ablation.py`: rows cut to the sample, and the K = 3 row read from a K = 5 run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optcopilot.eval.problems import Problem
from optcopilot.eval.runner import run_eval
from optcopilot.llm import ScriptedBackend
from tests.scripts import benchmark_script

ablation = benchmark_script("bench_ablation")

TEXT = "Maximize x. x is at most 3 and y is at most 5."


def answer(objective: str) -> str:
    return json.dumps({"variables": [{"name": "x", "type": "continuous", "lb": 0, "ub": 3},
                                     {"name": "y", "type": "continuous", "lb": 0, "ub": 5}],
                       "objective": {"sense": "maximize", "expression": objective}, "constraints": []})


def five_samples(tmp_path: Path) -> Path:
    """A K = 5 run of one problem whose first three samples vote right (x: 3) and all five wrong (y: 5)."""
    answers = iter([answer("x"), answer("y"), answer("x"), answer("y"), answer("y")])

    def reply(messages: Any, schema: Any) -> str:
        return next(answers)

    problems = [Problem(id="t:1", text=TEXT, answers={"objective": 3.0}, ptype="linear-notable", source="t"),
                Problem(id="t:2", text=TEXT, answers={"objective": 3.0}, ptype="linear-notable", source="t")]
    out = tmp_path / "ablation" / "K5"
    run_eval("t", out_dir=out, problems=problems[:1], backend=ScriptedBackend(reply), samples=5, progress=False,
             cache=False)
    return out


def test_a_five_sample_record_holds_the_graded_vote_of_its_first_three(tmp_path: Path) -> None:
    record = json.loads((five_samples(tmp_path) / "results.jsonl").read_text().splitlines()[0])
    assert record["category"] == "wrong_value" and record["objective"] == 5.0
    three = record["prefix_votes"]["3"]
    assert three["correct"] is True and three["objective_right"] is True and three["objective"] == 3.0
    assert three["category"] == "ok" and three["seconds"] > 0 and three["confidence"] == 2 / 3


def test_the_k3_row_comes_from_the_k5_run_when_k3_was_not_run(tmp_path: Path) -> None:
    five_samples(tmp_path)
    rows = {r["config"]: r for r in ablation.collect_rows(tmp_path / "ablation", {}, None)}
    assert rows["K=5"]["correct"] == 0 and rows["K=5"]["n"] == 1
    derived = rows["K=3 (first 3 of K=5)"]
    assert derived["n"] == 1 and derived["correct"] == 1 and derived["objective"] == 1
    assert derived["median_s"] < rows["K=5"]["median_s"]


def test_rows_count_only_the_problems_of_the_sample(tmp_path: Path) -> None:
    five_samples(tmp_path)
    assert [r["config"] for r in ablation.collect_rows(tmp_path / "ablation", {}, {"t:2"})] == []
    assert ablation.collect_rows(tmp_path / "ablation", {}, {"t:1"})[0]["n"] == 1
