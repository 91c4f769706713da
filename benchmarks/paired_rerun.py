"""Paired comparison of a partial rerun: the same problems before (OLD run) and after (NEW run) a change.

A change that only acts on some chains (e.g. the second opinion, asked only when the greedy chain is in doubt)
is measured by rerunning just those problems: NEW starts as a copy of OLD without their records, plus a
`rerun_ids.json` listing them, and `optcopilot eval` resumes into it. This prints, for the rerun problems done
so far, objective-only right before and after, every problem whose verdict changed or whose answer came from
the second opinion, and the time spent before and after; then the whole sample with the pending problems
still at OLD's records (a composite, not a measurement of the new pipeline).

    python benchmarks/paired_rerun.py benchmarks/results/optibench-150-v4 runs/optibench-150-v5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from optcopilot.eval.alternatives import objective_matches
from optcopilot.eval.pipeline_report import objective_right_of
from optcopilot.eval.records import EvalRecord
from optcopilot.eval.store import RESULTS_FILE, read_records, unique_records


def _records(run: Path) -> dict[str, EvalRecord]:
    return dict(unique_records(read_records(run / RESULTS_FILE)))


def _second_opinion_taken(rec: EvalRecord) -> bool:
    first = [a.get("objective") for a in rec.attempts if int(a.get("sample") or 0) == 0
             and a.get("status") == "optimal"]
    asked = any(a.get("stage") == "second-opinion" for a in rec.attempts)
    return asked and rec.objective is not None and not any(objective_matches(rec.objective, o) for o in first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, help="holds rerun_ids.json: the problems run again")
    args = parser.parse_args()
    old, new = _records(args.old), _records(args.new)
    rerun = json.loads((args.new / "rerun_ids.json").read_text())
    done = [i for i in rerun if i in new]
    before = sum(objective_right_of(old[i]) for i in done)
    after = sum(objective_right_of(new[i]) for i in done)
    print(f"rerun problems done: {len(done)}/{len(rerun)}; objective only right before {before}, after {after}")
    for i in done:
        was, now, taken = objective_right_of(old[i]), objective_right_of(new[i]), _second_opinion_taken(new[i])
        if was != now or taken:
            key = new[i].objective_key
            ref = new[i].reference.get(key) if key else None
            print(f"  {i}: before {'right' if was else 'wrong'} ({old[i].objective}), after "
                  f"{'right' if now else 'wrong'} ({new[i].objective}){' [second opinion taken]' if taken else ''}"
                  f"; reference {ref}")
    asked = sum(any(a.get("stage") == "second-opinion" for a in new[i].attempts) for i in done)
    print(f"second opinion asked on {asked}, taken on {sum(_second_opinion_taken(new[i]) for i in done)}")
    print(f"seconds on these problems: before {sum(old[i].seconds for i in done):.0f}, "
          f"after {sum(new[i].seconds for i in done):.0f}")
    pending = [i for i in rerun if i not in new]
    composite = sum(objective_right_of(new[i] if i in new else old[i]) for i in old)
    print(f"pending: {len(pending)} (right in OLD: {sum(objective_right_of(old[i]) for i in pending)}); "
          f"composite over OLD's {len(old)} problems: {composite} right (OLD: "
          f"{sum(objective_right_of(r) for r in old.values())})")


if __name__ == "__main__":
    main()
