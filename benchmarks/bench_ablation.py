"""Ablation of the pipeline's accuracy techniques on one fixed sample: each technique on and off, one table.

Every configuration runs through `optcopilot eval`'s runner on the same problems (stratified sample, seed 0),
into `OUT/<config>/` (resumable; records, summary.md and plots as usual), and the table is rebuilt from the
records:

    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation            # all configs
    python benchmarks/bench_ablation.py --dataset optibench --n 30 --out runs/ablation --configs legacy,default
    python benchmarks/bench_ablation.py --out runs/ablation --summarize                           # table only

Configurations (cumulative, as the accuracy issue lists them): `legacy` (the one-shot DSL pipeline before this
work), `+grammar`, `+staged`, `+retrieval`, `+repairs`, `+verifiers`, `+second-opinion`, `+compact+single-example`
(answers without descriptions and generic constraint names, one retrieved example per chain: the fast
configuration), and `+second-opinion` with K = 3 and K = 5 samples voting (a second opinion is only asked of a single greedy chain). Sample i
gets the same seed and prompt whatever K is, so a K = 5 run records what its first three samples vote too: when
K = 3 was not run itself, its row is that vote (named "K=3 (first 3 of K=5)"). Every row counts only the
problems of the sample (`--dataset`, `--n`), so records read with `--from` from a larger run are cut to it.
Columns: accuracy (the dataset's rule, usually all keys) and objective only,
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

_ACCURATE = "grammar+staged+retrieval+repairs+verifiers+second_opinion"
CONFIGS: dict[str, tuple[str, int]] = {
    "legacy": ("legacy", 1),
    "+grammar": ("grammar", 1),
    "+staged": ("grammar+staged", 1),
    "+retrieval": ("grammar+staged+retrieval", 1),
    "+repairs": ("grammar+staged+retrieval+repairs", 1),
    "+verifiers": ("grammar+staged+retrieval+repairs+verifiers", 1),
    "+second-opinion": (_ACCURATE, 1),
    "+compact+single-example": (_ACCURATE + "+compact+single_example", 1),
    "K=3": (_ACCURATE, 3),
    "K=5": (_ACCURATE, 5),
}


# rows read from another configuration's run when not run themselves: K = 3 is the vote of the first three
# samples of the K = 5 run (sample i has the same seed and prompt whatever K is; `PrefixVote`)
DERIVED: dict[str, tuple[str, int]] = {"K=3": ("K=5", 3)}


def _read(path: Path) -> list[EvalRecord]:
    return list(unique_records(read_records(path)).values()) if path.exists() else []


def _new_tokens(attempt: dict[str, Any]) -> int:
    return (int(attempt.get("prompt_tokens") or 0) - int(attempt.get("reused_prompt_tokens") or 0)
            + int(attempt.get("completion_tokens") or 0))


def _summed(name: str, *, correct: list[bool], objective: list[bool], invalid_ir: list[bool], seconds: list[float],
            attempt_lists: list[list[dict[str, Any]]], cached: int, copied: int | None) -> dict[str, Any]:
    n = len(seconds)
    rep = repair_figures(attempt_lists)
    return {"config": name, "n": n, "correct": sum(correct), "objective": sum(objective), "invalid_ir": sum(invalid_ir),
            "median_s": statistics.median(seconds) if n else 0.0, "mean_s": statistics.fmean(seconds) if n else 0.0,
            "tokens": statistics.fmean([sum(int(a.get("prompt_tokens") or 0) + int(a.get("completion_tokens") or 0)
                                            for a in atts) for atts in attempt_lists]) if n else 0.0,
            "new_tokens": statistics.fmean([sum(_new_tokens(a) for a in atts) for atts in attempt_lists]) if n else 0.0,
            "cached": cached, "repairs": rep["calls"], "repeated": rep["repeated"], "fixed": rep["fixed"],
            "by_kind": rep["by_kind"], "copied": copied, "audited": 0}


def row(name: str, records: list[EvalRecord]) -> dict[str, Any]:
    """The table row of one configuration's records."""
    out = _summed(name, correct=[r.category == Category.OK for r in records],
                  objective=[objective_right_of(r) for r in records],
                  invalid_ir=[r.category == Category.INVALID_IR for r in records], seconds=[r.seconds for r in records],
                  attempt_lists=[r.attempts for r in records],
                  cached=sum(r.llm_calls.cached for r in records if r.llm_calls is not None),
                  copied=sum(bool(r.checks and (r.checks.get("copied_example") or r.checks.get("alien_numbers")))
                             for r in records))
    out["audited"] = sum(r.checks is not None for r in records)
    out["tokens"] = statistics.fmean([r.tokens.prompt + r.tokens.completion for r in records]) if records else 0.0
    return out


