"""Two presets on the same held-out problems: objective-only accuracy, invalid_ir and time, on the ids both ran.

Each argument is PRESET=RUN_DIR (several dirs per preset, e.g. one per dataset); problems count only when every
preset has a record for them, so a run stopped early is compared on the ids it finished.

    python benchmarks/heldout_compare.py \
      legacy=runs/mamo-legacy-sirl-mamo-easy-fixed legacy=runs/mamo-legacy-sirl-mamo-complex-fixed \
      fast=runs/mamo-fast-sirl-mamo-easy-fixed fast=runs/mamo-fast-sirl-mamo-complex-fixed
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

from optcopilot.eval.pipeline_report import objective_right_of
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.store import RESULTS_FILE, read_records, unique_records


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} = {100 * k / n:.1f} %" if n else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="PRESET=DIR")
    args = parser.parse_args()
    by_preset: dict[str, dict[str, EvalRecord]] = defaultdict(dict)
    for item in args.runs:
        preset, _, path = item.partition("=")
        by_preset[preset].update(unique_records(read_records(Path(path) / RESULTS_FILE)))
    presets = list(by_preset)
    common = sorted(set.intersection(*(set(r) for r in by_preset.values())))
    datasets = sorted({pid.rsplit(":", 1)[0] for pid in common})
    print("| preset | dataset | n | objective only | invalid_ir | median s | mean s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for preset in presets:
        for ds in [*datasets, "all"]:
            ids = [i for i in common if ds == "all" or i.rsplit(":", 1)[0] == ds]
            recs = [by_preset[preset][i] for i in ids]
            right = sum(objective_right_of(r) for r in recs)
            invalid = sum(r.category == Category.INVALID_IR for r in recs)
            secs = [float(r.seconds or 0.0) for r in recs] or [0.0]
            label = f"**{ds}**" if ds == "all" else ds
            print(f"| {preset} | {label} | {len(ids)} | {_pct(right, len(ids))} | {_pct(invalid, len(ids))} | "
                  f"{statistics.median(secs):.1f} | {statistics.fmean(secs):.1f} |")
    if len(presets) == 2:
        a, b = presets
        other = {a: b, b: a}
        only = {p: [i for i in common if objective_right_of(by_preset[p][i])
                    and not objective_right_of(by_preset[other[p]][i])] for p in presets}
        for p in presets:
            print(f"\nright only with {p} ({len(only[p])}): {', '.join(only[p]) or '-'}")


if __name__ == "__main__":
    main()
