"""What the pipeline tells its callers: why a run failed (a kind, not English) and how far it has got.

Callers (CLI, eval runner, app) branch on `FailureKind` and `ProgressEvent.stage`, never on message text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class FailureKind(StrEnum):
    """Why a pipeline run gave no answer."""

    INVALID_IR = "invalid_ir"  # no answer became a valid model
    LLM_TIMEOUT = "llm_timeout"
    LLM_ERROR = "llm_error"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    SOLVER_ERROR = "solver_error"
    BAD_INPUT = "bad_input"  # the problem text or tables cannot be used
    NO_SOLUTION = "no_solution"  # solved, but without a usable solution (e.g. time limit)
    REJECTED = "rejected"  # a model solved, but a verifier refused it (e.g. numbers not from the problem)


class Stage(StrEnum):
    """Where a run is."""

    WRITING = "writing"
    REPAIRING = "repairing"
    CHECKING = "checking"
    SOLVING = "solving"
    PROBLEM = "problem"  # a problem was found in an answer; a repair follows


@dataclass(frozen=True)
class ProgressEvent:
    """One progress step; `str(event)` is the human-readable message."""

    stage: Stage
    message: str
    sample: int = 0

    def __str__(self) -> str:
        return self.message


Progress = Callable[[ProgressEvent], None]
