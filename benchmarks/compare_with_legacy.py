"""Compare a pipeline run with the legacy run on the problems both finished (per type, repairs, trust audit).

    python benchmarks/compare_with_legacy.py NEW_RUN_DIR [--legacy benchmarks/results/optibench-150/pipeline] [--write]

Prints the markdown; --write also stores it as NEW_RUN_DIR/../README.md.
"""
import argparse
import json
import statistics
from pathlib import Path

from optcopilot.eval.pipeline_report import objective_right_of, repair_figures
from optcopilot.eval.records import Category
from optcopilot.eval.store import read_records, unique_records

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("new")
parser.add_argument("--legacy", default="benchmarks/results/optibench-150/pipeline")
parser.add_argument("--write", action="store_true")
args = parser.parse_args()
NEW, LEG = Path(args.new), Path(args.legacy)
new = unique_records(read_records(NEW / "results.jsonl"))
leg = unique_records(read_records(LEG / "results.jsonl"))
ids = [i for i in json.loads((NEW / "config.json").read_text())["ids"] if i in new and i in leg]
types = ["linear-notable", "linear-table", "nonlinear-notable", "nonlinear-table"]
def stats(recs):
    n = len(recs)
    return dict(n=n, ok=sum(r.category == Category.OK for r in recs), obj=sum(objective_right_of(r) for r in recs),
                inv=sum(r.category == Category.INVALID_IR for r in recs))
def pct(a, n): return f"{a}/{n} = {100*a/n:.1f} %" if n else "–"
lines = ["# OptiBench 150-problem sample: the new default pipeline vs the legacy one", "",
         f"Problems finished by the new run: {len(ids)} of 150 (in the sample's id order; an eval run resumes with its own command).",
         f"Both columns on exactly these problems; legacy = `{LEG}/`. Made by `python benchmarks/compare_with_legacy.py {NEW} --write`.", "",
         "| type | n | new: all keys | new: objective only | new: invalid_ir | legacy: all keys | legacy: objective only | legacy: invalid_ir |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
for t in [*types, "all"]:
    sel = [i for i in ids if t == "all" or new[i].ptype == t]
    a, b = stats([new[i] for i in sel]), stats([leg[i] for i in sel])
    name = f"**{t}**" if t == "all" else t
    lines.append(f"| {name} | {a['n']} | {pct(a['ok'], a['n'])} | {pct(a['obj'], a['n'])} | {pct(a['inv'], a['n'])} | "
                 f"{pct(b['ok'], b['n'])} | {pct(b['obj'], b['n'])} | {pct(b['inv'], b['n'])} |")
nr = [new[i] for i in ids]
rep = repair_figures([r.attempts for r in nr])
secs = [r.seconds for r in nr]
audit = [r.checks for r in nr if r.checks]
lines += ["", f"- New run: median {statistics.median(secs):.1f} s, mean {statistics.fmean(secs):.1f} s per problem (2 quiet cores, no response cache).",
          f"- Repair answers repeating an earlier answer: {pct(rep['repeated'], rep['calls'])}; fixing the error they were given: {pct(rep['fixed'], rep['calls'])}.",
          "  By error kind (fixed/given): " + ", ".join(f"{k} {v['fixed']}/{v['given']}" for k, v in rep['by_kind'].items()) + ".",
          f"- Trust audit of the {len(audit)} accepted answers: {sum(c.get('copied_example', False) for c in audit)} reproduce a worked example, "
          f"{sum(c.get('alien_numbers', False) for c in audit)} use numbers not in the problem.",
          f"- Worked examples: {sum(any(not e.startswith('fixed') for e in r.examples) for r in nr)}/{len(nr)} problems were shown retrieved bank entries; "
          "bank entries removed as near-duplicates of the problem, summed over problems: "
          f"{sum((r.dropped_examples or {}).get('near duplicate', 0) for r in nr)} (no bank entry comes from OptiBench)."]
if (NEW.parent / "named-params-partial").exists():
    lines += ["- `named-params-partial/`: the first 16 problems with an earlier variant whose examples named every scalar",
              "  parameter; it lost track of numbers and descriptions, so examples now write single numbers inline."]
text = "\n".join(lines) + "\n"
if args.write:
    (NEW.parent / "README.md").write_text(text)
print(text, end="")
