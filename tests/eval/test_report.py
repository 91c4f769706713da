"""Report: summary numbers, summary.md/json, PNG plots, side-by-side comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optcopilot.eval.records import EvalRecord
from optcopilot.eval.report import compare_runs, render_markdown, summarize, write_report
from optcopilot.eval.store import append_json_line


def rec(i: str, ptype: str, category: str, *, objective: float | None = 1.0, status: str = "optimal",
        unmapped: list[str] | None = None, tokens: int = 10) -> dict[str, Any]:
    return {
        "id": i, "dataset": "optibench", "ptype": ptype, "mode": "pipeline", "llm": "scripted",
        "status": status, "objective": objective, "category": category,
        "reference": {"a": 1.0, "b": 2.0}, "predicted": {"a": 1.0} if objective is not None else {},
        "unmapped_keys": unmapped or [], "verdict": {"rule": "optibench", "correct": category == "ok"},
        "tokens": {"prompt": tokens, "completion": tokens // 2}, "seconds": 2.0,
    }


RECORDS = [
    rec("1", "linear-table", "ok"),
    rec("2", "linear-table", "wrong_value", unmapped=["b"]),
    rec("3", "linear-notable", "ok"),
    rec("4", "nonlinear-notable", "invalid_ir", objective=None, status="no_answer"),
    rec("5", "nonlinear-table", "infeasible", objective=None, status="infeasible"),
    rec("2", "linear-table", "ok"),  # duplicate id: the first record counts
]
CONFIG = {"config": {"dataset": "optibench", "mode": "pipeline", "llm_spec": "scripted", "rule": "optibench",
                     "time_limit": 30.0, "llm_timeout": 60.0, "samples": 1},
          "ids": ["1", "2", "3", "4", "5", "6"]}


def test_summarize_numbers() -> None:
    s = summarize([EvalRecord.from_json(r) for r in RECORDS], CONFIG)
    assert (s["n"], s["selected"], s["pending"], s["correct"]) == (5, 6, 1, 2)
    assert s["accuracy"] == 0.4
    assert s["executed"] == 4 and s["execution_rate"] == 0.8  # objective or a definitive infeasible answer
    assert s["by_type"]["linear-table"] == {"n": 2, "correct": 1, "executed": 2, "accuracy": 0.5,
                                            "execution_rate": 1.0}
    assert s["failures"]["ok"] == 2 and s["failures"]["invalid_ir"] == 1 and s["failures"]["timeout"] == 0
    assert s["tokens"] == {"prompt": 50, "completion": 25, "total": 75, "mean_per_problem": 15.0}
    assert s["reference_keys"] == {"total": 6, "unmapped": 1, "problems_with_unmapped": 1}
    assert s["rule"] == "optibench" and "1e-4" in s["rule_note"]
    md = render_markdown(s)
    assert "**Accuracy: 2/5 = 40.0%**" in md and "| linear-table | 2 | 1 | 50.0% | 100.0% |" in md
    assert "1 of 6 reference keys could not be mapped" in md
    assert "- Throughput: 1800 problems per hour" in md  # 2 s per problem


def _run_dir(path: Path, records: list[dict[str, Any]], config: dict[str, Any]) -> Path:
    path.mkdir()
    (path / "config.json").write_text(json.dumps(config))
    for r in records:
        append_json_line(path / "results.jsonl", r)
    return path


def test_write_report_files_and_plots(tmp_path: Path) -> None:
    out = _run_dir(tmp_path / "run", RECORDS, CONFIG)
    summary = write_report(out)
    assert json.loads((out / "summary.json").read_text()) == summary
    assert (out / "summary.md").read_text().startswith("# Evaluation: optibench (pipeline, llm scripted)")
    for name in ("accuracy_by_type.png", "failures.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_empty_run_still_reports(tmp_path: Path) -> None:
    out = _run_dir(tmp_path / "empty", [], {"config": {"dataset": "x", "mode": "pipeline"}, "ids": []})
    s = write_report(out)
    assert s["n"] == 0 and s["accuracy"] is None
    assert (out / "failures.png").exists()


def test_compare_runs_side_by_side(tmp_path: Path) -> None:
    a = _run_dir(tmp_path / "ours", RECORDS, CONFIG)
    other = [dict(r, mode="direct-code", category="ok" if r["id"] in "12" else "no_answer") for r in RECORDS]
    b = _run_dir(tmp_path / "baseline", other, {**CONFIG, "config": {**CONFIG["config"], "mode": "direct-code"}})
    table = compare_runs([a, b])
    lines = table.splitlines()
    assert lines[0] == "| | ours | baseline |"
    assert "| **accuracy** | **40.0%** (2) | **40.0%** (2) |" in table
    assert any(line.startswith("| acc nonlinear-notable |") for line in lines)
    assert any(line.startswith("| no_answer | 0 | 3 |") for line in lines)
