"""Where the time of `optcopilot solve problem.txt` goes, phase by phase, with the embedded model.

    python benchmarks/bench_latency.py [--runs 5] [--problems examples|optibench|all] [--situations new,repeat] [--techniques fast]

Situations (always without the response cache, `--no-cache`):
- ``first``: a first run on a machine: an empty cache dir, so the model parts are joined and no prompt-prefix
  state exists yet (costs ~1 GB of disk for the copy; opt-in);
- ``new``: a new process on a warm machine (model joined; the prefix state saved by an earlier run);
- ``repeat``: repeated calls in one process (eval, the app): the model is loaded once.

Phases: start-up (interpreter and imports), model load, prompt processing (llama.cpp's own timing; new and
reused tokens), generation (tokens, tokens/s), other LLM time (grammar set-up, streaming), parse + validate +
solve + checks (pipeline time outside the LLM), printing, and the whole run as seen from outside. Prints
p50/p90 per phase and the peak RSS; `--json FILE` keeps every measurement.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = ["production.txt", "diet.txt", "knapsack.txt", "fence.txt"]
OPTIBENCH_IDS = ["optibench:3", "optibench:116", "optibench:300"]  # one per type present early in the sample
TECHNIQUES = "default"  # `--techniques` of the solve command (e.g. fast)
PHASES = ["startup", "model_load", "prompt", "generation", "llm_other", "pipeline_other", "printing", "total"]


class Recording:
    """Wraps a backend and keeps every response (for the llama.cpp timings)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.responses = inner, []
        self.name, self.model = inner.name, inner.model
        self.continues_assistant = getattr(inner, "continues_assistant", False)
        self.avoids_repeats = getattr(inner, "avoids_repeats", False)

    def load(self) -> Any:
        return self.inner.load()

    def chat(self, messages: Any, **kwargs: Any) -> Any:
        response = self.inner.chat(messages, **kwargs)
        self.responses.append(response)
        return response


def _phases(responses: list[Any], pipeline_seconds: float) -> dict[str, float]:
    llm = sum(r.seconds for r in responses)
    prompt = sum(r.prompt_seconds for r in responses)
    generation = sum(r.generation_seconds for r in responses)
    return {"prompt": prompt, "generation": generation, "llm_other": max(0.0, llm - prompt - generation),
            "pipeline_other": max(0.0, pipeline_seconds - llm),
            "prompt_tokens_new": sum(r.prompt_tokens - r.reused_prompt_tokens for r in responses),
            "prompt_tokens_reused": sum(r.reused_prompt_tokens for r in responses),
            "generated_tokens": sum(r.completion_tokens for r in responses), "calls": len(responses)}


_ORIGINALS: dict[str, tuple[Any, Any, Any]] = {}


def _solve_in_this_process(problem: Path, backend: Recording) -> dict[str, float]:
    """What `optcopilot solve FILE --no-cache` does, with the phases timed."""
    from optcopilot.cli import formulate_cmd, solve_cmd
    from optcopilot.cli.main import main

    spent: dict[str, float] = {"printing": 0.0, "pipeline": 0.0}
    originals = _ORIGINALS.setdefault("solve", (formulate_cmd.run_pipeline, solve_cmd.print_formulation,
                                                solve_cmd.print_human))
    run_pipeline, print_formulation, print_human = originals

    def timed(fn: Any, phase: str) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.monotonic()
            try:
                return fn(*a, **k)
            finally:
                spent[phase] += time.monotonic() - start
        return wrapper

    before = len(backend.responses)
    formulate_cmd.make_llm = lambda *a, **k: backend  # type: ignore[assignment]
    solve_cmd.run_pipeline = timed(run_pipeline, "pipeline")  # type: ignore[assignment]
    solve_cmd.print_formulation = timed(print_formulation, "printing")  # type: ignore[assignment]
    solve_cmd.print_human = timed(print_human, "printing")  # type: ignore[assignment]
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["solve", str(problem), "--no-cache", "--techniques", TECHNIQUES])
    phases = _phases(backend.responses[before:], spent["pipeline"])
    return {**phases, "printing": spent["printing"], "exit": code}


def child(problem: Path, result_file: Path, started: float) -> None:
    """One new process: start-up, model load and one solve, written to `result_file`."""
    from optcopilot.llm.factory import make_backend

    start = time.monotonic()
    backend = Recording(make_backend("local", cache=False))
    startup = time.time() - started
    backend.load()
    model_load = time.monotonic() - start
    timings = _solve_in_this_process(problem, backend)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result_file.write_text(json.dumps({"startup": startup, "model_load": model_load, **timings, "peak_rss_mb": peak}))


