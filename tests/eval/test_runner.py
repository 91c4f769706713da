"""Runner: atomic JSONL appends, resume after a crash (simulated and a real kill -9), categories, MIPLIB."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from optcopilot.eval import runner
from optcopilot.eval.grading import categorize
from optcopilot.eval.modes import pipeline as pipeline_mode
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category
from optcopilot.eval.runner import run_eval
from optcopilot.eval.store import append_json_line, read_json_lines, read_records
from optcopilot.formulate.events import FailureKind
from optcopilot.io.data_dir import DatasetError, resolve_data_dir
from optcopilot.llm import LLMError, LLMTimeout, ScriptedBackend
from optcopilot.solve.result import Result, Termination

REPO = Path(__file__).resolve().parents[2]


def make_problems(n: int = 8) -> list[Problem]:
    """Alternating types; answers are i+1, so the stub gets even ids right and odd ids wrong."""
    types = ["linear-notable", "linear-table", "nonlinear-notable", "nonlinear-table"]
    return [
        Problem(id=f"toy:{i}", text=f"problem {i}", answers={"objective": float(i + 1)}, ptype=types[i % 4],
                source="toy")
        for i in range(n)
    ]


class StubOutcome(SimpleNamespace):
    """Quacks like formulate.pipeline.Outcome."""

    examples: tuple[str, ...] = ()  # no worked examples shown
    dropped_examples: tuple[tuple[str, int], ...] = ()
    prefix_votes: tuple[tuple[int, Any], ...] = ()  # one sample: no smaller vote

    def to_dict(self) -> dict[str, Any]:
        return {"formulation": None, "attempts": [{"stage": "generate"}], "error": self.error}


def stub_pipeline(text: str, backend: Any, **kw: Any) -> StubOutcome:
    """Even problem numbers: right answer; odd: off by one."""
    backend.chat([{"role": "user", "content": text}])
    i = int(text.split()[-1])
    value = float(i + 1) if i % 2 == 0 else float(i + 2)
    result = Result(Termination.OPTIMAL, objective=value, variables={"x": value})
    return StubOutcome(formulation=None, result=result, attempts=[], confidence=1.0,
                       llm={"prompt_tokens": 10, "completion_tokens": 5}, error=None, error_kind=None)


def scripted() -> ScriptedBackend:
    return ScriptedBackend(lambda messages, schema: "ok")


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "seconds"}


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_mode, "formulate_and_solve", stub_pipeline)


# --------------------------------------------------------------------------- JSONL store


def test_append_is_atomic_under_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    big = "x" * 20_000

    def writer(t: int) -> None:
        for i in range(40):
            append_json_line(path, {"id": f"{t}:{i}", "pad": big, "nan": float("nan"), "inf": float("inf")})

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    recs = [json.loads(line) for line in lines[:-1]]
    assert len(recs) == 240 and len({r["id"] for r in recs}) == 240
    assert recs[0]["nan"] is None and recs[0]["inf"] == "inf"


def test_trailing_partial_line_is_ignored_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    append_json_line(path, {"id": "a"})
    append_json_line(path, {"id": "b"})
    with path.open("ab") as fh:
        fh.write(b'{"id": "c", "status": "opt')
    assert [r["id"] for r in read_json_lines(path)] == ["a", "b"]
    assert path.read_bytes().endswith(b"opt")  # plain reading does not touch the file
    assert [r.id for r in read_records(path, repair=True)] == ["a", "b"]
    assert path.read_bytes().endswith(b"}\n")
    append_json_line(path, {"id": "c"})
    assert [r.id for r in read_records(path)] == ["a", "b", "c"]


# --------------------------------------------------------------------------- resume


def test_resume_after_simulated_crash_matches_uninterrupted(tmp_path: Path, stubbed: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    problems = make_problems(8)
    full = run_eval("toy", out_dir=tmp_path / "full", problems=problems, backend=scripted(), progress=False,
                    sample="first")
    assert full["n"] == 8 and full["correct"] == 4 and full["accuracy"] == 0.5
    assert full["failures"]["wrong_value"] == 4
    assert full["tokens"]["total"] == 8 * 15

    crashed = tmp_path / "crashed"
    crashed.mkdir()
    lines = (tmp_path / "full" / "results.jsonl").read_bytes().splitlines(keepends=True)
    (crashed / "results.jsonl").write_bytes(b"".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    seen: list[str] = []

    def counting(text: str, backend: Any, **kw: Any) -> StubOutcome:
        seen.append(text)
        return stub_pipeline(text, backend, **kw)

    monkeypatch.setattr(pipeline_mode, "formulate_and_solve", counting)
    resumed = run_eval("toy", out_dir=crashed, problems=problems, backend=scripted(), progress=False,
                       sample="first")
    assert seen == [f"problem {i}" for i in range(3, 8)]  # the partial 4th record is redone, nothing else
    assert comparable(resumed) == comparable(full)
    ids = [r.id for r in read_records(crashed / "results.jsonl")]
    assert sorted(ids) == sorted(p.id for p in problems)

    seen.clear()  # a second resume has nothing left to do
    again = run_eval("toy", out_dir=crashed, problems=problems, backend=scripted(), progress=False, sample="first")
    assert seen == [] and comparable(again) == comparable(full)


def test_no_resume_starts_over_and_config_mismatch_is_refused(tmp_path: Path, stubbed: None) -> None:
    problems = make_problems(4)
    run_eval("toy", out_dir=tmp_path, problems=problems, backend=scripted(), progress=False)
    s = run_eval("toy", out_dir=tmp_path, problems=problems, backend=scripted(), progress=False, resume=False)
    assert s["n"] == 4 and len(read_records(tmp_path / "results.jsonl")) == 4
    with pytest.raises(ValueError, match="--no-resume"):
        run_eval("toy", out_dir=tmp_path, problems=problems, backend=scripted(), progress=False,
                 mode="direct-code")


def test_a_run_records_what_its_techniques_turned_on_and_resumes_only_with_the_same(tmp_path: Path,
                                                                                    stubbed: None) -> None:
    problems = make_problems(2)
    run_eval("toy", out_dir=tmp_path, problems=problems, backend=scripted(), progress=False, techniques="accurate")
    config = json.loads((tmp_path / "config.json").read_text())["config"]
    assert config["techniques"] == "accurate" and "compact" not in config["switches"]
    stored = json.loads((tmp_path / "config.json").read_text())
    stored["config"]["techniques"] = "default"  # as if "default" had meant `accurate` when the run started
    (tmp_path / "config.json").write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="switches"):  # "default" is `fast` now: not the same pipeline
        run_eval("toy", out_dir=tmp_path, problems=problems, backend=scripted(), progress=False)


KILL_SCRIPT = """
import sys, time
from types import SimpleNamespace
from optcopilot.eval import runner
from optcopilot.eval.modes import pipeline as pipeline_mode
from optcopilot.eval.problems import Problem
from optcopilot.llm import make_backend
from optcopilot.solve.result import Result, Termination

