"""Fixtures shared by every test folder: the solver routes (PyOptInterface's conftest style).

`solver_route` runs a test once per registered route (`optcopilot.compile.capabilities.REGISTRY`), skipped
with a reason where the route's library is missing or unusable here; what a route can take is decided by
the registry (`tests.problems.applicable`), not by the test.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

from optcopilot.compile.capabilities import REGISTRY
from optcopilot.solve.base import Solver


@dataclass(frozen=True)
class SolverRoute:
    """A registered solver route: its name and class."""

    name: str
    cls: type[Solver]


def _route(name: str) -> SolverRoute:
    module, cls = REGISTRY[name].route.split(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        pytest.skip(f"solver module {module} is missing ({exc})")
    route = SolverRoute(name, getattr(mod, cls))
    if not route.cls.available():
        pytest.skip(f"{name} is not available here")
    return route


@pytest.fixture(params=sorted(REGISTRY))
def solver_route(request: pytest.FixtureRequest) -> SolverRoute:
    """Every registered solver route in turn."""
    return _route(request.param)
