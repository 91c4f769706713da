"""Benchmark runner: one JSONL record per problem, crash-safe appends, resumable runs.

``run_eval`` loads a dataset, picks problems (stratified or first N), evaluates each one in a mode
(`optcopilot.eval.modes`: ``pipeline``, ``direct-code``, and ``mps`` for MIPLIB MPS files, which never
uses an LLM), appends one record per problem to ``out_dir/results.jsonl`` (`store`), and writes the
summary (`report`). On resume the partial tail of the file is cut off and problems whose ids already have
a record are skipped: nothing is lost or counted twice.

Concurrency: ``workers > 1`` runs problems in a thread pool for modes that wait on I/O (HTTP backends such
as ``openai:...``; the embedded ``local`` model lives in-process and serves one request at a time, so it
runs with one worker) and in a process pool for CPU-bound modes (MIPLIB solves).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from optcopilot.eval.config import EvalConfig, write_config
from optcopilot.eval.datasets import load_dataset
from optcopilot.eval.evaluate import evaluate_problem
from optcopilot.eval.modes import mode_for
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.problems import Problem
from optcopilot.eval.progress import Progress, Tally
from optcopilot.eval.ray_executor import RaySettings, ray_records
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.report import write_report
from optcopilot.eval.sampling import stratified_sample
from optcopilot.eval.scoring import RULES, default_rule
from optcopilot.eval.store import RESULTS_FILE, append_record, read_records, unique_records
from optcopilot.formulate.techniques import Techniques
from optcopilot.llm.base import LLMBackend
from optcopilot.llm.factory import make_backend
from optcopilot.solve.guarded import die_with_parent
from optcopilot.solve.result import Termination

SAMPLERS = ("stratified", "first")


_WORKER_BACKEND: dict[str, LLMBackend] = {}


def _worker_evaluate(problem: Problem, cfg: EvalConfig) -> EvalRecord:
    """Process-pool entry: one backend per worker process and LLM spec."""
    backend = None
    if mode_for(cfg.dataset, cfg.mode).uses_llm:
        if cfg.llm_spec not in _WORKER_BACKEND:
            _WORKER_BACKEND[cfg.llm_spec] = make_backend(cfg.llm_spec)
        backend = _WORKER_BACKEND[cfg.llm_spec]
    return evaluate_problem(problem, cfg, backend)


def select_problems(problems: Sequence[Problem], limit: int | None, sample: str, seed: int = 0) -> list[Problem]:
    """The first ``limit`` problems, or a stratified sample by problem type (deterministic)."""
    if sample not in SAMPLERS:
        raise ValueError(f"unknown sample method {sample!r}; use {' or '.join(SAMPLERS)}")
    if limit is None or limit >= len(problems):
        return list(problems)
    if limit <= 0:
        return []
    if sample == "first":
        return list(problems[:limit])
    return stratified_sample(problems, limit, seed=seed)


def run_eval(
    dataset: str,
    *,
    out_dir: str | Path,
    limit: int | None = None,
    sample: str = "stratified",
    llm_spec: str = "local",
    mode: str = "pipeline",
    samples: int = 1,
    workers: int = 1,
    resume: bool = True,
    time_limit: float = 60.0,
    llm_timeout: float = 300.0,
    data_dir: str | Path | None = None,
    progress: bool = True,
    cache: bool = True,
    rule: str | None = None,
    seed: int = 0,
    problems: Sequence[Problem] | None = None,
    backend: LLMBackend | None = None,
    techniques: str = "default",
    ray: RaySettings | None = None,
) -> dict[str, Any]:
    """Evaluate a dataset and write ``results.jsonl``, ``summary.json``/``.md`` and plots; return the summary.

    ``problems``/``backend`` inject a problem list or a ready backend (tests, notebooks); otherwise the
    dataset is loaded from ``data_dir`` and the backend built from ``llm_spec`` (``cache=False``: without the
    LLM response cache, so every answer is generated afresh). ``workers > 1`` is for HTTP
    backends and MIPLIB; the in-process ``local`` model always runs with one worker. ``ray``: evaluate on
    Ray actors instead (`optcopilot.eval.ray_executor`; each actor builds its own backend, ``workers`` unused).
    """
    chosen_mode = mode_for(dataset, mode)
    if workers < 1 or samples < 1:
        raise ValueError("workers and samples must be at least 1")
    if time_limit <= 0 or llm_timeout <= 0:
        raise ValueError("time limits must be positive")
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown scoring rule {rule!r}; known: {', '.join(RULES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    default = chosen_mode.rule.name if chosen_mode.rule else default_rule(dataset)
    cfg = EvalConfig(dataset, mode, llm_spec, samples, float(time_limit), float(llm_timeout), rule or default,
                     techniques, Techniques.parse(techniques).label())
    pool = list(problems) if problems is not None else list(load_dataset(dataset, data_dir))
    chosen = select_problems(pool, limit, sample, seed)
    ids = [p.id for p in chosen]
    results = out / RESULTS_FILE
    write_config(out, cfg, ids, resume)
    if not resume and results.exists():
        results.unlink()
    done = unique_records(read_records(results, repair=True))
    todo = [p for p in chosen if p.id not in done]
    tally = Tally()
    for pid in ids:
        if pid in done:
            tally.add(done[pid])
    if ray is not None:
        ray = dataclasses.replace(ray, cache=cache)
    elif chosen_mode.uses_llm and backend is None and todo:
        backend = make_backend(llm_spec, cache=cache)
    if workers > 1 and chosen_mode.uses_llm and getattr(backend, "name", "") == "local":
        if progress:
            print("note: the embedded local model serves one request at a time; using 1 worker", file=sys.stderr)
        workers = 1
    with Progress(progress, len(chosen), tally, f"{dataset} [{chosen_mode.name}]") as bar:
        records = ray_records(todo, cfg, chosen_mode, ray) if ray is not None else _iterate(
            todo, cfg, chosen_mode, backend, workers)
        for rec in records:
            append_record(results, rec)
            bar.advance(rec)
    return write_report(out)


def _iterate(todo: list[Problem], cfg: EvalConfig, mode: EvalMode, backend: LLMBackend | None,
             workers: int) -> Iterator[EvalRecord]:
    if workers <= 1 or len(todo) <= 1:
        for problem in todo:
            yield evaluate_problem(problem, cfg, backend)
        return
    executor: Executor
    futures: dict[Future[EvalRecord], Problem]
    if mode.parallel == "threads":
        executor = ThreadPoolExecutor(max_workers=workers)
        futures = {executor.submit(evaluate_problem, p, cfg, backend): p for p in todo}
    else:
        import multiprocessing

        # spawned workers are children of this process and die with it, even by kill -9 (a forkserver would
        # stand between them, and it, the workers and the resource tracker outlived a killed run)
        ctx = multiprocessing.get_context("spawn")
        processes = min(workers, os.cpu_count() or 1)  # CPU-bound: more processes than cores only cost memory
        executor = ProcessPoolExecutor(max_workers=processes, mp_context=ctx, initializer=die_with_parent)
        futures = {executor.submit(_worker_evaluate, p, cfg): p for p in todo}
    try:
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # a crashed worker process: record it, keep going
                rec = mode.new_record(futures[fut], cfg)
                rec.status, rec.category = Termination.ERROR, Category.ERROR
                rec.error = f"worker failed: {exc}"[:500]
                yield rec
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m optcopilot.eval.runner DATASET OUT_DIR`` (handy for scripts; the CLI is ``optcopilot eval``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m optcopilot.eval.runner DATASET OUT_DIR", file=sys.stderr)
        return 2
    summary = run_eval(args[0], out_dir=args[1])
    print(json.dumps({k: summary[k] for k in ("n", "correct", "accuracy")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
