"""Solver interface; capabilities come from the registry (`optcopilot.compile.capabilities`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from optcopilot.compile.capabilities import SolverFeature
from optcopilot.compile.instance import Instance
from optcopilot.solve.result import Result

DEFAULT_TIME_LIMIT = 60.0


class Solver(ABC):
    """A solver route: takes a grounded Instance, returns a Result within a time limit."""

    name: ClassVar[str]
    features: ClassVar[frozenset[SolverFeature]]  # the route's registry entry's features

    @classmethod
    def supports(cls, feature: SolverFeature) -> bool:
        return feature in cls.features

    @classmethod
    def available(cls) -> bool:
        return True

    @abstractmethod
    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        """Solve; never raises for solver-side failures (they become Termination.ERROR)."""
