"""One typed result for every solver route."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Termination(StrEnum):
    OPTIMAL = "optimal"
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
        return self in (Termination.OPTIMAL, Termination.TIME_LIMIT_FEASIBLE)


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
        return _clean(out)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj
