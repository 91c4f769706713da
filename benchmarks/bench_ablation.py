"""Ablation of the pipeline's accuracy techniques on one fixed sample: each technique on and off, one table.

Every configuration runs through `optcopilot eval`'s runner on the same problems (stratified sample, seed 0),
into `OUT/<config>/` (resumable; records, summary.md and plots as usual), and the table is rebuilt from the
records:

    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation            # all configs
    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation --configs legacy,default
    python benchmarks/bench_ablation.py --out runs/ablation --summarize                           # table only

Configurations (cumulative, as the accuracy issue lists them): `legacy` (the one-shot DSL pipeline before this
work), `+grammar`, `+staged`, `+retrieval`, `+repairs`, `+verifiers` (= the default), and the default with
K = 3 and K = 5 samples voting. Columns: accuracy (the dataset's rule, usually all keys) and objective only,
`invalid_ir` share, median and mean seconds per problem, tokens per problem, and for the repair loop: the
share of repair answers that repeat an earlier answer and the share that fix the error they were given.
Run it alone on the machine, with the LLM response cache off (the default here), when timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

CONFIGS: dict[str, tuple[str, int]] = {
    "legacy": ("legacy", 1),
    "+grammar": ("grammar", 1),
    "+staged": ("grammar+staged", 1),
    "+retrieval": ("grammar+staged+retrieval", 1),
    "+repairs": ("grammar+staged+retrieval+repairs", 1),
    "+verifiers": ("default", 1),
    "K=3": ("default", 3),
    "K=5": ("default", 5),
}


def _read(path: Path) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            rows[str(rec.get("id"))] = rec
    return list(rows.values())


def _objective_right(rec: dict[str, Any]) -> bool:
    verdict = rec.get("verdict") or {}
    if verdict.get("objective_correct") is not None:
        return bool(verdict["objective_correct"])
    return bool(rec.get("correct"))


def repair_stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Repair answers: how many repeat an earlier answer, and per error kind how many fix what they were given."""
    total = repeated = 0
    given: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    for rec in records:
        for a in rec.get("attempts") or []:
            if a.get("stage") != "repair":
                continue
            total += 1
            repeated += bool(a.get("repeated"))
            kind = str(a.get("repairs") or "?").split(":")[0]
            given[kind] += 1
            if a.get("error_kind") is None or str(a.get("error_kind")).split(":")[0] != kind:
                fixed[kind] += a.get("error_kind") is None
    return {"repairs": total, "repeated": repeated, "fixed": sum(fixed.values()),
            "by_kind": {k: (fixed[k], n) for k, n in given.most_common()}}


def row(name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    secs = [float(r.get("seconds") or 0.0) for r in records]
    tokens = [sum(int((r.get("tokens") or {}).get(k, 0) or 0) for k in ("prompt", "completion")) for r in records]
    cats = Counter(str(r.get("category")) for r in records)
    rep = repair_stats(records)
    return {"config": name, "n": n, "correct": sum(bool(r.get("correct")) for r in records),
            "objective": sum(_objective_right(r) for r in records), "invalid_ir": cats.get("invalid_ir", 0),
            "median_s": statistics.median(secs) if secs else 0.0, "mean_s": statistics.fmean(secs) if secs else 0.0,
            "tokens": statistics.fmean(tokens) if tokens else 0.0, **rep,
            "copied": sum(bool((r.get("checks") or {}).get("copied_example")) for r in records)}


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} = {100 * a / n:.1f} %" if n else "-"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| config | n | accuracy | objective only | invalid_ir | median s | mean s | tokens/problem "
            "| repairs repeating | repairs fixing |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['config']} | {r['n']} | {_pct(r['correct'], r['n'])} | {_pct(r['objective'], r['n'])} "
                     f"| {_pct(r['invalid_ir'], r['n'])} | {r['median_s']:.1f} | {r['mean_s']:.1f} | {r['tokens']:.0f} "
                     f"| {_pct(r['repeated'], r['repairs'])} | {_pct(r['fixed'], r['repairs'])} |")
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
    args = parser.parse_args(argv)
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown config(s): {', '.join(unknown)}")
    out = Path(args.out)
    if not args.summarize:
        from optcopilot.eval.runner import run_eval

        for name in names:
            techniques, samples = CONFIGS[name]
            print(f"== {name}: techniques={techniques} samples={samples}", file=sys.stderr, flush=True)
            run_eval(args.dataset, out_dir=out / _dirname(name), limit=args.n, sample="stratified",
                     llm_spec=args.llm, samples=samples, time_limit=args.time_limit, llm_timeout=args.llm_timeout,
                     cache=args.cache, techniques=techniques, progress=True)
    rows = []
    for name in CONFIGS:
        records = _read(out / _dirname(name) / "results.jsonl")
        if records:
            rows.append(row(name, records))
    print(table(rows))
    by_kind: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for kind, (fixed, given) in r["by_kind"].items():
            by_kind[r["config"]].append(f"{kind} {fixed}/{given}")
    for config, parts in by_kind.items():
        print(f"- repairs fixing the error they were given, {config}: " + ", ".join(parts))
    return 0


def _dirname(name: str) -> str:
    return name.replace("+", "plus-").replace("=", "")


if __name__ == "__main__":
    sys.exit(main())
