"""The typed evaluation record: one `EvalRecord` per evaluated problem, one JSON line in ``results.jsonl``.

Schema versions: records written before the record was typed carry no ``schema`` key (version 1). Version 2
adds the key and nothing else changed in the layout, so `EvalRecord.from_json` reads both; `_upgrade_v1` is
the one place that knows the difference. A record is written with every field, so summaries never guess.

Adding a field: give it a default in `EvalRecord` (old records then read with that default). Plain JSON
values (str, float, bool, lists/dicts of those) need nothing else; a typed value (an enum, a dataclass)
also needs an entry in `_DECODERS` (JSON → value). If the field's meaning changes for old records, bump
`SCHEMA_VERSION` and add an explicit upgrade like `_upgrade_v1`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from optcopilot.eval.problems import Problem
from optcopilot.eval.scoring import KeyCheck, Verdict, status_word
from optcopilot.solve.result import Termination, json_safe

SCHEMA_VERSION = 2


class Category(StrEnum):
    """The outcome of one problem; every one but ``ok`` is a failure."""

    OK = "ok"
    WRONG_VALUE = "wrong_value"
    INVALID_IR = "invalid_ir"  # no valid model came out of the LLM
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIMEOUT = "timeout"  # the LLM or the solver ran out of time
    LLM_ERROR = "llm_error"
    NO_ANSWER = "no_answer"
    ERROR = "error"  # an unexpected exception inside the evaluation of one problem


@dataclass
class Tokens:
    """LLM tokens spent on one problem."""

    prompt: int = 0
    completion: int = 0


@dataclass
class LLMCalls:
    """LLM calls made for one problem, and how many the response cache answered."""

    total: int = 0
    cached: int = 0


@dataclass
class EvalRecord:
    """Everything known about one evaluated problem (see the module docstring for adding fields)."""

    id: str
    dataset: str = ""
    ptype: str = "unknown"
    mode: str = ""
    llm: str | None = None  # the LLM spec; None for modes without an LLM
    formulation: dict[str, Any] | None = None  # our IR (JSON) when a model was built
    attempts: list[dict[str, Any]] = field(default_factory=list)
    status: Termination | None = None  # None: nothing was solved
    objective: float | None = None
    values: dict[str, float] = field(default_factory=dict)  # flat variable name -> value
    mapped: dict[str, str] = field(default_factory=dict)  # reference key -> our variable (or "objective")
    predicted: dict[str, float] = field(default_factory=dict)  # reference key -> predicted value
    reference: dict[str, float | None] = field(default_factory=dict)
    reference_infeasible: bool = False
    objective_key: str | None = None
    unmapped_keys: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    category: Category = Category.NO_ANSWER
    error: str | None = None
    tokens: Tokens = field(default_factory=Tokens)
    seconds: float = 0.0
    llm_calls: LLMCalls | None = None  # None: not recorded (version-1 records of older runs)
    confidence: float | None = None  # pipeline: vote share of the chosen formulation
    code: str | None = None  # direct-code: the generated script
    solver: str | None = None  # solver-only modes: which solver answered
    bound: float | None = None  # solver-only modes: the best dual bound
    traceback: str | None = None  # category error: where the exception came from
    reference_check: dict[str, Any] | None = None  # mode reference: outcome, source, reason, label error
    equivalence: dict[str, Any] | None = None  # candidate vs the reference formulation (eval/equivalence_grading)
    examples: list[str] = field(default_factory=list)  # pipeline: ids of the worked examples shown
    dropped_examples: dict[str, int] = field(default_factory=dict)  # pipeline: bank entries removed, by rule
    checks: dict[str, bool] | None = None  # pipeline: trust audit of the accepted answer (formulate.audit)
    worker: dict[str, Any] | None = None  # --executor ray: the node, host and actor that produced the record
    prefix_votes: dict[str, dict[str, Any]] | None = None  # pipeline, K samples: the graded vote of the first m
    schema: int = SCHEMA_VERSION

    @classmethod
    def for_problem(cls, problem: Problem, *, dataset: str, mode: str, llm: str | None) -> EvalRecord:
        """An empty record for `problem` (category no_answer until graded)."""
        return cls(id=problem.id, dataset=dataset, ptype=problem.ptype, mode=mode, llm=llm,
                   reference=dict(problem.answers), reference_infeasible=problem.infeasible,
                   objective_key=problem.objective_key)

    @property
    def executed(self) -> bool:
        """A solution (objective value) or a definitive infeasible/unbounded answer was produced."""
        return self.objective is not None or (
            self.status is not None and (self.status.infeasible or self.status == Termination.UNBOUNDED))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (the line written to ``results.jsonl``); optional fields left out when unset."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if (value is None and f.name in _OMITTED_WHEN_NONE) or (not value and f.name in _OMITTED_WHEN_EMPTY):
                continue
            out[f.name] = _ENCODERS.get(f.name, json_safe)(value)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EvalRecord:
        """Read a record of any schema version; unknown keys are ignored, missing ones take their defaults."""
        data = dict(raw)
        if "schema" not in data:
            data = _upgrade_v1(data)
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: _DECODERS.get(k, _identity)(v) for k, v in data.items() if k in known}
        kwargs["id"] = str(data["id"])
        return cls(**kwargs)


_OMITTED_WHEN_NONE = frozenset({"llm_calls", "confidence", "code", "solver", "bound", "traceback",
                                "reference_check", "equivalence", "checks", "worker", "prefix_votes"})
_OMITTED_WHEN_EMPTY = frozenset({"examples", "dropped_examples"})


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (no ``schema`` key) has the version-2 layout; only the version number is new."""
    return {**data, "schema": SCHEMA_VERSION}