def _problem_files(which: str, tmp: Path) -> list[Path]:
    files = []
    if which in ("examples", "all"):
        files += [REPO / "optcopilot" / "examples" / name for name in EXAMPLES]
    if which in ("optibench", "all"):
        from optcopilot.eval.datasets import load_dataset

        by_id = {p.id: p for p in load_dataset("optibench")}
        for pid in OPTIBENCH_IDS:
            path = tmp / f"{pid.replace(':', '-')}.txt"
            path.write_text(by_id[pid].text)
            files.append(path)
    return files


def run_new_process(problem: Path, env: dict[str, str], tmp: Path) -> dict[str, float]:
    result = tmp / "child.json"
    started = time.time()
    code = [sys.executable, str(Path(__file__).resolve()), "--child", str(problem), "--result", str(result),
            "--started", repr(started), "--techniques", TECHNIQUES]
    subprocess.run(code, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    measured = json.loads(result.read_text())
    measured["total"] = time.time() - started
    return dict(measured)


def run_repeat(problems: list[Path], runs: int) -> list[dict[str, Any]]:
    from optcopilot.llm.factory import make_backend

    backend = Recording(make_backend("local", cache=False))
    start = time.monotonic()
    backend.load()
    load = time.monotonic() - start
    rows = []
    for problem in problems:
        for k in range(runs):
            begin = time.monotonic()
            timings = _solve_in_this_process(problem, backend)
            rows.append({"situation": "repeat", "problem": problem.name, "run": k, "startup": 0.0,
                         "model_load": load if not rows else 0.0, **timings, "total": time.monotonic() - begin,
                         "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| situation | problem | runs | " + " | ".join(f"{p} p50/p90 s" for p in PHASES)
             + " | new / reused prompt tokens | generated tokens | prompt tok/s | gen tok/s | peak RSS MB |",
             "|---|---|---:|" + "---:|" * (len(PHASES) + 5)]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["situation"], row["problem"]), []).append(row)
    for (situation, problem), group in groups.items():
        cells = []
        for phase in PHASES:
            values = sorted(float(r.get(phase, 0.0)) for r in group)
            p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
            cells.append(f"{statistics.median(values):.1f} / {p90:.1f}")
        new = statistics.median(r["prompt_tokens_new"] for r in group)
        reused = statistics.median(r["prompt_tokens_reused"] for r in group)
        gen = statistics.median(r["generated_tokens"] for r in group)
        prompt_rate = sum(r["prompt_tokens_new"] for r in group) / max(1e-9, sum(r["prompt"] for r in group))
        gen_rate = sum(r["generated_tokens"] for r in group) / max(1e-9, sum(r["generation"] for r in group))
        peak = max(r["peak_rss_mb"] for r in group)
        lines.append(f"| {situation} | {problem} | {len(group)} | " + " | ".join(cells)
                     + f" | {new:.0f} / {reused:.0f} | {gen:.0f} | {prompt_rate:.0f} | {gen_rate:.1f} | {peak:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--problems", choices=("examples", "optibench", "all"), default="examples")
    parser.add_argument("--only", default=None, help="comma-separated file names to keep (e.g. production.txt)")
    parser.add_argument("--situations", default="new,repeat", help="comma-separated: first,new,repeat")
    parser.add_argument("--json", default=None, help="write every measurement to this file")
    parser.add_argument("--techniques", default="default", help="the solve command's --techniques (e.g. fast)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global TECHNIQUES
    TECHNIQUES = args.techniques
    if args.child:
        child(Path(args.child), Path(args.result), args.started)
        return
    situations = args.situations.split(",")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        problems = _problem_files(args.problems, tmp)
        if args.only:
            keep = set(args.only.split(","))
            problems = [p for p in problems if p.name in keep]
        env = {**os.environ}
        for problem in problems:
            if "first" in situations:
                fresh = tmp / "fresh-cache"
                measured = run_new_process(problem, {**env, "OPTCOPILOT_CACHE_DIR": str(fresh)}, tmp)
                rows.append({"situation": "first", "problem": problem.name, "run": 0, **measured})
                subprocess.run(["rm", "-rf", str(fresh)], check=True)
            if "new" in situations:
                for k in range(args.runs):
                    rows.append({"situation": "new", "problem": problem.name, "run": k,
                                 **run_new_process(problem, env, tmp)})
                    print(f"new {problem.name} run {k}: {rows[-1]['total']:.1f} s", file=sys.stderr, flush=True)
        if "repeat" in situations:
            rows += run_repeat(problems, args.runs)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    print(_table(rows))


if __name__ == "__main__":
    main()
