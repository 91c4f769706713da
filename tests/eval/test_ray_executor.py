"""`optcopilot eval --executor ray`: a local Ray (started and stopped here), killed actors, resume, the CLI.

The actors run the real pipeline mode with a scripted model read from a JSON file (each actor builds its
own backend from the spec, as it would load the embedded model), so no model weights are needed.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optcopilot.eval import runner
from optcopilot.eval.config import EvalConfig
from optcopilot.eval.modes import mode_for
from optcopilot.eval.problems import Problem
from optcopilot.eval.ray_executor import MAX_CRASHES, ProblemWorker, RaySettings, ray_records
from optcopilot.eval.records import Category
from optcopilot.eval.runner import run_eval
from optcopilot.eval.store import read_json_lines

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")

TEXT = ("A workshop makes chairs and tables. A chair needs 4 hours of carpentry, a table 6; there are 240 "
        "carpentry hours. A chair earns $30 and a table $50, and at most 30 tables can be sold. How many of "
        "each maximize profit? (item {i})")
ANSWER = """```python
chairs = var(integer, desc="number of chairs")
tables = var(integer, desc="number of tables")
maximize(30 * chairs + 50 * tables)
subject_to(4 * chairs + 6 * tables <= 240, name="carpentry")
subject_to(tables <= 30, name="market")
```"""
OPTIMUM = 1950.0  # 15 chairs, 30 tables


def problems(n: int) -> list[Problem]:
    return [Problem(id=f"toy:{i}", text=TEXT.format(i=i), answers={"objective": OPTIMUM}, ptype="linear-notable",
                    source="toy") for i in range(n)]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A 2-CPU local Ray for the module, stopped afterwards."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def script(tmp_path: Path) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps([ANSWER] * 40))
    return f"scripted:{path}"


def config(spec: str) -> EvalConfig:
    return EvalConfig("toy", llm_spec=spec, rule="llmopt")


class SlowWorker(ProblemWorker):
    """Takes a while per problem, so that a kill lands in the middle of one."""

    def evaluate(self, problem: Problem) -> dict[str, Any]:
        time.sleep(0.8)
        return super().evaluate(problem)


class CrashingWorker(ProblemWorker):
    """Dies (like a segfault in native code) on the problem whose id ends in ':boom'."""

    def evaluate(self, problem: Problem) -> dict[str, Any]:
        if problem.id.endswith(":boom"):
            os._exit(3)
        return super().evaluate(problem)


@pytest.fixture(autouse=True)
def bounded_in_time() -> Iterator[None]:
    """No Ray test may hang CI: each gets 240 s (SIGALRM raises in the test's own thread)."""

    def too_long(*_: object) -> None:
        raise TimeoutError("a Ray test ran past 240 s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(240)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def by_value() -> None:
    """The test's worker subclasses travel to the actors by value (this module is not importable there)."""
    import sys

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_every_problem_once_when_an_actor_is_killed_mid_run(local_ray: None, script: str) -> None:
    cfg = config(script)
    todo = problems(8)
    settings = RaySettings(actors=2, threads_per_actor=1, cache=False)
    records, killed = [], None
    started = time.monotonic()
    for record in ray_records(todo, cfg, mode_for("toy", "pipeline"), settings, worker_class=SlowWorker):
        records.append(record)
        if killed is None:  # the other actor, or this one, is busy with its next problem now
            killed = record.worker["pid"]
            os.kill(killed, signal.SIGKILL)
    assert time.monotonic() - started < 120
    counts = Counter(r.id for r in records)
    assert counts == Counter(p.id for p in todo)  # every problem exactly once
    assert all(r.category == Category.OK for r in records), [r.error for r in records]
    pids = {r.worker["pid"] for r in records}
    assert killed in pids and len(pids) >= 3  # the killed actor was replaced by a restarted one
    assert all(r.worker["executor"] == "ray" and r.worker["node"] and r.worker["actor"] for r in records)


def test_a_problem_that_crashes_its_actor_twice_is_an_error_record(local_ray: None, script: str) -> None:
    cfg = config(script)
    todo = problems(4)
    todo[1] = Problem(id="toy:boom", text=TEXT.format(i="boom"), answers={"objective": OPTIMUM})
    settings = RaySettings(actors=2, cache=False)
    records = list(ray_records(todo, cfg, mode_for("toy", "pipeline"), settings, worker_class=CrashingWorker))
    assert Counter(r.id for r in records) == Counter(p.id for p in todo)
    boom = next(r for r in records if r.id == "toy:boom")
    assert boom.category == Category.ERROR and f"{MAX_CRASHES} times" in (boom.error or "")
    assert all(r.category == Category.OK for r in records if r.id != "toy:boom")


def test_an_interrupted_ray_run_resumes_without_losing_or_repeating(
        local_ray: None, script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    todo = problems(6)
    appended = runner.append_record
    calls = {"n": 0}

    def interrupted_after_two(path: Any, record: Any) -> None:
        if calls["n"] == 2:
            raise KeyboardInterrupt  # Ctrl-C between two records
        calls["n"] += 1
        appended(path, record)

    monkeypatch.setattr(runner, "append_record", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_eval("toy", out_dir=out, problems=todo, llm_spec=script, progress=False, rule="llmopt",
                 ray=RaySettings(actors=2))
    assert len(read_json_lines(out / "results.jsonl")) == 2
    monkeypatch.setattr(runner, "append_record", appended)
    summary = run_eval("toy", out_dir=out, problems=todo, llm_spec=script, progress=False, rule="llmopt",
                       ray=RaySettings(actors=2))
    lines = read_json_lines(out / "results.jsonl")
    assert Counter(line["id"] for line in lines) == Counter(p.id for p in todo)
    assert summary["n"] == 6 and summary["correct"] == 6
    assert all(line["worker"]["executor"] == "ray" for line in lines)


def test_ray_gives_the_same_records_as_the_local_runner(local_ray: None, script: str, tmp_path: Path) -> None:
    todo = problems(4)
    local = run_eval("toy", out_dir=tmp_path / "local", problems=todo, llm_spec=script, progress=False,
                     rule="llmopt")
    on_ray = run_eval("toy", out_dir=tmp_path / "ray", problems=todo, llm_spec=script, progress=False,
                      rule="llmopt", ray=RaySettings(actors=2))

    def verdicts(d: Path) -> dict[str, tuple[str, float | None]]:
        return {r["id"]: (r["category"], r["objective"]) for r in read_json_lines(d / "results.jsonl")}

    assert verdicts(tmp_path / "local") == verdicts(tmp_path / "ray")
    assert local["correct"] == on_ray["correct"] == 4
