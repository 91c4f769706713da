"""Equivalence benchmark: reference models x transformations, each pair labelled at two levels (optimal:
optima map to optima; feasible: the feasible sets correspond with the objective kept), scored for the
structural checker at both levels (with the share of `false` verdicts that carry a certificate and
EquivaMap's convention), the LLM method (EquivaMap style, optional) and two baselines (equal optimal
values; WL graph hash).

    python benchmarks/bench_equivalence.py [--skip-llm | --llm SPEC --llm-limit N] [--miplib a,b,...]

References: small MIPLIB instances from the shared data folder plus generated small models. Every
reference goes through every transformation; variants that cannot be labelled truthfully are skipped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from optcopilot.equivalence import (
    TRANSFORMATIONS,
    NotApplicable,
    Transformation,
    check_equivalence,
    transformation,
)
from optcopilot.equivalence.baselines import execution_equal, wl_equal
from optcopilot.equivalence.check import check_with_llm_only
from optcopilot.ir.model import Formulation

MIPLIB_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "miplib" / "instances"
DEFAULT_MIPLIB = "flugpl,gt2,gen,sp150x300d"


# ---- generated references ---------------------------------------------------------------------
def production(seed: int) -> Formulation:
    rng = np.random.default_rng(seed)
    n, m = 3 + seed % 3, 2 + seed % 2
    products = [f"p{i}" for i in range(n)]
    return Formulation.model_validate({
        "name": f"production{seed}",
        "sets": [{"name": "P", "elements": products}, {"name": "R", "elements": [f"r{i}" for i in range(m)]}],
        "parameters": [
            {"name": "profit", "index": ["P"], "value": rng.integers(3, 12, n).tolist()},
            {"name": "use", "index": ["R", "P"], "value": rng.integers(1, 6, (m, n)).tolist()},
            {"name": "cap", "index": ["R"], "value": rng.integers(20, 40, m).tolist()}],
        "variables": [{"name": "x", "index": ["P"], "domain": "integer", "ub": 15}, {"name": "t", "lb": None}],
        "objective": {"sense": "maximize", "expression": "sum(profit[p]*x[p] for p in P) - 0.5*t"},
        "constraints": [
            {"name": "cap", "forall": "r in R", "expression": "sum(use[r,p]*x[p] for p in P) <= cap[r]"},
            {"name": "tdef", "expression": f"t >= x['{products[0]}'] - 2"}]})


def transport(seed: int) -> Formulation:
    rng = np.random.default_rng(100 + seed)
    s, d = 2 + seed % 2, 3
    supply = rng.integers(30, 60, s)
    demand = rng.integers(10, 25, d)
    return Formulation.model_validate({
        "name": f"transport{seed}",
        "sets": [{"name": "S", "range": [1, s]}, {"name": "D", "range": [1, d]}],
        "parameters": [{"name": "supply", "index": ["S"], "value": supply.tolist()},
                       {"name": "demand", "index": ["D"], "value": demand.tolist()},
                       {"name": "cost", "index": ["S", "D"], "value": rng.uniform(1, 9, (s, d)).round(2).tolist()}],
        "variables": [{"name": "ship", "index": ["S", "D"]}],
        "objective": {"sense": "minimize", "expression": "sum(cost[i,j]*ship[i,j] for i in S for j in D)"},
        "constraints": [
            {"name": "out", "forall": "i in S", "expression": "sum(ship[i,j] for j in D) <= supply[i]"},
            {"name": "meet", "forall": "j in D", "expression": "sum(ship[i,j] for i in S) >= demand[j]"}]})


def knapsack(seed: int) -> Formulation:
    rng = np.random.default_rng(200 + seed)
    n = 6 + seed
    w = rng.integers(2, 15, n)
    return Formulation.model_validate({
        "name": f"knapsack{seed}",
        "sets": [{"name": "I", "range": [1, n]}],
        "parameters": [{"name": "value", "index": ["I"], "value": rng.integers(5, 30, n).tolist()},
                       {"name": "weight", "index": ["I"], "value": w.tolist()},
                       {"name": "capacity", "value": int(w.sum() // 2)}],
        "variables": [{"name": "take", "index": ["I"], "domain": "integer", "ub": 3}],
        "objective": {"sense": "maximize", "expression": "sum(value[i]*take[i] for i in I)"},
        "constraints": [{"name": "cap", "expression": "sum(weight[i]*take[i] for i in I) <= capacity"},
                        {"name": "pair", "expression": "take[1] + take[2] <= 4"}]})


def facility(seed: int) -> Formulation:
    rng = np.random.default_rng(300 + seed)
    f, c = 3, 4
    return Formulation.model_validate({
        "name": f"facility{seed}",
        "sets": [{"name": "F", "range": [1, f]}, {"name": "C", "range": [1, c]}],
        "parameters": [{"name": "open_cost", "index": ["F"], "value": rng.integers(20, 60, f).tolist()},
                       {"name": "serve", "index": ["F", "C"], "value": rng.integers(1, 20, (f, c)).tolist()},
                       {"name": "dem", "index": ["C"], "value": rng.integers(5, 15, c).tolist()},
                       {"name": "capf", "index": ["F"], "value": rng.integers(20, 40, f).tolist()}],
        "variables": [{"name": "open", "index": ["F"], "domain": "binary"}, {"name": "flow", "index": ["F", "C"]}],
        "objective": {"sense": "minimize",
                      "expression": "sum(open_cost[i]*open[i] for i in F) + sum(serve[i,j]*flow[i,j] for i in F for j in C)"},
        "constraints": [
            {"name": "demand", "forall": "j in C", "expression": "sum(flow[i,j] for i in F) == dem[j]"},
            {"name": "capacity", "forall": "i in F", "expression": "sum(flow[i,j] for j in C) <= capf[i]*open[i]"}]})


def blend(seed: int) -> Formulation:
    rng = np.random.default_rng(400 + seed)
    k = 4
    return Formulation.model_validate({
        "name": f"blend{seed}",
        "sets": [{"name": "K", "range": [1, k]}],
        "parameters": [{"name": "price", "index": ["K"], "value": rng.uniform(1, 5, k).round(2).tolist()},
                       {"name": "quality", "index": ["K"], "value": rng.uniform(0, 10, k).round(1).tolist()}],
        "variables": [{"name": "frac", "index": ["K"], "ub": 0.6}, {"name": "dev", "lb": None}],
        "objective": {"sense": "minimize", "expression": "sum(price[k]*frac[k] for k in K) + 0.1*dev"},
        "constraints": [{"name": "total", "expression": "sum(frac[k] for k in K) == 1"},
                        {"name": "qual", "expression": "4 <= sum(quality[k]*frac[k] for k in K) <= 7"},
                        {"name": "devdef", "expression": "dev >= sum(quality[k]*frac[k] for k in K) - 5"}]})


GENERATORS = (production, transport, knapsack, facility, blend)


def references(miplib: list[str], seeds: int) -> list[tuple[str, str, Formulation]]:
    """(part, name, formulation) for every reference model."""
    from optcopilot.io.mps import read_model_file

    out = []
    for name in miplib:
        path = MIPLIB_DIR / f"{name}.mps.gz"
        if path.exists():
            out.append(("miplib", name, read_model_file(path)))
        else:
            print(f"(skipping {name}: {path} not found)", file=sys.stderr)
    for gen in GENERATORS:
        for seed in range(seeds):
            f = gen(seed)
            out.append(("generated", f.name, f))
    return out


# ---- run ------------------------------------------------------------------------------------------
LEVELS = ("optimal", "feasible")


def verdicts(rep) -> dict[str, tuple[bool | None, bool, str]]:
    """Per level: (verdict, whether a `false` comes with a certificate, the certificate's kind)."""
    return {"optimal": (rep.equivalent, rep.certificate is not None, (rep.certificate or {}).get("kind", "")),
            "feasible": (rep.feasible.equivalent, rep.feasible.certificate is not None,
                         (rep.feasible.certificate or {}).get("kind", ""))}


def pairs_of(ref: Formulation, renamed: bool) -> list[tuple[Transformation, Formulation, str]]:
    """(transformation, candidate, row name) for every transformation that applies to `ref`.

    With `renamed`, every transformation that changes the meaning at some level is also applied followed by
    `rename_shuffle`, so that names give the checker no help: the labels are those of the change.
    """
    shuffle = transformation("rename_shuffle")
    out = []
    for t in TRANSFORMATIONS:
        if not t.accepts(ref):
            continue
        try:
            cand, _ = t.apply(ref, np.random.default_rng(7))
        except NotApplicable:
            continue
        out.append((t, cand, t.name))
        if renamed and not (t.equivalent and t.feasible_label):
            out.append((t, shuffle.apply(cand, np.random.default_rng(8))[0], f"{t.name}+rename"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--miplib", default=DEFAULT_MIPLIB, help="comma-separated MIPLIB instance names")
    ap.add_argument("--seeds", type=int, default=4, help="generated models per family (5 families)")
    ap.add_argument("--skip-llm", action="store_true", help="do not run the LLM method")
    ap.add_argument("--llm", default="local", help="LLM spec for the LLM method (default: embedded model)")
    ap.add_argument("--llm-limit", type=int, default=6, help="pairs (generated part) to run the slow LLM method on")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--no-renamed", action="store_true",
                    help="skip the '+rename' pairs (each meaning change followed by a random renaming and reordering)")
    args = ap.parse_args(argv)
    refs = references([n for n in args.miplib.split(",") if n], args.seeds)
    backend = None
    if not args.skip_llm:
        from optcopilot.llm import LLMError, make_backend

        try:
            backend = make_backend(args.llm, cache=False)
        except LLMError as exc:
            print(f"(LLM method skipped: {exc})", file=sys.stderr)
    rows = []  # (part, ref, transformation, {level: label}, {method: (verdict, seconds)}, {level: (verdict, cert)})
    llm_left = args.llm_limit
    start = time.perf_counter()
    for part, name, ref in refs:
        for t, cand, tname in pairs_of(ref, not args.no_renamed):
            res: dict[str, tuple[bool | None, float]] = {}
            t0 = time.perf_counter()
            rep = check_equivalence(cand, ref, use_llm=False, time_limit=args.time_limit)
            res["structural"] = (rep.equivalent, time.perf_counter() - t0)
            t0 = time.perf_counter()
            res["exec"] = (execution_equal(cand, ref, args.time_limit), time.perf_counter() - t0)
            t0 = time.perf_counter()
            res["wl"] = (wl_equal(cand, ref), time.perf_counter() - t0)
            if backend is not None and part == "generated" and llm_left > 0:
                llm_left -= 1
                t0 = time.perf_counter()
                lrep = check_with_llm_only(cand, ref, backend, time_limit=max(args.time_limit, 300))
                res["llm"] = (lrep.equivalent, time.perf_counter() - t0)
            labels = {"optimal": t.equivalent, "feasible": t.feasible_label}
            got = verdicts(rep)
            rows.append((part, name, tname, labels, res, got))
            wrong = [lv for lv in LEVELS if got[lv][0] != labels[lv]]
            mark = "" if not wrong else f"   <-- {','.join(wrong)}: {rep.method} {str(rep.feasible.evidence)[:160]}"
            print(f"{part:9s} {name:14s} {tname:26s} opt {labels['optimal']!s:5s}->{got['optimal'][0]!s:5s} "
                  f"feas {labels['feasible']!s:5s}->{got['feasible'][0]!s:5s} {res['structural'][1]:6.2f}s{mark}",
                  flush=True)
    report(rows, time.perf_counter() - start)
    return 0


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f}" if xs else "-"


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "-"


def report(rows: list, total: float) -> None:
    by_t: dict[str, list] = defaultdict(list)
    for r in rows:
        by_t[r[2]].append(r)
    print("\n| transformation | label (opt/feas) | pairs | optimal level | feasible level | false with certificate "
          "| EquivaMap convention | exec. accuracy | WL hash | median s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tname, items in by_t.items():
        lab = items[0][3]
        cells = []
        for lv in LEVELS:
            cells.append(pct(sum(r[5][lv][0] == r[3][lv] for r in items), len(items)))
        neg = [(r, lv) for r in items for lv in LEVELS if r[3][lv] is False]
        cert = pct(sum(r[5][lv][0] is False and r[5][lv][1] for r, lv in neg), len(neg)) if neg else "–"
        equivamap = pct(sum((r[5]["optimal"][0] is True) == r[3]["optimal"] for r in items), len(items))
        exec_acc = pct(sum(r[4]["exec"][0] == r[3]["optimal"] for r in items), len(items))
        wl_acc = pct(sum(r[4]["wl"][0] == r[3]["optimal"] for r in items), len(items))
        label = f"{'equiv' if lab['optimal'] else 'not'}/{'equiv' if lab['feasible'] else 'not'}"
        print(f"| {tname} | {label} | {len(items)} | {cells[0]} | {cells[1]} | {cert} | {equivamap} | {exec_acc} | "
              f"{wl_acc} | {med([r[4]['structural'][1] for r in items])} |")
    print()
    for lv in LEVELS:
        pos = [r for r in rows if r[3][lv]]
        neg = [r for r in rows if not r[3][lv]]
        false_true = sum(1 for r in neg if r[5][lv][0] is True)
        certified = sum(1 for r in neg if r[5][lv][0] is False and r[5][lv][1])
        undecided = sum(1 for r in rows if r[5][lv][0] is None)
        kinds = Counter(r[5][lv][2] for r in neg if r[5][lv][0] is False and r[5][lv][1])
        print(f"{lv} level: equivalent pairs right {pct(sum(r[5][lv][0] is True for r in pos), len(pos))} "
              f"({len(pos)}); non-equivalent pairs false with a certificate {pct(certified, len(neg))} ({len(neg)}); "
              f"false 'true' {false_true}; undecided {undecided}; certificates: "
              + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    em = sum((r[5]["optimal"][0] is True) == r[3]["optimal"] for r in rows)
    print(f"EquivaMap convention (no verified map = not equivalent), optimal level: {pct(em, len(rows))}")
    for m in ("exec", "wl", "llm"):
        scored = [(r[3]["optimal"], r[4][m][0]) for r in rows if m in r[4]]
        if scored:
            print(f"{m}: accuracy {pct(sum(v == lab for lab, v in scored), len(scored))} on {len(scored)} pairs")
    secs = [r[4]["structural"][1] for r in rows]
    mip = [r[4]["structural"][1] for r in rows if r[0] == "miplib"]
    gen = [r[4]["structural"][1] for r in rows if r[0] == "generated"]
    print(f"median s/pair (both levels): all {med(secs)}, generated {med(gen)}, MIPLIB {med(mip)}; "
          f"max {max(secs, default=0):.2f}")
    refs = {(r[0], r[1]) for r in rows}
    print(f"{len(refs)} references ({sum(p == 'miplib' for p, _ in refs)} MIPLIB), {len(rows)} pairs, "
          f"{total:.0f} s total")


if __name__ == "__main__":
    sys.exit(main())
