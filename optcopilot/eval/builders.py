"""Record builders: one function per dataset schema, turning one raw record into a `Problem`.

A builder raises `SkipRecord(reason)` for a record that cannot be used; `problems.load_records` counts it.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import Any

from optcopilot.eval.answers import objective_answers, parse_number
from optcopilot.eval.classify import OPTIBENCH_TYPES, guess_objective_key, linearity, make_ptype
from optcopilot.eval.problems import Builder, Problem, SkipRecord


def _text(rec: dict[str, Any], *fields: str) -> str:
    for name in fields:
        value = rec.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise SkipRecord("empty question", f"no text in {'/'.join(fields)}")


def _native_id(value: Any, fallback: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return str(fallback)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_results(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise SkipRecord("unparseable results", raw[:80]) from None
    if not isinstance(raw, dict):
        raise SkipRecord("unparseable results", repr(raw)[:80])
    if not raw:
        raise SkipRecord("missing answer", "empty results")
    return raw


def build_optibench(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """OptiBench schema: index, question, type, results {label: numeric string}."""
    question = _text(rec, "question")
    results = _parse_results(rec.get("results"))
    answers: dict[str, float | None] = {}
    for key, raw in results.items():
        value = parse_number(raw)
        if value is None:
            raise SkipRecord("non-numeric reference value", f"{key}={raw!r}")
        answers[str(key).strip()] = value
    keys = list(answers)
    otype = str(rec.get("type", "")).strip()
    ptype = otype if otype in OPTIBENCH_TYPES else make_ptype("unknown", question)
    native = _native_id(rec.get("index"), rec_no - 1)
    return Problem(
        id=f"{dataset}:{native}",
        text=question,
        answers=answers,
        objective_key=guess_objective_key(question, keys),
        ptype=ptype,
        source=dataset,
        extra={"index": native, "type": otype, "raw_results": results},
    )


def _objective_problem(dataset: str, native: str, text: str, raw_answer: Any, ptype: str,
                       extra: dict[str, Any]) -> Problem:
    """A problem whose reference is one objective value (or infeasibility); SkipRecord when unusable."""
    answers, infeasible = objective_answers(raw_answer)
    return Problem(id=f"{dataset}:{native}", text=text, answers=answers, infeasible=infeasible, ptype=ptype,
                   source=dataset, extra=extra)


def build_llmopt(lin: str, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """LLMOPT schema: question, answer (float, 2-dp rounded), ori, index."""
    question = _text(rec, "question")
    native = _native_id(rec.get("index"), rec_no)
    return _objective_problem(dataset, native, question, rec.get("answer"), make_ptype(lin, question),
                              {"index": native, "ori": rec.get("ori"), "raw_answer": rec.get("answer")})


def build_orlm(lin: str, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """ORLM/SIRL schema: en_question, en_answer (+ id, difficulty, question_type, ...)."""
    question = _text(rec, "en_question", "question")
    qtype = rec.get("question_type")
    lin = linearity(qtype) if qtype else lin
    native = _native_id(rec.get("id"), rec_no)
    extra: dict[str, Any] = {k: rec[k] for k in ("difficulty", "question_type", "is_checked") if k in rec}
    original = rec.get("original_answer", rec.get("orginal_answer"))
    if original is not None:
        extra["original_answer"] = original
    extra["raw_answer"] = rec.get("en_answer")
    return _objective_problem(dataset, native, question, rec.get("en_answer"), make_ptype(lin, question), extra)


def build_mamo(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """MAMO schema: id, Question, Answer (string), Category, Type."""
    question = _text(rec, "Question", "question")
    native = _native_id(rec.get("id"), rec_no)
    return _objective_problem(dataset, native, question, rec.get("Answer"), make_ptype("linear", question),
                              {"type": rec.get("Type"), "raw_answer": rec.get("Answer")})


def _first_sample_input(rec: dict[str, Any]) -> Any:
    samples = rec.get("samples")
    if isinstance(samples, list) and samples and isinstance(samples[0], dict):
        return samples[0].get("input")
    return None


def build_samples(append_data: bool, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """Chain-of-Experts schema: name, description, samples [{input, output}], gt_model, answer.

    ComplexOR descriptions are abstract, so the first sample's input data is appended;
    in the LLM4OR NL4Opt copy the sample input is the optimal solution (kept in ``extra``).
    """
    desc = _text(rec, "description", "question")
    objective_answers(rec.get("answer"))  # an unusable answer skips the record before anything else
    data = _first_sample_input(rec)
    text = desc
    if append_data and data is not None:
        text = f"{desc}\n\nInput data (JSON):\n{json.dumps(data)}"
    native = _native_id(rec.get("name", rec.get("id")), rec_no)
    extra: dict[str, Any] = {"gt_model": rec.get("gt_model"), "raw_answer": rec.get("answer")}
    extra["data" if append_data else "solution"] = data
    return _objective_problem(dataset, native, text, rec.get("answer"), make_ptype("linear", desc), extra)


def build_nlp4lp(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """NLP4LP schema: id, description, parameters, problem_info, solution, answer."""
    desc = _text(rec, "description")
    raw = rec.get("answer")
    solution: dict[str, Any] = rec["solution"] if isinstance(rec.get("solution"), dict) else {}
    if raw is None:
        raw = solution.get("objective")
    native = _native_id(rec.get("id"), rec_no)
    return _objective_problem(dataset, native, desc, raw, make_ptype("linear", desc),
                              {"parameters": rec.get("parameters"), "solution": solution,
                               "problem_info": rec.get("problem_info")})


def build_orthought(types: dict[str, str], dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """ORThought schema: id, question, gt_model, answer {status, obj} (+ samples for ComplexOR)."""
    question = _text(rec, "question")
    native = _native_id(rec.get("id"), rec_no)
    data = _first_sample_input(rec)
    text = question if data is None else f"{question}\n\nInput data (JSON):\n{json.dumps(data)}"
    answer = rec.get("answer")
    status = str((answer or {}).get("status", "")).strip().lower().replace(" ", "_")
    return _objective_problem(dataset, native, text, answer, make_ptype(linearity(types.get(native)), question),
                              {"gt_model": rec.get("gt_model"), "reference_status": status,
                               "problem_type": types.get(native)})


def partial_builder(fn: Callable[..., Problem], *args: Any) -> Builder:
    """`fn` with its leading arguments (e.g. the linearity label) fixed: a `Builder`."""

    def build(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
        return fn(*args, dataset, rec_no, rec)

    return build

