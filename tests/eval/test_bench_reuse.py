"""`bench_pipeline_vs_direct.py --reuse`: an earlier run's records start a larger sample only when settings match."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from optcopilot.eval.store import append_json_line, read_records
from tests.scripts import benchmark_script

CONFIG = {"dataset": "optibench", "mode": "pipeline", "llm_spec": "local", "samples": 1, "time_limit": 60.0,
          "llm_timeout": 300.0, "rule": "optibench"}


def bench() -> ModuleType:
    return benchmark_script("bench_pipeline_vs_direct")


def old_run(path: Path, config: dict[str, object], ids: list[str]) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": config, "ids": ids}))
    for i in ids:
        append_json_line(path / "results.jsonl", {"id": i, "category": "ok"})
    return path


def test_reuse_takes_shared_ids_with_identical_settings(tmp_path: Path) -> None:
    reuse = bench().reuse_records
    old = old_run(tmp_path / "old", CONFIG, ["a", "b", "c"])
    assert reuse(old, tmp_path / "new", ["b", "c", "d"], CONFIG) == 2
    assert [r.id for r in read_records(tmp_path / "new" / "results.jsonl")] == ["b", "c"]
    assert reuse(old, tmp_path / "new", ["b", "c", "d"], CONFIG) == 0  # never over an existing run


def test_reuse_refuses_other_settings(tmp_path: Path) -> None:
    reuse = bench().reuse_records
    old = old_run(tmp_path / "old", {**CONFIG, "time_limit": 30.0}, ["a", "b"])
    assert reuse(old, tmp_path / "new", ["a", "b"], CONFIG) == 0
    assert not (tmp_path / "new" / "results.jsonl").exists()
