"""Which wrong answers of a finished run are right once their integer variables are relaxed to continuous?

Some datasets model counts (servings, batches, workers) as continuous variables — NLP4LP does so for most of
its problems — while the model, reading "the number of bagels", declares them integer. Such an answer is graded
wrong although its constraints and objective may be the reference's. This script re-solves every accepted
answer graded wrong that has integer (or binary) variables with those domains relaxed (integer → continuous
with the same bounds, binary → continuous in [0, 1]) and compares the objective with the reference, so a
report can tell "wrong model" from "right model, other integrality convention". It never changes the records
or the accuracy; it is evidence, printed per problem.

    python benchmarks/integrality_check.py runs/eval-nlp4lp-60
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from optcopilot.eval.alternatives import objective_matches
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.store import RESULTS_FILE, read_json_lines
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination

INTEGRAL = ("integer", "binary")


def relaxed(formulation: Formulation) -> Formulation | None:
    """The same model with integer and binary variables continuous; None when it has none."""
    if not any(v.domain in INTEGRAL for v in formulation.variables):
        return None
    variables = []
    for v in formulation.variables:
        if v.domain == "binary":
            v = v.model_copy(update={"domain": "continuous", "lb": 0.0, "ub": 1.0})
        elif v.domain == "integer":
            v = v.model_copy(update={"domain": "continuous"})
        variables.append(v)
    return formulation.model_copy(update={"variables": variables})


def check(run: Path, time_limit: float = 30.0) -> list[tuple[str, float | None, float | None, float | None]]:
    """(id, reference objective, answer's objective, relaxed objective) of each wrong answer with integers."""
    rows = []
    for row in read_json_lines(run / RESULTS_FILE):
        rec = EvalRecord.from_json(row)
        if rec.category != Category.WRONG_VALUE or not row.get("formulation"):
            continue
        model = relaxed(Formulation.model_validate(row["formulation"]))
        if model is None:
            continue
        result = solve(model, time_limit=time_limit)
        value = result.objective if result.status == Termination.OPTIMAL else None
        ref = rec.reference.get(rec.objective_key) if rec.objective_key else None
        rows.append((rec.id, ref, rec.objective, value))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    args = parser.parse_args()
    rows = check(args.run)
    right = [pid for pid, ref, _, relaxed_value in rows if objective_matches(relaxed_value, ref)]
    for pid, ref, value, relaxed_value in rows:
        mark = "right when relaxed" if pid in right else "still wrong"
        print(f"  {pid}: reference {ref}, answer {value}, relaxed {relaxed_value} — {mark}")
    print(json.dumps({"wrong_with_integer_variables": len(rows), "right_when_relaxed": len(right), "ids": right}))


if __name__ == "__main__":
    main()
