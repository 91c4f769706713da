"""Build the worked-example bank from development data: ``python -m optcopilot.formulate.bank_build``.

Source: the NLP4LP reference formulations (`optcopilot.io.nlp4lp`, imported with our own `ast` reader). An
item enters the bank only when its reference, printed as a five-section DSL answer by our printer, parses
back, solves with our solver, and reproduces the dataset's optimum (relative or absolute 1e-4); items whose
answer ORThought lists as a label error are left out. No OptiBench item is a source. At run time `bank.retrieve`
also drops entries of the dataset being evaluated and near-duplicates of the problem (digits masked), so an
NLP4LP item that is a copy of an NL4Opt or OptiBench problem is never shown for that problem.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

from optcopilot.compile.instance import instantiate
from optcopilot.formulate.bank import BANK_FILE, BankEntry
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.formulate.sections import to_sectioned_dsl
from optcopilot.io.data_dir import resolve_data_dir
from optcopilot.io.nlp4lp import NLP4LP_FILE, iter_nlp4lp_references
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import parse_formulation
from optcopilot.solve.api import solve

TOL = 1e-4


def _matches(value: float | None, answer: float) -> bool:
    return value is not None and math.isfinite(value) and (
        abs(value - answer) <= TOL or abs(value - answer) <= TOL * abs(answer))


def _descriptions(data_dir: str | None) -> dict[str, dict[str, str]]:
    """Item id → variable name → the description NLP4LP's `problem_info` gives it."""
    out: dict[str, dict[str, str]] = {}
    with (resolve_data_dir(data_dir) / NLP4LP_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                variables = (record.get("problem_info") or {}).get("variables") or {}
                out[str(record.get("id"))] = {str(k): str((v or {}).get("description") or "")
                                              for k, v in variables.items() if isinstance(v, dict)}
    return out


def _described(f: Formulation, descriptions: dict[str, str]) -> Formulation:
    variables = [v if v.description else v.model_copy(update={"description": descriptions.get(v.name, "")})
                 for v in f.variables]
    return f.model_copy(update={"variables": variables})


def build(data_dir: str | None = None, time_limit: float = 20.0) -> tuple[list[BankEntry], Counter[str]]:
    """The verified entries and, per reason, how many items were left out."""
    entries: list[BankEntry] = []
    skipped: Counter[str] = Counter()
    descriptions = _descriptions(data_dir)
    for item in iter_nlp4lp_references(data_dir=data_dir):
        if item.formulation is None:
            skipped["reference not importable"] += 1
            continue
        if item.answer is None:
            skipped["no reference answer"] += 1
            continue
        if item.label_error is not None:
            skipped["answer is a known label error"] += 1
            continue
        answer = to_sectioned_dsl(_described(item.formulation, descriptions.get(item.id, {})))
        if answer is None:
            skipped["shape the section grammars cannot write"] += 1
            continue
        try:
            result = solve(instantiate(parse_formulation(parse_dsl(answer))), time_limit=time_limit)
        except Exception:  # a reference our reader or solver refuses is left out, not guessed at
            skipped["printed answer does not parse or solve"] += 1
            continue
        if not _matches(result.objective, item.answer):
            skipped["our solve differs from the answer"] += 1
            continue
        entries.append(BankEntry(id=f"nlp4lp-{item.id}", source="nlp4lp", source_id=item.id, text=item.text,
                                 answer=answer, objective=float(item.answer)))
    return entries, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="datasets folder (default ../shared/datasets)")
    parser.add_argument("--out", default=str(Path(__file__).with_name(BANK_FILE)))
    args = parser.parse_args(argv)
    entries, skipped = build(args.data_dir)
    out = Path(args.out)
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for e in entries:
            handle.write(json.dumps(e.__dict__, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(out)
    print(f"{len(entries)} entries -> {out} ({out.stat().st_size / 1024:.0f} KiB)")
    for reason, n in skipped.most_common():
        print(f"  left out: {n} {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
