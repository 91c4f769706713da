"""NLP4LP reference formulations: how many import, how many reproduce the dataset's optimum, per source.

    python benchmarks/bench_nlp4lp_references.py [--data-dir DIR]

Two sources are measured on all 269 items: the OptiMUS program that produced each answer (ORThought's copy;
`problem_info` where the program does not import) and `problem_info` alone. "Reproduces" is the objective
rule (|ours - answer| <= 1e-4 or <= 1e-4·|answer|); items on ORThought's wrong-label list are counted apart.
The last column says how many imported references print as DSL text that reads back to the same model (the
worked examples the accuracy work can use).
"""

from __future__ import annotations

import argparse
import sys
import time

from optcopilot.compile.instance import instantiate
from optcopilot.io.nlp4lp import ReferenceItem, iter_nlp4lp_references
from optcopilot.io.reference_dsl import DSLRoundTripError, reference_dsl
from optcopilot.ir.validate import parse_formulation
from optcopilot.solve.api import solve


def reproduces(item: ReferenceItem, time_limit: float) -> bool:
    assert item.formulation is not None and item.answer is not None
    result = solve(instantiate(parse_formulation(item.formulation)), time_limit=time_limit)
    if result.objective is None:
        return False
    return abs(result.objective - item.answer) <= max(1e-4, 1e-4 * abs(item.answer))


def measure(items: list[ReferenceItem], time_limit: float) -> dict[str, int]:
    imported = [i for i in items if i.formulation is not None]
    answered = [i for i in imported if i.answer is not None]
    ok = {i.id for i in answered if reproduces(i, time_limit)}
    clean = [i for i in items if i.answer is not None and i.label_error is None]
    dsl = 0
    for i in imported:
        try:
            reference_dsl(i.formulation)  # type: ignore[arg-type]
            dsl += 1
        except DSLRoundTripError:
            pass
    return {"items": len(items), "imported": len(imported), "with_answer": sum(i.answer is not None for i in items),
            "reproduced": len(ok), "clean": len(clean), "clean_reproduced": sum(i.id in ok for i in clean),
            "dsl_round_trip": dsl}


def pct(a: int, b: int) -> str:
    return f"{a}/{b} = {100 * a / b:.1f} %" if b else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--time-limit", type=float, default=30.0)
    args = ap.parse_args(argv)
    print("| source | imported | reproduce (items with an answer) | reproduce (answer not a known label error) "
          "| DSL reads back | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, programs in (("OptiMUS program, problem_info as fallback", True), ("problem_info only", False)):
        start = time.perf_counter()
        items = list(iter_nlp4lp_references(data_dir=args.data_dir, use_programs=programs))
        m = measure(items, args.time_limit)
        print(f"| {label} | {pct(m['imported'], m['items'])} | {pct(m['reproduced'], m['with_answer'])} | "
              f"{pct(m['clean_reproduced'], m['clean'])} | {pct(m['dsl_round_trip'], m['imported'])} | "
              f"{time.perf_counter() - start:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
