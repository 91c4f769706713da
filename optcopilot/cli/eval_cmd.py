"""`optcopilot eval DATASET` (run a benchmark) and `optcopilot report DIR [DIR ...]` (summaries, comparisons)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from optcopilot.cli.common import EXIT_FAIL, EXIT_OK, UsageError
from optcopilot.cli.guards import check_llm_spec, positive_seconds
from optcopilot.formulate.techniques import Techniques

if TYPE_CHECKING:
    from optcopilot.eval.ray_executor import RaySettings

DEFAULT_OUT_ROOT = Path("runs")


DEFAULT_TIME_LIMIT = 60.0
MIPLIB_TIME_LIMIT = 300.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` and ``report`` subcommands."""
    p = sub.add_parser("eval", help="evaluate a benchmark dataset (results.jsonl + summary in --out)")
    p.add_argument("dataset", help="dataset name, e.g. optibench, nl4opt, industryor, miplib-mps")
    p.add_argument("--limit", type=int, default=None, help="evaluate at most N problems")
    p.add_argument("--sample", choices=("stratified", "first"), default="stratified",
                   help="how to pick --limit problems: stratified by type (default) or the first N")
    p.add_argument("--llm", default=None, help="local | local:/path.gguf | openai:MODEL | hf:PATH | scripted:FILE")
    p.add_argument("--mode", default="pipeline",
                   help="pipeline (default: our pipeline), direct-code (the peer-style baseline), or another mode "
                        "registered in optcopilot.eval.modes; miplib-mps always runs its own solver-only mode")
    p.add_argument("--samples", type=int, default=1, help="formulations to sample and vote over (pipeline)")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel problems; for HTTP backends and miplib-mps (the local model uses 1)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local (default: this process, --workers) or ray (Ray actors; needs the [ray] extra)")
    p.add_argument("--ray-address", default=None,
                   help="with --executor ray: the address of a running Ray cluster (default: start a local Ray)")
    p.add_argument("--actors", type=int, default=2,
                   help="with --executor ray: actors, each holding one LLM backend (default 2)")
    p.add_argument("--threads-per-actor", type=int, default=1,
                   help="with --executor ray: CPUs (llama.cpp threads) per actor (default 1)")
    p.add_argument("--out", default=None, help="run directory (default runs/DATASET-MODE-LLM)")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="skip problems already in --out/results.jsonl (default on)")
    p.add_argument("--time-limit", type=positive_seconds, default=None,
                   help="solver seconds per problem (default 60; 300 for miplib-mps, whose hardest take ~20 s alone)")
    p.add_argument("--llm-timeout", type=positive_seconds, default=300.0, help="LLM seconds per call (default 300)")
    p.add_argument("--rule", default=None, help="scoring rule (default: the dataset's own)")
    p.add_argument("--techniques", default="default",
                   help="pipeline techniques: default, fast, accurate, legacy, a +-list "
                        "(grammar+staged+retrieval+repairs+verifiers), default-NAME to switch one off or default+NAME "
                        "to switch one on")
    p.add_argument("--data-dir", default=None, help="shared benchmark directory (default ../shared/datasets)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--cache", action=argparse.BooleanOptionalAction, default=True,
                   help="answer repeated LLM requests from the response cache (default on; --no-cache "
                        "generates every answer afresh, e.g. to time a run)")
    p.set_defaults(func=run_eval_cmd)

    r = sub.add_parser("report", help="summarize one run directory, or compare several side by side")
    r.add_argument("dirs", nargs="+", help="run directories written by `optcopilot eval`")
    r.add_argument("--out", default=None, help="also write the comparison markdown to this file")
    r.set_defaults(func=run_report_cmd)


def default_out(dataset: str, mode: str, llm: str | None) -> Path:
    """``runs/<dataset>-<mode>-<llm>`` with the LLM spec made filename-safe."""
    if dataset == "miplib-mps":
        return DEFAULT_OUT_ROOT / "miplib-mps"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", llm or "local").strip("_") or "llm"
    return DEFAULT_OUT_ROOT / f"{dataset}-{mode}-{slug}"