def _verdict_json(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    out: dict[str, Any] = {"rule": verdict.rule, "correct": verdict.correct, "reason": verdict.reason,
           "details": {k: dataclasses.asdict(v) for k, v in verdict.details.items()},
           "unmapped_keys": list(verdict.unmapped_keys)}
    if verdict.alternative_checked:
        out["alternative_optimum"] = verdict.alternative_optimum
    encoded: dict[str, Any] = json_safe(out)
    return encoded


def _verdict(raw: Any) -> Verdict | None:
    if not isinstance(raw, Mapping):
        return None
    details = {str(k): KeyCheck(v.get("pred"), v.get("ref"), bool(v.get("ok")))
               for k, v in (raw.get("details") or {}).items() if isinstance(v, Mapping)}
    return Verdict(correct=bool(raw.get("correct")), rule=str(raw.get("rule", "")), details=details,
                   unmapped_keys=list(raw.get("unmapped_keys") or []), reason=str(raw.get("reason", "")),
                   alternative_checked="alternative_optimum" in raw,
                   alternative_optimum=raw.get("alternative_optimum"))


def _category(raw: Any) -> Category:
    try:
        return Category(str(raw))
    except ValueError:
        return Category.ERROR


def _tokens(raw: Any) -> Tokens:
    raw = raw if isinstance(raw, Mapping) else {}
    return Tokens(int(raw.get("prompt", 0) or 0), int(raw.get("completion", 0) or 0))


def _llm_calls(raw: Any) -> LLMCalls | None:
    if not isinstance(raw, Mapping):
        return None
    return LLMCalls(int(raw.get("total", 0) or 0), int(raw.get("cached", 0) or 0))


def _identity(value: Any) -> Any:
    return value


_ENCODERS: dict[str, Callable[[Any], Any]] = {"status": status_word, "verdict": _verdict_json}
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "status": Termination.from_text, "category": _category, "verdict": _verdict, "tokens": _tokens,
    "llm_calls": _llm_calls, "seconds": lambda v: float(v or 0.0),
}