def prefix_row(name: str, records: list[EvalRecord], samples: int) -> dict[str, Any]:
    """The row of the vote of the first `samples` chains of a run with more (records without it are left out)."""
    votes = [(r, (r.prefix_votes or {}).get(str(samples))) for r in records]
    kept = [(r, v) for r, v in votes if v]
    attempt_lists = [[a for a in r.attempts if int(a.get("sample") or 0) < samples] for r, _ in kept]
    return _summed(name, correct=[bool(v["correct"]) for _, v in kept],
                   objective=[bool(v["objective_right"]) for _, v in kept],
                   invalid_ir=[v["category"] == Category.INVALID_IR.value for _, v in kept],
                   seconds=[float(v["seconds"]) for _, v in kept], attempt_lists=attempt_lists,
                   cached=sum(int(a.get("calls") or 1) for atts in attempt_lists for a in atts if a.get("cached")),
                   copied=None)


def collect_rows(out: Path, sources: dict[str, str], ids: set[str] | None) -> list[dict[str, Any]]:
    """One row per configuration with records (restricted to `ids`, the sample, when given)."""
    def records_of(name: str) -> list[EvalRecord]:
        path = Path(sources[name]) / "results.jsonl" if name in sources else out / _dirname(name) / "results.jsonl"
        return [r for r in _read(path) if ids is None or r.id in ids]

    rows = []
    for name in CONFIGS:
        records = records_of(name)
        if records:
            rows.append(row(name, records))
        elif name in DERIVED:
            base, samples = DERIVED[name]
            derived = prefix_row(f"{name} (first {samples} of {base})", records_of(base), samples)
            if derived["n"]:
                rows.append(derived)
    return rows


def sample_ids(dataset: str, n: int, data_dir: str | None = None) -> set[str]:
    """The ids of the fixed sample every configuration runs (stratified, seed 0)."""
    from optcopilot.eval.datasets import load_dataset
    from optcopilot.eval.runner import select_problems

    return {p.id for p in select_problems(list(load_dataset(dataset, data_dir)), n, "stratified", 0)}


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} = {100 * a / n:.1f} %" if n else "-"


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| config | n | accuracy | objective only | invalid_ir | median s | mean s | tokens/problem (not from the prompt cache) "
            "| repairs repeating | repairs fixing | LLM calls from cache | accepted copies or foreign numbers (of audited) |"
            "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        audit = f"{r['copied']}/{r['audited']}" if r["audited"] else "-"
        lines.append(f"| {r['config']} | {r['n']} | {_pct(r['correct'], r['n'])} | {_pct(r['objective'], r['n'])} "
                     f"| {_pct(r['invalid_ir'], r['n'])} | {r['median_s']:.1f} | {r['mean_s']:.1f} | {r['tokens']:.0f} ({r['new_tokens']:.0f}) "
                     f"| {_pct(r['repeated'], r['repairs'])} | {_pct(r['fixed'], r['repairs'])} | {r['cached']} "
                     f"| {audit} |")
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
    rows = collect_rows(out, sources, sample_ids(args.dataset, args.n))
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
