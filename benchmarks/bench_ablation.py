"""Ablation of the pipeline's accuracy techniques on one fixed sample: each technique on and off, one table.

Every configuration runs through `optcopilot eval`'s runner on the same problems (stratified sample, seed 0),
into `OUT/<config>/` (resumable; records, summary.md and plots as usual), and the table is rebuilt from the
records:

    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation            # all configs
    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation --configs legacy,default
    python benchmarks/bench_ablation.py --out runs/ablation --summarize                           # table only

Configurations (cumulative, as the accuracy issue lists them): `legacy` (the one-shot DSL pipeline before this
work), `+grammar`, `+staged`, `+retrieval`, `+repairs`, `+verifiers`, `+second-opinion` (= the default), and the
default with K = 3 and K = 5 samples voting (a second opinion is only asked of a single greedy chain). Columns: accuracy (the dataset's rule, usually all keys) and objective only,
`invalid_ir` share, median and mean seconds per problem, tokens per problem, and for the repair loop: the
share of repair answers that repeat an earlier answer and the share that fix the error they were given.
Run it alone on the machine, with the LLM response cache off (the default here), when timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from optcopilot.eval.pipeline_report import objective_right_of, repair_figures
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.store import read_records, unique_records

CONFIGS: dict[str, tuple[str, int]] = {
    "legacy": ("legacy", 1),
    "+grammar": ("grammar", 1),
    "+staged": ("grammar+staged", 1),
    "+retrieval": ("grammar+staged+retrieval", 1),
    "+repairs": ("grammar+staged+retrieval+repairs", 1),
    "+verifiers": ("grammar+staged+retrieval+repairs+verifiers", 1),
    "+second-opinion": ("default", 1),
    "K=3": ("default", 3),
    "K=5": ("default", 5),
}


def _read(path: Path) -> list[EvalRecord]:
    return list(unique_records(read_records(path)).values()) if path.exists() else []


def row(name: str, records: list[EvalRecord]) -> dict[str, Any]:
    n = len(records)
    secs = [r.seconds for r in records]
    rep = repair_figures([r.attempts for r in records])
    return {"config": name, "n": n, "correct": sum(r.category == Category.OK for r in records),
            "objective": sum(objective_right_of(r) for r in records),
            "invalid_ir": sum(r.category == Category.INVALID_IR for r in records),
            "median_s": statistics.median(secs) if secs else 0.0, "mean_s": statistics.fmean(secs) if secs else 0.0,
            "tokens": statistics.fmean([r.tokens.prompt + r.tokens.completion for r in records]) if n else 0.0,
            "new_tokens": statistics.fmean([sum(int(a.get("prompt_tokens") or 0) - int(a.get("reused_prompt_tokens") or 0)
                                                + int(a.get("completion_tokens") or 0) for a in r.attempts)
                                            for r in records]) if n else 0.0,
            "cached": sum(r.llm_calls.cached for r in records if r.llm_calls is not None),
            "repairs": rep["calls"], "repeated": rep["repeated"], "fixed": rep["fixed"], "by_kind": rep["by_kind"],
            "copied": sum(bool(r.checks and (r.checks.get("copied_example") or r.checks.get("alien_numbers")))
                          for r in records)}


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} = {100 * a / n:.1f} %" if n else "-"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| config | n | accuracy | objective only | invalid_ir | median s | mean s | tokens/problem (not from the prompt cache) "
            "| repairs repeating | repairs fixing | LLM calls from cache |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['config']} | {r['n']} | {_pct(r['correct'], r['n'])} | {_pct(r['objective'], r['n'])} "
                     f"| {_pct(r['invalid_ir'], r['n'])} | {r['median_s']:.1f} | {r['mean_s']:.1f} | {r['tokens']:.0f} ({r['new_tokens']:.0f}) "
                     f"| {_pct(r['repeated'], r['repairs'])} | {_pct(r['fixed'], r['repairs'])} | {r['cached']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="optibench")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--out", default="runs/ablation")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names from: " + ", ".join(CONFIGS))
    parser.add_argument("--llm", default="local")
    parser.add_argument("--cache", action="store_true", help="use the LLM response cache (not for timing)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--llm-timeout", type=float, default=300.0)
    parser.add_argument("--summarize", action="store_true", help="only print the table of what is in --out")
    parser.add_argument("--from", dest="sources", action="append", default=[], metavar="CONFIG=DIR",
                        help="read a config's records from an existing run directory instead of OUT/<config> "
                             "(e.g. legacy=benchmarks/results/optibench-150/pipeline); repeatable")
    args = parser.parse_args(argv)
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown config(s): {', '.join(unknown)}")
    out = Path(args.out)
    if not args.summarize:
        names = [n for n in names if n not in dict(item.split("=", 1) for item in args.sources)]
        from optcopilot.eval.runner import run_eval

        for name in names:
            techniques, samples = CONFIGS[name]
            print(f"== {name}: techniques={techniques} samples={samples}", file=sys.stderr, flush=True)
            run_eval(args.dataset, out_dir=out / _dirname(name), limit=args.n, sample="stratified",
                     llm_spec=args.llm, samples=samples, time_limit=args.time_limit, llm_timeout=args.llm_timeout,
                     cache=args.cache, techniques=techniques, progress=True)
    sources = dict(item.split("=", 1) for item in args.sources)
    rows = []
    for name in CONFIGS:
        records = _read(Path(sources[name]) / "results.jsonl" if name in sources else out / _dirname(name) / "results.jsonl")
        if records:
            rows.append(row(name, records))
    print(table(rows))
    by_kind: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for kind, counts in r["by_kind"].items():
            by_kind[r["config"]].append(f"{kind} {counts['fixed']}/{counts['given']}")
    for config, parts in by_kind.items():
        print(f"- repairs fixing the error they were given, {config}: " + ", ".join(parts))
    return 0


def _dirname(name: str) -> str:
    return name.replace("+", "plus-").replace("=", "")


if __name__ == "__main__":
    sys.exit(main())
