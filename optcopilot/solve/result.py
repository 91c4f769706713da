"""One typed result for every solver route."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from enum import Enum, StrEnum
from typing import Any

import numpy as np


class Termination(StrEnum):
    """How a solve ended: the one status vocabulary of the package.

    Solver-specific codes (HiGHS model statuses, Pyomo termination conditions, CP-SAT statuses) and status
    words read from text (dataset references, generated scripts) are converted into it where they enter:
    `from_text` for words, each solver route for its own codes.
    """

    OPTIMAL = "optimal"
    LOCALLY_OPTIMAL = "locally_optimal"  # a local solver's optimum: a solution, not a proof
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"  # stopped by the limit with an incumbent
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    ERROR = "error"

    @property
    def definitive(self) -> bool:
        """The solver proved what it reports (exit code 0 in the CLI)."""
        return self in (Termination.OPTIMAL, Termination.INFEASIBLE, Termination.UNBOUNDED,
                        Termination.INFEASIBLE_OR_UNBOUNDED)

    @property
    def has_solution(self) -> bool:
        """A primal solution comes with the status."""
        return self in (Termination.OPTIMAL, Termination.LOCALLY_OPTIMAL, Termination.TIME_LIMIT_FEASIBLE)

    @property
    def optimal(self) -> bool:
        """Solved to (local or global) optimality."""
        return self in (Termination.OPTIMAL, Termination.LOCALLY_OPTIMAL)

    @property
    def infeasible(self) -> bool:
        """Reported infeasible (possibly without telling infeasible from unbounded)."""
        return self in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED)

    @property
    def time_limit(self) -> bool:
        """Stopped by the time limit, with or without an incumbent."""
        return self in (Termination.TIME_LIMIT_FEASIBLE, Termination.TIME_LIMIT_NO_SOLUTION)

    @classmethod
    def from_text(cls, text: str | None) -> Termination | None:
        """A status word from outside the solver routes ("Optimal", "No Best Solution", "time limit", ...)
        as a `Termination`; None for no status or a word without a meaning here ("no_answer")."""
        word = normalize_status_word(text)
        if word in cls._value2member_map_:
            return cls(word)
        return _STATUS_WORDS.get(word)


def normalize_status_word(text: str | None) -> str:
    """Lower-case, spaces/hyphens to underscores: "No Best Solution" -> "no_best_solution"."""
    return "_".join(str(text or "").strip().lower().replace("-", " ").split())


_STATUS_WORDS: dict[str, Termination] = {
    "solved": Termination.OPTIMAL,
    "ok": Termination.OPTIMAL,
    "success": Termination.OPTIMAL,
    "no_best_solution": Termination.INFEASIBLE,  # ORLM/IndustryOR references
    "no_solution": Termination.INFEASIBLE,
    "no_feasible_solution": Termination.INFEASIBLE,
    "time_limit": Termination.TIME_LIMIT_NO_SOLUTION,
}
"""Foreign status words (beyond the enum's own values) and what they mean."""


@dataclass
class Result:
    status: Termination
    objective: float | None = None
    variables: dict[str, float] = field(default_factory=dict)  # flat name `x[1,a]` -> value
    solver: str = ""
    seconds: float = 0.0
    log: str = ""
    message: str = ""
    problem_class: str = ""
    bound: float | None = None  # best dual bound, when the solver reports one
    duals: dict[str, float] | None = None  # row label -> dual value (LP only)
    reduced_costs: dict[str, float] | None = None  # variable name -> reduced cost (LP only)
    iis: list[str] | None = None  # constraint rows (and `bound:x[i]`) of an irreducible infeasible subset

    def to_dict(self, with_log: bool = False) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status.value
        if not with_log:
            out.pop("log")
        cleaned: dict[str, Any] = json_safe(out)
        return cleaned


def json_safe(obj: Any) -> Any:
    """A JSON-ready copy: NaN → None, ±inf → "inf"/"-inf", tuples/sets/arrays → lists, enums and numpy
    scalars → values, dataclasses and objects with `to_dict` → dicts, anything else unknown → str."""
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic | np.ndarray):
        return json_safe(obj.tolist())
    if is_dataclass(obj) and not isinstance(obj, type):
        return json_safe(asdict(obj))
    if hasattr(obj, "to_dict"):
        return json_safe(obj.to_dict())
    return str(obj)
