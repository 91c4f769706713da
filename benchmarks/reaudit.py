"""Run the trust audit of a finished pipeline run again with the current code, and rewrite its summary.

The audit (`formulate/audit.py`: an accepted answer that reproduces a worked example, or uses numbers the
problem never gave) is recorded when each problem is evaluated. When the audit itself is corrected, older runs
can be audited again without the LLM: the records keep the accepted formulation, the answer text and the ids
of the worked examples shown.

    python benchmarks/reaudit.py runs/eval-miplib-nl-15          # prints what changed, rewrites in place
    python benchmarks/reaudit.py runs/eval-miplib-nl-15 --dry-run

Only `checks` changes; results.jsonl is rewritten atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from optcopilot.eval.config import load_config
from optcopilot.eval.datasets import load_dataset
from optcopilot.eval.report import write_report
from optcopilot.eval.store import RESULTS_FILE, read_json_lines
from optcopilot.formulate.audit import audit_answer, table_numbers
from optcopilot.ir.model import Formulation


def reaudit(run: Path, *, dry_run: bool = False) -> list[tuple[str, dict[str, bool], dict[str, bool]]]:
    """(id, old checks, new checks) of every record whose audit changes."""
    stored = load_config(run)
    config = stored.get("config", stored)
    dataset = str(config.get("dataset") or "")
    legacy = str(config.get("techniques") or "") == "legacy"
    problems = {p.id: p for p in load_dataset(dataset)}
    rows = read_json_lines(run / RESULTS_FILE)
    changed = []
    for row in rows:
        if not row.get("checks") or not row.get("formulation") or row.get("id") not in problems:
            continue
        formulation = Formulation.model_validate(row["formulation"])
        flat = formulation.to_json(indent=None)
        answer = next((a.get("response") or "" for a in reversed(row.get("attempts") or [])
                       if a.get("formulation_json") == flat), "")
        problem = problems[row["id"]]
        new = audit_answer(formulation, problem.text, list(row.get("examples") or []), answer,
                           table_numbers(dict(problem.tables)), legacy=legacy)
        if new != row["checks"]:
            changed.append((row["id"], dict(row["checks"]), new))
            row["checks"] = new
    if changed and not dry_run:
        path = run / RESULTS_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        os.replace(tmp, path)
        write_report(run)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an eval run directory (results.jsonl, config.json)")
    parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    args = parser.parse_args()
    changed = reaudit(args.run, dry_run=args.dry_run)
    for pid, old, new in changed:
        print(f"{pid}: {old} -> {new}")
    print(f"{len(changed)} record(s) {'would change' if args.dry_run else 'changed'}")


if __name__ == "__main__":
    main()
