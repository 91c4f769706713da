"""Raw highspy vs the optcopilot IR path on the MIPLIB subset.

For every instance of `selected.solu` (or `--instances a,b`), in one process:

* raw: `Highs.readModel` + `run` (threads=1, mip_rel_gap=0, time limit);
* IR: `read_model_file` -> `instantiate` -> `build_highs` -> the same options run through the HiGHS
  solver route (`solve_loaded`), timed per stage.

The order of the two alternates per instance (fair to caches). Prints one row per instance and the
total ratio; exits 1 if any objective or status differs (IR vs raw, or vs the reference value).

    python benchmarks/bench_ir_vs_highspy.py [--instances flugpl,gt2] [--time-limit 120] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import highspy

from optcopilot.compile.instance import instantiate
from optcopilot.compile.to_highs import build_highs
from optcopilot.eval.datasets import solu_optima as read_solu
from optcopilot.io.mps import read_model_file
from optcopilot.solve.highs import solve_loaded
from optcopilot.solve.result import Termination

REPO = Path(__file__).resolve().parents[1]
REL_TOL = 1e-6


@dataclass
class Run:
    status: str = ""
    objective: float | None = None
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # process CPU time: less sensitive to other load on the machine
    nodes: int = 0  # branch-and-bound nodes (the same search explores the same number)
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class Row:
    name: str
    reference: float | None  # None: infeasible
    raw: Run
    ir: Run
    ir_first: bool
    match: bool = False
    note: str = ""


def data_dir(explicit: str | None) -> Path:
    """--data-dir, else env OPTCOPILOT_DATA_DIR, else <repo>/../shared/datasets."""
    env = os.environ.get("OPTCOPILOT_DATA_DIR", "").strip()
    return Path(explicit or env or REPO.parent / "shared" / "datasets").expanduser()




_RAW_STATUS = {
    highspy.HighsModelStatus.kOptimal: Termination.OPTIMAL.value,
    highspy.HighsModelStatus.kInfeasible: Termination.INFEASIBLE.value,
    highspy.HighsModelStatus.kUnbounded: Termination.UNBOUNDED.value,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: Termination.INFEASIBLE_OR_UNBOUNDED.value,
}


def run_raw(path: Path, time_limit: float, threads: int) -> Run:
    cpu = time.process_time()
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", float(time_limit))
    h.readModel(str(path))
    read = time.perf_counter()
    h.run()
    end = time.perf_counter()
    status = h.getModelStatus()
    info = h.getInfo()
    objective = info.objective_function_value if info.primal_solution_status == 2 else None
    return Run(_RAW_STATUS.get(status, h.modelStatusToString(status)), objective, end - start,
               time.process_time() - cpu, max(int(info.mip_node_count), 0), {"read": read - start, "solve": end - read})


def run_ir(path: Path, time_limit: float, threads: int) -> Run:
    cpu = time.process_time()
    t0 = time.perf_counter()
    formulation = read_model_file(path)
    t1 = time.perf_counter()
    inst = instantiate(formulation)
    t2 = time.perf_counter()
    h, sign = build_highs(inst)
    t3 = time.perf_counter()
    result = solve_loaded(h, inst, sign, time_limit, t3, {"mip_rel_gap": 0.0, "threads": threads},
                          inst.problem_class().value)
    t4 = time.perf_counter()
    status = result.status.value
    if result.status in (Termination.TIME_LIMIT_FEASIBLE, Termination.TIME_LIMIT_NO_SOLUTION):
        status = "time limit"
    return Run(status, result.objective, t4 - t0, time.process_time() - cpu, max(int(h.getInfo().mip_node_count), 0),
               {"read": t1 - t0, "instantiate": t2 - t1, "build": t3 - t2, "solve": t4 - t3})


def close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= REL_TOL * max(1.0, abs(b))


def judge(row: Row) -> None:
    raw, ir = row.raw, row.ir
    if raw.status in ("Time limit reached", "time limit"):
        raw.status = "time limit"
    problems = []
    if ir.status != raw.status:
        problems.append(f"status {ir.status} vs raw {raw.status}")
    elif ir.status == Termination.OPTIMAL.value and not close(ir.objective, raw.objective):
        problems.append(f"objective {ir.objective} vs raw {raw.objective}")
    if row.reference is None:
        if ir.status != Termination.INFEASIBLE.value:
            problems.append("reference says infeasible")
    elif ir.status == Termination.OPTIMAL.value and not close(ir.objective, row.reference):
        problems.append(f"objective {ir.objective} vs reference {row.reference}")
    elif ir.status != Termination.OPTIMAL.value:
        problems.append(f"not solved to optimality ({ir.status})")
    row.match = not problems
    row.note = "; ".join(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", help="comma-separated names (default: all of selected.solu)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve (default 120)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", help="shared datasets dir (default: env OPTCOPILOT_DATA_DIR or ../shared/datasets)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    miplib = data_dir(args.data_dir) / "miplib"
    if not (miplib / "selected.solu").is_file():
        print(f"MIPLIB data not found at {miplib}", file=sys.stderr)
        return 2
    solu = read_solu(miplib / "selected.solu")
    names = [n.strip() for n in args.instances.split(",") if n.strip()] if args.instances else sorted(solu)
    unknown = [n for n in names if n not in solu]
    if unknown:
        print(f"not in selected.solu: {', '.join(unknown)}", file=sys.stderr)
        return 2

    header = (f"{'instance':<20} {'raw s':>8} {'IR s':>8} {'ratio':>6} {'cpu':>5}  {'read':>6} {'inst':>6} "
              f"{'build':>6} {'solve':>7}  {'nodes raw/IR':>13}  {'objective':>16}  match")
    print(header)
    print("-" * len(header))
    rows: list[Row] = []
    for k, name in enumerate(names):
        path = miplib / "instances" / f"{name}.mps.gz"
        ir_first = k % 2 == 1
        runs: dict[str, Run] = {}
        for which in (("ir", "raw") if ir_first else ("raw", "ir")):
            gc.collect()
            runs[which] = (run_ir if which == "ir" else run_raw)(path, args.time_limit, args.threads)
        row = Row(name, solu[name], runs["raw"], runs["ir"], ir_first)
        judge(row)
        rows.append(row)
        s = row.ir.stages
        objective = f"{row.ir.objective:.10g}" if row.ir.objective is not None else row.ir.status
        nodes = f"{row.raw.nodes}/{row.ir.nodes}"
        print(f"{name:<20} {row.raw.seconds:8.2f} {row.ir.seconds:8.2f} {row.ir.seconds / row.raw.seconds:6.2f} "
              f"{row.ir.cpu / row.raw.cpu:5.2f}  {s['read']:6.2f} {s['instantiate']:6.2f} {s['build']:6.2f} "
              f"{s['solve']:7.2f}  {nodes:>13}  {objective:>16}  {'yes' if row.match else 'NO: ' + row.note}",
              flush=True)

    raw_total = sum(r.raw.seconds for r in rows)
    ir_total = sum(r.ir.seconds for r in rows)
    stage = {key: sum(r.ir.stages[key] for r in rows) for key in ("read", "instantiate", "build", "solve")}
    raw_read = sum(r.raw.stages["read"] for r in rows)
    raw_solve = sum(r.raw.stages["solve"] for r in rows)
    print("-" * len(header))
    cpu_ratio = sum(r.ir.cpu for r in rows) / sum(r.raw.cpu for r in rows)
    print(f"{'total':<20} {raw_total:8.2f} {ir_total:8.2f} {ir_total / raw_total:6.2f} {cpu_ratio:5.2f}  "
          f"{stage['read']:6.2f} {stage['instantiate']:6.2f} {stage['build']:6.2f} {stage['solve']:7.2f}")
    print(f"raw: read {raw_read:.2f} s + run {raw_solve:.2f} s.  IR before the solve (read+instantiate+build): "
          f"{stage['read'] + stage['instantiate'] + stage['build']:.2f} s.  Total ratio IR/raw = "
          f"{ir_total / raw_total:.3f} (wall), {cpu_ratio:.3f} (CPU)")
    mismatches = [r.name for r in rows if not r.match]
    print(f"objectives: {len(rows) - len(mismatches)}/{len(rows)} match" +
          (f"; mismatches: {', '.join(mismatches)}" if mismatches else ""))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
