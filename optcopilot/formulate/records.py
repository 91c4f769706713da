"""What a pipeline run keeps: each LLM attempt, each chain (sample), the run's context and its outcome."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from optcopilot.formulate.events import FailureKind, Progress, ProgressEvent, Stage
from optcopilot.formulate.tables import TableData
from optcopilot.formulate.techniques import Techniques
from optcopilot.ir.model import Formulation
from optcopilot.llm.base import LLMBackend
from optcopilot.solve.result import Result


@dataclass
class Feedback:
    """Why an answer is not accepted (yet): a stable kind, the repair message, the section to rewrite."""

    kind: str  # syntax, invalid, infeasible, unbounded, solver, cut-off, or a check's code (alien-numbers, ...)
    message: str
    section: str = "sets"
    hard: bool = True  # False: the answer stands unless a repair does better


@dataclass
class Attempt:
    """One LLM answer (one call, or the section calls of a staged answer) and what became of it."""

    index: int
    stage: str  # "generate" | "repair" | "sample" | "second-opinion"
    response: str
    formulation_json: str | None
    error: str | None
    status: str | None
    objective: float | None
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    sample: int = 0
    cached: bool = False  # answered from the response cache (no generation time spent)
    calls: int = 1  # LLM calls behind this answer (a staged answer is one call per section)
    reused_prompt_tokens: int = 0  # of prompt_tokens, those served from the backend's prompt cache
    error_kind: str | None = None  # Feedback.kind of this answer's problem
    repairs: str | None = None  # for a repair: the kind of error it was asked to fix
    repeated: bool = False  # the answer repeats an earlier answer of the same chain word for word
    resampled: bool = False  # the first draft repeated an earlier answer and was written again (chain.py)
    findings: list[str] = field(default_factory=list)  # soft check codes that stood on an accepted answer


@dataclass
class Outcome:
    """The chosen formulation and result, every attempt, the vote share, the LLM cost, and why it failed."""

    formulation: Formulation | None
    result: Result | None
    attempts: list[Attempt]
    confidence: float | None
    llm: dict[str, Any]
    error: str | None
    error_kind: FailureKind | None = None
    examples: list[str] = field(default_factory=list)  # ids of the worked examples shown
    dropped_examples: dict[str, int] = field(default_factory=dict)  # bank entries removed, by rule
    prefix_votes: dict[int, PrefixVote] = field(default_factory=dict)  # K samples: the vote of the first m < K

    def to_dict(self) -> dict[str, Any]:
        return {
            "formulation": json.loads(self.formulation.to_json()) if self.formulation else None,
            "result": self.result.to_dict() if self.result else None,
            "attempts": [asdict(a) for a in self.attempts],
            "confidence": self.confidence,
            "llm": dict(self.llm),
            "error": self.error,
            "error_kind": self.error_kind.value if self.error_kind else None,
            "examples": list(self.examples),
            "dropped_examples": dict(self.dropped_examples),
        }


@dataclass
class PrefixVote:
    """What a run with fewer samples would have answered: the vote of its first `samples` chains.

    Sample i gets the same seed and prompt whatever K is, so a K = 5 run also holds the K = 3 answer
    (the ablation reads both from one run). ``seconds``: the wall time of those chains.
    """

    samples: int
    formulation: Formulation | None
    result: Result | None
    confidence: float | None
    error_kind: FailureKind | None
    seconds: float


@dataclass
class Chain:
    """One sample: its attempts and its chosen formulation/result."""

    sample: int
    attempts: list[Attempt] = field(default_factory=list)
    formulation: Formulation | None = None
    result: Result | None = None
    error: str | None = None
    error_kind: FailureKind | None = None
    doubt: int = 0  # telling verifier findings standing on the chosen answer (checks.TELLING)
    second_opinion: bool = False  # written from other worked examples because the first chain was in doubt
    interrupted: str | None = None  # the LLM failure that stopped a second opinion (not the run's failure)
    seconds: float = 0.0  # wall time of the chain: its LLM calls, parsing, checks and solves

    @property
    def answered(self) -> bool:
        return self.result is not None and self.result.status.has_solution and self.result.objective is not None


@dataclass
class Context:
    """Everything the chains of one run share."""

    backend: LLMBackend
    text: str
    surface: str
    data: TableData
    base: list[dict[str, str]]
    max_repairs: int
    solver: str
    time_limit: float
    llm_timeout: float
    max_tokens: int
    progress: Progress
    techniques: Techniques = field(default_factory=Techniques)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (problem, answer) pairs shown
    example_ids: list[str] = field(default_factory=list)
    dropped_examples: dict[str, int] = field(default_factory=dict)
    counter: list[int] = field(default_factory=lambda: [0])
    exclude_sources: frozenset[str] = frozenset()  # datasets whose bank entries are never shown

    def say(self, stage: Stage, message: str, sample: int = 0) -> None:
        self.progress(ProgressEvent(stage, message, sample))

    def next_index(self) -> int:
        self.counter[0] += 1
        return self.counter[0]
