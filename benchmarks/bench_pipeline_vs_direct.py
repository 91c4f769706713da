"""Our pipeline against the direct-code baseline on one fixed stratified OptiBench sample, same model.

    python benchmarks/bench_pipeline_vs_direct.py --n 60 --llm local --out runs/bench-optibench-60

Both modes go through `optcopilot eval`'s runner (atomic JSONL, `--resume` by default), so a long run can
be stopped and continued in parts. `--reuse OLD_OUT` starts a new, larger sample from the records of an earlier
run on the problems both samples share, provided the earlier run's settings (dataset, mode, LLM, samples, limits,
rule) are identical; the table says how many records were reused. Prints, side by side: accuracy under the OptiBench rule (every key within
1e-4), objective-only accuracy, execution rate and mean seconds per problem.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from optcopilot.eval.alternatives import objective_matches, reference_is_alternative_optimum
from optcopilot.eval.config import load_config
from optcopilot.eval.datasets import load_dataset
from optcopilot.eval.records import EvalRecord
from optcopilot.eval.runner import run_eval, select_problems
from optcopilot.eval.scoring import default_rule
from optcopilot.eval.store import (
    RESULTS_FILE,
    append_json_line,
    read_json_lines,
    read_records,
    unique_records,
)
from optcopilot.ir.model import Formulation

MODES = ("pipeline", "direct-code")


def objective_ok(rec: EvalRecord) -> bool:
    """Objective-only verdict: the predicted objective within 1e-4 (abs or rel) of the reference objective."""
    ref = rec.reference.get(rec.objective_key) if rec.objective_key else None
    return objective_matches(rec.objective, ref)


def other_optimum(rec: EvalRecord) -> bool:
    """Wrong under the all-keys rule, right objective, and the reference's values optimal in our model too.

    Read from the record (`verdict.alternative_optimum`); records written before that check existed are
    checked here the same way, from their stored formulation.
    """
    verdict = rec.verdict
    if verdict is None or verdict.correct or not objective_ok(rec) or rec.objective is None:
        return False
    if verdict.alternative_checked:
        return verdict.alternative_optimum is True
    if not rec.formulation:
        return False
    try:
        f = Formulation.model_validate(rec.formulation)
        return reference_is_alternative_optimum(f, rec.mapped, rec.reference, rec.objective) is True
    except Exception:
        return False


def table(out: Path, modes: list[str]) -> str:
    rows = ["| mode | n | accuracy (all keys, 1e-4) | accuracy (objective only) | right objective, another optimum "
            "(verified) | execution rate | mean s/problem |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for mode in modes:
        path = out / mode / RESULTS_FILE
        if not path.exists():
            continue
        recs = list(unique_records(read_records(path)).values())
        n = len(recs)
        if not n:
            continue
        allk = sum(r.verdict is not None and r.verdict.correct for r in recs)
        obj = sum(objective_ok(r) for r in recs)
        other = sum(other_optimum(r) for r in recs)
        ran = sum(r.executed for r in recs)
        secs = sum(r.seconds for r in recs) / n
        rows.append(f"| {mode} | {n} | {allk}/{n} = {allk / n:.1%} | {obj}/{n} = {obj / n:.1%} | "
                    f"{other} | {ran}/{n} = {ran / n:.1%} | {secs:.1f} |")
    return "\n".join(rows)


def reuse_records(old: Path, new: Path, ids: list[str], config: dict[str, Any]) -> int:
    """Copy records of ``ids`` from run dir ``old`` into a fresh run dir ``new`` if both ran with ``config``."""
    if (new / RESULTS_FILE).exists() or load_config(old).get("config") != config:
        return 0
    wanted = set(ids)
    new.mkdir(parents=True, exist_ok=True)
    copied = 0
    for raw in read_json_lines(old / RESULTS_FILE):  # copied as written (any schema version)
        if raw["id"] in wanted:
            append_json_line(new / RESULTS_FILE, raw)
            wanted.discard(raw["id"])
            copied += 1
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--dataset", default="optibench")
    parser.add_argument("--llm", default="local")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--llm-timeout", type=float, default=300.0)
    parser.add_argument("--summarize", action="store_true", help="only print the table of an existing --out")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="an earlier run dir whose matching records start this run (same settings only)")
    args = parser.parse_args(argv)
    out = args.out or Path("runs") / f"bench-{args.dataset}-{args.n}"
    if not args.summarize:
        if args.reuse:
            ids = [p.id for p in select_problems(load_dataset(args.dataset), args.n, "stratified")]
            for mode in args.modes:
                config = {"dataset": args.dataset, "mode": mode, "llm_spec": args.llm, "samples": 1,
                          "time_limit": args.time_limit, "llm_timeout": args.llm_timeout, "rule": default_rule(args.dataset)}
                n = reuse_records(args.reuse / mode, out / mode, ids, config)
                print(f"{mode}: reused {n} records from {args.reuse / mode}")
        for mode in args.modes:
            run_eval(args.dataset, out_dir=out / mode, limit=args.n, sample="stratified", llm_spec=args.llm,
                     mode=mode, resume=True, time_limit=args.time_limit, llm_timeout=args.llm_timeout)
    print(f"{args.dataset}, stratified sample of {args.n} (seed 0), LLM {args.llm}")
    print(table(out, args.modes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
