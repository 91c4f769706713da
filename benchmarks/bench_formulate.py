"""Benchmark the formulate pipeline on a fixed stratified OptiBench sample, per LLM surface.

    python benchmarks/bench_formulate.py --n 10 --surface json dsl --llm local --out /tmp/bench.jsonl

Problems run in order and, per problem, every surface in turn, so a stopped run still compares the surfaces
on the same problems. Prints accuracy (OptiBench all-keys rule and objective-only), execution rate (a
solved model came out) and mean seconds per problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from optcopilot.eval.datasets import Problem, load_dataset
from optcopilot.eval.keymap import Prediction, map_keys
from optcopilot.eval.sampling import stratified_sample
from optcopilot.eval.scoring import score
from optcopilot.formulate.pipeline import Outcome, formulate_and_solve
from optcopilot.llm import make_backend


def prediction_of(outcome: Outcome) -> Prediction:
    """Objective and variable values with the variables' descriptions (for key matching)."""
    result, f = outcome.result, outcome.formulation
    descs = {v.name: v.description for v in (f.variables if f else [])}
    values = dict(result.variables) if result else {}
    names = {name: descs.get(name.split("[")[0], "") for name in values}
    objective = result.objective if result and result.status.has_solution else None
    return Prediction(objective=objective, values=values, descriptions=names,
                      objective_description=f.objective.description if f else "")


def grade(problem: Problem, outcome: Outcome) -> dict[str, Any]:
    """Both verdicts for one outcome."""
    status = outcome.result.status.value if outcome.result else "error"
    pred = prediction_of(outcome)
    mapping = map_keys(list(problem.answers), pred, problem.objective_key)
    all_keys = score(problem, mapping.values, status, rule="optibench").correct
    obj = {problem.objective_key: pred.objective} if problem.objective_key and pred.objective is not None else {}
    objective_only = score(problem, obj, status, rule="objective").correct
    return {"status": status, "objective": pred.objective, "all_keys": bool(all_keys), "objective_ok": bool(objective_only),
            "executed": pred.objective is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--surface", nargs="+", default=["json", "dsl"])
    parser.add_argument("--llm", default="local")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--max-repairs", type=int, default=2)
    parser.add_argument("--llm-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=None, help="append one JSON line per run")
    parser.add_argument("--summarize", type=Path, default=None, help="only print the table of a --out file")
    args = parser.parse_args(argv)
    if args.summarize:
        rows = [json.loads(line) for line in args.summarize.read_text(encoding="utf-8").splitlines() if line]
        done = {r["id"] for r in rows if r["surface"] == args.surface[-1]}  # problems every surface finished
        print(summary([r for r in rows if r["id"] in done]))
        return 0

    problems = stratified_sample(load_dataset("optibench"), args.n, seed=args.seed)
    backend = make_backend(args.llm, cache=False)
    rows: list[dict[str, Any]] = []
    for i, problem in enumerate(problems, 1):
        tables = dict(problem.tables) or None
        for surface in args.surface:
            start = time.perf_counter()
            outcome = formulate_and_solve(problem.text, backend, tables=tables, samples=args.samples,
                                          max_repairs=args.max_repairs, llm_timeout=args.llm_timeout,
                                          surface=surface, time_limit=30.0)
            row = {"id": problem.id, "ptype": problem.ptype, "surface": surface,
                   "seconds": round(time.perf_counter() - start, 1), "calls": outcome.llm.get("calls"),
                   "error": outcome.error, "reference": problem.answers.get(problem.objective_key or "", None),
                   **grade(problem, outcome)}
            rows.append(row)
            print(f"[{i}/{len(problems)}] {surface:4} {problem.ptype:18} ok={row['all_keys']!s:5} "
                  f"obj_ok={row['objective_ok']!s:5} obj={row['objective']} ref={row['reference']} "
                  f"{row['seconds']}s calls={row['calls']} {(row['error'] or '')[:80]}", flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({**row, "attempts": [a.__dict__ for a in outcome.attempts]}) + "\n")
    print(summary(rows))
    return 0


def summary(rows: list[dict[str, Any]]) -> str:
    """A markdown table per surface."""
    lines = ["| surface | n | accuracy (all keys) | accuracy (objective) | execution rate | mean s/problem |",
             "|---|---|---|---|---|---|"]
    for surface in dict.fromkeys(r["surface"] for r in rows):
        sub = [r for r in rows if r["surface"] == surface]
        n = len(sub)
        lines.append(f"| {surface} | {n} | {sum(r['all_keys'] for r in sub) / n:.0%} | "
                     f"{sum(r['objective_ok'] for r in sub) / n:.0%} | {sum(r['executed'] for r in sub) / n:.0%} | "
                     f"{sum(r['seconds'] for r in sub) / n:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
