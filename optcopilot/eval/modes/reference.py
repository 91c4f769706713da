"""Mode ``reference``: the dataset's own reference formulation, imported into our IR and solved (no LLM).

A fidelity check of the importer and of our solver against the dataset's labels: each NLP4LP item's
reference (the OptiMUS program that produced its answer, else its ``problem_info`` snippets; see
`optcopilot.io.nlp4lp`) is read with ``ast``, solved by our solver and graded with the objective rule
(|ours - answer| <= 1e-4 or <= 1e-4·|answer|). Every record's ``reference_check`` says what happened:
``reproduced``, ``import_failed`` (with the located reason), ``solve_differs``, or ``label_error`` (the
answer is on ORThought's list of wrong NLP4LP labels, with its note and corrected value).
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from typing import Any

from optcopilot.compile.instance import instantiate
from optcopilot.eval.config import EvalConfig
from optcopilot.eval.grading import grade
from optcopilot.eval.keymap import Prediction
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.eval.scoring import ObjectiveRule
from optcopilot.io.data_dir import DatasetError
from optcopilot.io.nlp4lp import (
    LabelError,
    ReferenceItem,
    known_label_errors,
    orthought_programs,
    reference_item,
)
from optcopilot.ir.validate import parse_formulation
from optcopilot.llm.base import LLMBackend
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination

REFERENCE_DATASETS = frozenset({"nlp4lp"})
REFERENCE_RULE = ObjectiveRule()  # |pred - ref| <= 1e-4 or <= 1e-4·|ref|


@lru_cache(maxsize=1)
def _orthought() -> tuple[dict[str, str], dict[str, LabelError]]:
    """ORThought's OptiMUS programs and wrong-label list (empty when the shared copy is absent)."""
    try:
        return orthought_programs(), known_label_errors()
    except DatasetError:
        return {}, {}


def native_id(problem: Problem) -> str:
    return problem.id.split(":", 1)[1] if ":" in problem.id else problem.id


def nlp4lp_record(problem: Problem) -> dict[str, Any]:
    """The NLP4LP record a problem was built from (the fields the importer reads)."""
    answer = problem.answers.get(problem.objective_key or "objective")
    return {"id": native_id(problem), "description": problem.text, "answer": answer,
            "parameters": problem.extra.get("parameters") or {},
            "problem_info": problem.extra.get("problem_info") or {}}


def reference_of(problem: Problem) -> ReferenceItem:
    """The problem's imported reference (formulation or the reason it could not be imported)."""
    programs, errors = _orthought()
    pid = native_id(problem)
    return reference_item(nlp4lp_record(problem), programs.get(pid), errors.get(pid))


def evaluate(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None = None) -> EvalRecord:
    rec = MODE.new_record(problem, cfg)
    item = reference_of(problem)
    check: dict[str, Any] = {"source": item.source or None,
                             "label_error": dataclasses.asdict(item.label_error) if item.label_error else None}
    rec.attempts = [{"reference_source": item.source or None}]
    if item.formulation is None:
        rec.error = f"import failed: {item.failure}"[:1000]
        check.update(outcome="import_failed", reason=item.failure)
        grade(rec, problem, None, MODE.rule_for(cfg), Category.INVALID_IR)
        rec.reference_check = check
        return rec
    rec.formulation = json.loads(item.formulation.to_json())
    result = solve(instantiate(parse_formulation(item.formulation)), time_limit=cfg.time_limit)
    rec.status, rec.objective, rec.solver = result.status, result.objective, result.solver
    rec.values = dict(result.variables)
    rec.error = result.message if result.status == Termination.ERROR else None
    prediction = Prediction(result.objective) if result.objective is not None else None
    grade(rec, problem, prediction, MODE.rule_for(cfg))
    if rec.category == Category.OK:
        check["outcome"] = "reproduced"
    elif item.label_error is not None:
        check["outcome"] = "label_error"
    else:
        check["outcome"] = "solve_differs"
    rec.reference_check = check
    return rec


MODE = EvalMode("reference", "the dataset's reference formulations imported into the IR and solved (no LLM)",
                evaluate, uses_llm=False, datasets=REFERENCE_DATASETS, rule=REFERENCE_RULE, parallel="processes")
