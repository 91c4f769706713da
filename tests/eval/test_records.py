"""Typed records: every result file in benchmarks/results (schema version 1) still loads and summarizes the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optcopilot.eval.config import load_config
from optcopilot.eval.modes import MODES, mode_for, selectable_modes
from optcopilot.eval.records import SCHEMA_VERSION, Category, EvalRecord, LLMCalls, Tokens
from optcopilot.eval.report import summarize
from optcopilot.eval.scoring import KeyCheck, Verdict
from optcopilot.eval.store import append_record, read_json_lines, read_records
from optcopilot.solve.result import Termination

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
RUN_DIRS = sorted(p.parent for p in RESULTS.rglob("results.jsonl"))
V1_DIRS = [d for d in RUN_DIRS if '"schema"' not in (d / "results.jsonl").read_text().split("\n", 1)[0]]


def test_there_are_old_runs_to_check() -> None:
    assert len(RUN_DIRS) >= 5


def test_there_are_version_1_runs_to_check() -> None:
    assert len(V1_DIRS) >= 5


@pytest.mark.parametrize("run", V1_DIRS, ids=lambda p: str(p.relative_to(RESULTS)))
def test_version_1_records_read_and_write_back_unchanged(run: Path) -> None:
    raws = read_json_lines(run / "results.jsonl")
    assert raws and all("schema" not in raw for raw in raws)  # written before records were typed
    for raw in raws:
        rec = EvalRecord.from_json(raw)
        assert rec.schema == SCHEMA_VERSION
        again = rec.to_json()
        assert again.pop("schema") == SCHEMA_VERSION
        # the same keys and values, except optional keys that were written as null
        assert again == {k: v for k, v in raw.items() if k in again or v is not None}
        assert EvalRecord.from_json(rec.to_json()) == rec


@pytest.mark.parametrize("run", RUN_DIRS, ids=lambda p: str(p.relative_to(RESULTS)))
def test_stored_summaries_are_reproduced(run: Path) -> None:
    """summary.json written by the untyped code: every key it has is recomputed to the same value."""
    stored_path = run / "summary.json"
    if not stored_path.exists():
        pytest.skip("this run has no summary.json")
    stored = json.loads(stored_path.read_text())
    summary = summarize(read_records(run / "results.jsonl"), load_config(run))
    assert {k: summary[k] for k in stored} == stored


def test_round_trip_of_a_full_record(tmp_path: Path) -> None:
    rec = EvalRecord(id="x:1", dataset="x", ptype="linear-table", mode="pipeline", llm="scripted",
                     status=Termination.TIME_LIMIT_FEASIBLE, objective=float("inf"), values={"x[1]": 2.0},
                     verdict=Verdict(False, "objective", {"objective": KeyCheck(1.0, 2.0, False)}, [], "differs",
                                     alternative_checked=True, alternative_optimum=None),
                     category=Category.TIMEOUT, tokens=Tokens(3, 4), llm_calls=LLMCalls(2, 1), seconds=1.5)
    append_record(tmp_path / "r.jsonl", rec)
    (raw,) = read_json_lines(tmp_path / "r.jsonl")
    assert raw["status"] == "time_limit_feasible" and raw["objective"] == "inf" and raw["schema"] == 2
    assert raw["verdict"]["alternative_optimum"] is None  # checked, undecided: the key is there
    assert "code" not in raw and "traceback" not in raw
    back = read_records(tmp_path / "r.jsonl")[0]
    assert back.status == Termination.TIME_LIMIT_FEASIBLE and back.category == Category.TIMEOUT
    assert back.verdict == rec.verdict and back.llm_calls == LLMCalls(2, 1)


def test_no_answer_and_unknown_keys() -> None:
    rec = EvalRecord.from_json({"id": 7, "status": "no_answer", "category": "nonsense", "future_field": 1})
    assert rec.id == "7" and rec.status is None and rec.category == Category.ERROR
    assert rec.to_json()["status"] == "no_answer" and rec.llm_calls is None


def test_mode_registry() -> None:
    assert selectable_modes() == ["pipeline", "direct-code", "reference"]
    assert mode_for("miplib-mps", "pipeline") is MODES["mps"]  # forced by its dataset
    assert mode_for("optibench", "direct-code").uses_llm
    assert not MODES["mps"].uses_llm and MODES["mps"].rule is not None
    with pytest.raises(ValueError, match="unknown mode"):
        mode_for("optibench", "mps")
    with pytest.raises(ValueError, match="unknown mode"):
        mode_for("optibench", "nope")