def _validate(args: argparse.Namespace) -> None:
    if args.llm:
        check_llm_spec(args.llm)
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.samples < 1:
        raise UsageError("--samples must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.actors < 1 or args.threads_per_actor < 1:
        raise UsageError("--actors and --threads-per-actor must be at least 1")
    if args.executor != "ray" and args.ray_address:
        raise UsageError("--ray-address needs --executor ray")
    if args.executor == "ray":
        from optcopilot.eval.ray_executor import INSTALL_HINT, ray_available

        if not ray_available():
            raise UsageError(INSTALL_HINT)
    if args.time_limit is None:
        args.time_limit = MIPLIB_TIME_LIMIT if args.dataset == "miplib-mps" else DEFAULT_TIME_LIMIT
    if args.time_limit <= 0 or args.llm_timeout <= 0:
        raise UsageError("--time-limit and --llm-timeout must be positive")
    from optcopilot.eval.datasets import DATASETS
    from optcopilot.eval.modes import mode_for
    from optcopilot.eval.scoring import RULES

    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset {args.dataset!r}; known: {', '.join(sorted(DATASETS))}")
    try:
        mode_for(args.dataset, args.mode)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        Techniques.parse(args.techniques)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.rule is not None and args.rule not in RULES:
        raise UsageError(f"unknown scoring rule {args.rule!r}; known: {', '.join(RULES)}")


def run_eval_cmd(args: argparse.Namespace) -> int:
    """Run ``optcopilot eval``; prints the summary markdown path and headline accuracy."""
    _validate(args)
    from optcopilot.eval.runner import run_eval
    from optcopilot.io.data_dir import DatasetError
    from optcopilot.llm import LLMError, default_spec

    llm = args.llm or default_spec()
    out = Path(args.out) if args.out else default_out(args.dataset, args.mode, llm)
    try:
        summary = run_eval(
            args.dataset, out_dir=out, limit=args.limit, sample=args.sample, llm_spec=llm, mode=args.mode,
            samples=args.samples, workers=args.workers, resume=args.resume, time_limit=args.time_limit,
            llm_timeout=args.llm_timeout, data_dir=args.data_dir, progress=not args.no_progress, rule=args.rule,
            techniques=args.techniques,
            cache=args.cache, ray=_ray_settings(args),
        )
    except DatasetError as exc:
        raise UsageError(str(exc)) from None
    except LLMError as exc:
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_FAIL
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    acc = summary["accuracy"]
    print(f"{summary['dataset']}: {summary['correct']}/{summary['n']} correct"
          f" ({'-' if acc is None else f'{100 * acc:.1f}%'}), rule {summary['rule']}; report: {out / 'summary.md'}")
    return EXIT_OK


def _ray_settings(args: argparse.Namespace) -> RaySettings | None:
    if args.executor != "ray":
        return None
    from optcopilot.eval.ray_executor import RaySettings

    return RaySettings(address=args.ray_address, actors=args.actors, threads_per_actor=args.threads_per_actor)


def run_report_cmd(args: argparse.Namespace) -> int:
    """Regenerate summaries; print one run's summary.md or a side-by-side table for several."""
    from optcopilot.eval.report import SUMMARY_MD, compare_runs, write_report

    dirs = [Path(d) for d in args.dirs]
    for d in dirs:
        if not (d / "results.jsonl").exists():
            raise UsageError(f"{d}: no results.jsonl (not a directory written by `optcopilot eval`)")
    for d in dirs:
        write_report(d)
    text = (dirs[0] / SUMMARY_MD).read_text() if len(dirs) == 1 else compare_runs(dirs)
    if args.out:
        Path(args.out).write_text(text)
    print(text, end="")
    return EXIT_OK