out, delay = sys.argv[1], float(sys.argv[2])

class Outcome(SimpleNamespace):
    examples = ()
    dropped_examples = ()
    prefix_votes = ()

    def to_dict(self):
        return {"formulation": None, "attempts": [], "error": None}

def pipeline(text, backend, **kw):
    backend.chat([{"role": "user", "content": text}])
    time.sleep(delay)
    i = int(text.split()[-1])
    value = float(i + 1) if i % 3 else -1.0
    return Outcome(formulation=None, result=Result(Termination.OPTIMAL, objective=value), attempts=[],
                   confidence=1.0, llm={"prompt_tokens": 3, "completion_tokens": 2}, error=None, error_kind=None)

pipeline_mode.formulate_and_solve = pipeline
problems = [Problem(id=f"k:{i}", text=f"p {i}", answers={"objective": float(i + 1)},
                    ptype=("linear-table", "linear-notable")[i % 2], source="k") for i in range(12)]
backend = make_backend("scripted", answers=lambda messages, schema: "fine")
summary = runner.run_eval("k", out_dir=out, problems=problems, backend=backend, progress=False)
print(summary["correct"], summary["n"])
"""


def _run_script(script: Path, out: Path, delay: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(out), str(delay)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_real_kill_9_then_resume(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT))
    ref_out, out = tmp_path / "ref", tmp_path / "killed"
    ref = _run_script(script, ref_out, 0.0)
    victim = _run_script(script, out, 0.25)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if results.exists() and results.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    before = read_records(results)
    assert 3 <= len(before) < 12
    resumed = _run_script(script, out, 0.0)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    ref_stdout, ref_err = ref.communicate(timeout=120)
    assert ref.returncode == 0, ref_err
    assert stdout == ref_stdout == "8 12\n"
    after = read_records(results)
    assert len(after) == 12 and len({r.id for r in after}) == 12
    assert [r.id for r in after[: len(before)]] == [r.id for r in before]
    s_ref = json.loads((ref_out / "summary.json").read_text())
    s_res = json.loads((out / "summary.json").read_text())
    assert comparable(s_ref) == comparable(s_res)


# --------------------------------------------------------------------------- per-problem failures


def test_exceptions_become_records_and_categories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def flaky(text: str, backend: Any, **kw: Any) -> StubOutcome:
        i = int(text.split()[-1])
        if i == 0:
            raise RuntimeError("boom")
        if i == 1:
            raise LLMTimeout("slow")
        if i == 2:
            return StubOutcome(formulation=None, result=None, attempts=[], confidence=None, llm={},
                               error="LLM error: connection refused", error_kind=FailureKind.LLM_ERROR)
        if i == 3:
            return StubOutcome(formulation=None, result=None, attempts=[], confidence=None, llm={},
                               error="the LLM did not produce a valid model after 3 attempt(s): bad name",
                               error_kind=FailureKind.INVALID_IR)
        if i == 4:
            return StubOutcome(formulation=None, result=Result(Termination.INFEASIBLE), attempts=[],
                               confidence=None, llm={}, error="no optimal solution: the model is infeasible",
                               error_kind=FailureKind.INFEASIBLE)
        if i == 5:
            return StubOutcome(formulation=None, result=Result(Termination.TIME_LIMIT_FEASIBLE, objective=6.0),
                               attempts=[], confidence=None, llm={}, error=None, error_kind=None)
        return stub_pipeline(text, backend, **kw)

    monkeypatch.setattr(pipeline_mode, "formulate_and_solve", flaky)
    s = run_eval("toy", out_dir=tmp_path, problems=make_problems(8), backend=scripted(), progress=False)
    recs = {r.id: r for r in read_records(tmp_path / "results.jsonl")}
    assert recs["toy:0"].category == Category.ERROR and "boom" in (recs["toy:0"].error or "")
    assert recs["toy:1"].category == Category.TIMEOUT
    assert recs["toy:2"].category == Category.LLM_ERROR
    assert recs["toy:3"].category == Category.INVALID_IR
    assert recs["toy:4"].category == Category.INFEASIBLE
    assert recs["toy:5"].category == Category.TIMEOUT
    assert recs["toy:6"].category == Category.OK and recs["toy:7"].category == Category.WRONG_VALUE
    assert s["n"] == 8 and s["correct"] == 1


def test_infeasible_reference_matched_by_infeasible_prediction(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def infeasible(text: str, backend: Any, **kw: Any) -> StubOutcome:
        return StubOutcome(formulation=None, result=Result(Termination.INFEASIBLE), attempts=[], confidence=None,
                           llm={}, error="no optimal solution: the model is infeasible",
                           error_kind=FailureKind.INFEASIBLE)

    monkeypatch.setattr(pipeline_mode, "formulate_and_solve", infeasible)
    p = Problem(id="inf:1", text="problem 1", answers={"objective": None}, infeasible=True, source="toy")
    s = run_eval("toy", out_dir=tmp_path, problems=[p], backend=scripted(), progress=False)
    assert s["correct"] == 1 and s["execution_rate"] == 1.0


def test_categorize_table() -> None:
    assert categorize(correct=True, status=Termination.OPTIMAL) == Category.OK == "ok"
    assert categorize(correct=False, status=Termination.OPTIMAL, has_value=True) == Category.WRONG_VALUE
    assert categorize(correct=False, status=Termination.UNBOUNDED) == Category.UNBOUNDED
    assert categorize(correct=False, status=Termination.ERROR) == Category.NO_ANSWER
    assert categorize(correct=False, status=Termination.OPTIMAL, failure=Category.LLM_ERROR) == Category.LLM_ERROR


def test_thread_workers_give_the_same_summary(tmp_path: Path, stubbed: None) -> None:
    problems = make_problems(10)
    one = run_eval("toy", out_dir=tmp_path / "a", problems=problems, backend=scripted(), progress=False)
    two = run_eval("toy", out_dir=tmp_path / "b", problems=problems, backend=scripted(), progress=False, workers=3)
    assert comparable(one) == comparable(two)


def test_stratified_limit_and_progress_bar(tmp_path: Path, stubbed: None, capsys: pytest.CaptureFixture[str]) -> None:
    s = run_eval("toy", out_dir=tmp_path, problems=make_problems(8), backend=scripted(), limit=4, progress=True)
    assert s["n"] == 4 and set(s["by_type"]) == {"linear-notable", "linear-table", "nonlinear-notable",
                                                 "nonlinear-table"}
    # stderr is not a terminal here: one plain line per problem, with running accuracy and an ETA
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("toy [pipeline] [")]
    assert len(lines) == 4
    assert lines[0].startswith("toy [pipeline] [1/4] toy:") and "| acc " in lines[0] and "| ETA " in lines[0]
    assert lines[-1].startswith("toy [pipeline] [4/4] ") and lines[-1].endswith("ETA 0:00:00")


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run_eval("toy", out_dir=tmp_path, problems=[], mode="nope")
    with pytest.raises(ValueError):
        run_eval("toy", out_dir=tmp_path, problems=[], workers=0)
    with pytest.raises(ValueError):
        run_eval("toy", out_dir=tmp_path, problems=[], rule="nope")


def test_backend_error_is_not_swallowed(tmp_path: Path) -> None:
    with pytest.raises(LLMError):
        run_eval("toy", out_dir=tmp_path, problems=make_problems(1), llm_spec="scripted:/nonexistent.json",
                 progress=False)


# --------------------------------------------------------------------------- MIPLIB MPS


def _miplib(names: set[str]) -> list[Problem]:
    try:
        data = resolve_data_dir(None)
    except DatasetError as exc:
        pytest.skip(f"shared benchmark data not available ({exc})")
    from optcopilot.eval.datasets import load_dataset

    problems = [p for p in load_dataset("miplib-mps", data) if p.id.split(":", 1)[1] in names]
    if len(problems) != len(names):
        pytest.skip("the MIPLIB instances flugpl/gt2/sp150x300d are not all present")
    return problems


def test_miplib_mps_fast_instances(tmp_path: Path) -> None:
    problems = _miplib({"flugpl", "gt2", "sp150x300d"})
    s = run_eval("miplib-mps", out_dir=tmp_path, problems=problems, time_limit=60, progress=False, workers=2)
    assert s["correct"] == 3 and s["rule"] == "miplib-rel1e-6" and s["llm"] is None
    recs = read_records(tmp_path / "results.jsonl")
    assert all(r.status == Termination.OPTIMAL and r.mode == "mps" and r.tokens.prompt == 0 for r in recs)


def test_miplib_wrong_reference_is_caught(tmp_path: Path) -> None:
    (problem,) = _miplib({"flugpl"})
    problem.answers = {"objective": problem.answers["objective"] * (1 + 1e-5)}
    s = run_eval("miplib-mps", out_dir=tmp_path, problems=[problem], time_limit=60, progress=False)
    assert s["correct"] == 0 and s["failures"]["wrong_value"] == 1


# --------------------------------------------------------------------------- CLI


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from optcopilot.cli.main import main

    assert main(["eval", "no-such-dataset"]) == 2
    assert "unknown dataset" in capsys.readouterr().err
    assert main(["eval", "optibench", "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    assert main(["eval", "optibench", "--data-dir", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "put the shared datasets" in err and len(err.strip().splitlines()) == 1
    assert main(["report", str(tmp_path)]) == 2
    assert "no results.jsonl" in capsys.readouterr().err


def test_cli_eval_miplib_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _miplib({"flugpl", "gt2", "sp150x300d"})
    from optcopilot.cli.main import main

    out = tmp_path / "run"
    assert main(["eval", "miplib-mps", "--limit", "1", "--sample", "first", "--out", str(out), "--no-progress",
                 "--time-limit", "60"]) == 0
    assert "report:" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    assert "# Evaluation: miplib-mps" in capsys.readouterr().out
    assert main(["report", str(out), str(out)]) == 0
    assert "**accuracy**" in capsys.readouterr().out


def test_cached_answers_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun served from the response cache says so in the records, summary.md and the comparison."""
    from optcopilot.eval.report import compare_runs
    from optcopilot.llm import CachedBackend

    answer = json.dumps({"variables": [{"name": "x", "type": "continuous", "lb": 0, "ub": 3}],
                         "objective": {"sense": "maximize", "expression": "x"}, "constraints": []})
    problems = [Problem(id="c:1", text="Maximize x with x at most 3.", answers={"objective": 3.0},
                        ptype="linear-notable", source="c")]
    inner = ScriptedBackend(lambda messages, schema: answer)
    backend = CachedBackend(inner, tmp_path / "cache.sqlite")
    first = run_eval("c", out_dir=tmp_path / "a", problems=problems, backend=backend, progress=False)
    second = run_eval("c", out_dir=tmp_path / "b", problems=problems, backend=backend, progress=False)
    assert first["correct"] == second["correct"] == 1
    assert first["llm_calls"] == {"total": 1, "cached": 0, "unrecorded_problems": 0}
    assert second["llm_calls"] == {"total": 1, "cached": 1, "unrecorded_problems": 0}
    assert len(inner.calls) == 1
    assert read_json_lines(tmp_path / "b" / "results.jsonl")[0]["llm_calls"] == {"total": 1, "cached": 1}
    md = (tmp_path / "b" / "summary.md").read_text()
    assert "LLM calls: 1, of which 1 answered from the response cache" in md
    assert "| LLM calls (cached) | 1 (0) | 1 (1) |" in compare_runs([tmp_path / "a", tmp_path / "b"])


def test_cli_no_cache_reaches_the_backend_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from optcopilot.cli.main import main

    seen: dict[str, Any] = {}

    def fake_run_eval(dataset: str, **kw: Any) -> dict[str, Any]:
        seen.update(kw)
        raise DatasetError("stop here")

    monkeypatch.setattr(runner, "run_eval", fake_run_eval)
    assert main(["eval", "optibench", "--no-cache", "--out", str(tmp_path), "--no-progress"]) == 2
    assert seen["cache"] is False
    assert main(["eval", "optibench", "--out", str(tmp_path), "--no-progress"]) == 2
    assert seen["cache"] is True
