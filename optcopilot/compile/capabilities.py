"""Which solver can take which model: the capability registry is the dispatch (linopy's solver_capabilities).

Every solver route declares its `SolverFeature`s here, as data (no solver is imported); a grounded model's
needs are `required_features(instance)`. `choose_solver` picks the first automatic route, in preference
order, that supports them; `solve`, the script emitters and the CLI all ask this module, none re-derives it.
It lives in `compile` (not `solve`) because the emitters in `compile` choose solvers too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from optcopilot.compile.algebra import Poly
from optcopilot.compile.instance import Instance, ProblemClass


class SolverFeature(Enum):
    """What a model may need of a solver (and what a solver declares it can do)."""

    CONTINUOUS = "continuous"  # continuous variables
    INTEGER = "integer"  # integer (or binary) variables
    FRACTIONAL_DATA = "fractional_data"  # non-integer coefficients or right-hand sides, or unbounded variables
    QUADRATIC_OBJECTIVE = "quadratic_objective"  # a convex quadratic objective over continuous variables
    NONLINEAR = "nonlinear"  # anything else: nonlinear rows, MIQP, a nonconvex quadratic objective
    DUALS = "duals"  # reports duals and reduced costs (LP)
    IIS = "iis"  # computes an irreducible infeasible subset


_F = SolverFeature
_GENERAL = frozenset({_F.CONTINUOUS, _F.INTEGER, _F.FRACTIONAL_DATA})


class UnknownSolverError(ValueError):
    """A solver name that is not registered (nor `pyomo:NAME`)."""


class NoCapableSolverError(ValueError):
    """No automatic route supports the model's features."""


@dataclass(frozen=True)
class SolverCapabilities:
    """One solver route: what it can do, whether `auto` may pick it, and where its class lives."""

    name: str
    features: frozenset[SolverFeature]
    route: str  # "module:Class" of the `optcopilot.solve` route, imported only when used
    auto: bool = True  # chosen by solver="auto" when it supports the model (else only on request)
    description: str = ""

    def supports(self, required: Iterable[SolverFeature]) -> bool:
        return set(required) <= self.features

    def missing(self, required: Iterable[SolverFeature]) -> list[str]:
        """The required features this route lacks, by name."""
        return sorted(f.value for f in set(required) - self.features)


REGISTRY: dict[str, SolverCapabilities] = {c.name: c for c in (  # in order of preference for `auto`
    SolverCapabilities("highs", _GENERAL | {_F.QUADRATIC_OBJECTIVE, _F.DUALS, _F.IIS},
                       "optcopilot.solve.highs:HighsSolver", description="HiGHS: LP, MILP, convex continuous QP"),
    SolverCapabilities("scip", _GENERAL | {_F.QUADRATIC_OBJECTIVE, _F.NONLINEAR, _F.IIS},
                       "optcopilot.solve.scip:ScipSolver", description="SCIP: everything, nonlinear models globally"),
    SolverCapabilities("cpsat", frozenset({_F.INTEGER}), "optcopilot.solve.cpsat:CpSatSolver", auto=False,
                       description="OR-Tools CP-SAT: all-integer linear models with integer data, on request"),
    SolverCapabilities("mathopt", _GENERAL | {_F.QUADRATIC_OBJECTIVE, _F.DUALS},
                       "optcopilot.solve.mathopt:MathOptSolver", auto=False,
                       description="OR-Tools MathOpt (GLOP / GSCIP), on request"),
)}
PYOMO = SolverCapabilities("pyomo", _GENERAL | {_F.QUADRATIC_OBJECTIVE, _F.NONLINEAR},
                           "optcopilot.solve.pyomo_solver:PyomoSolver", auto=False,
                           description="any solver Pyomo drives, as pyomo:NAME (the solver may accept less)")


def capabilities(name: str) -> SolverCapabilities:
    """The registry entry of a solver name (`pyomo:NAME` is the generic Pyomo route)."""
    if name.startswith("pyomo:") and name.split(":", 1)[1].strip():
        return PYOMO
    if name in REGISTRY:
        return REGISTRY[name]
    raise UnknownSolverError(f"unknown solver {name!r} (choose from auto, {', '.join(REGISTRY)}, pyomo:NAME)")


def required_features(instance: Instance, *, duals: bool = False, iis: bool = False) -> frozenset[SolverFeature]:
    """What solving `instance` needs (plus duals / an IIS when asked for)."""
    need: set[SolverFeature] = set()
    if instance.integer.any():
        need.add(_F.INTEGER)
    if not instance.integer.all():
        need.add(_F.CONTINUOUS)
    if not integral_data(instance):
        need.add(_F.FRACTIONAL_DATA)
    pclass = instance.problem_class()
    if pclass == ProblemClass.QP and convex_quadratic_objective(instance):
        need.add(_F.QUADRATIC_OBJECTIVE)
    elif pclass not in (ProblemClass.LP, ProblemClass.MILP):
        need.add(_F.NONLINEAR)
    if duals:
        need.add(_F.DUALS)
    if iis:
        need.add(_F.IIS)
    return frozenset(need)


def choose_solver(instance: Instance, *, among: Iterable[str] | None = None, duals: bool = False,
                  iis: bool = False) -> str:
    """The first automatic route (restricted to `among`, in registry order) that supports the model."""
    allowed = set(REGISTRY) if among is None else set(among)
    required = required_features(instance, duals=duals, iis=iis)
    for name, caps in REGISTRY.items():
        if name in allowed and caps.auto and caps.supports(required):
            return name
    raise NoCapableSolverError(f"no solver among {', '.join(n for n in REGISTRY if n in allowed)} supports a "
                               f"model needing {', '.join(sorted(f.value for f in required))}")


def supports(name: str, instance: Instance) -> bool:
    """Can route `name` take this model?"""
    return capabilities(name).supports(required_features(instance))


def integral_data(instance: Instance) -> bool:
    """Integer coefficients and row bounds, and finite variable bounds (what CP-SAT needs to be exact)."""
    if not (np.isfinite(instance.lb).all() and np.isfinite(instance.ub).all()):
        return False
    for p in (instance.objective, *(r.body for r in instance.rows)):
        if isinstance(p, Poly) and any(not float(c).is_integer() for c in p.values()):
            return False
    return all(math.isinf(v) or float(v).is_integer() for r in instance.rows for v in (r.lo, r.hi))


def convex_quadratic_objective(instance: Instance, max_vars: int = 2000) -> bool:
    """The quadratic objective is convex (minimised) or concave (maximised); False when too big to check."""
    from optcopilot.compile.to_highs import NotLinearError, objective_arrays

    try:
        _, _, quad = objective_arrays(instance)
    except NotLinearError:
        return False
    if instance.n_vars > max_vars:
        return False
    q = np.zeros((instance.n_vars, instance.n_vars))
    for mono, c in quad.items():
        i, j = mono
        q[i, j] += c / 2 if i != j else c
        q[j, i] += c / 2 if i != j else 0.0
    eig = np.linalg.eigvalsh(q)
    sign = 1.0 if instance.sense == "minimize" else -1.0
    return bool((sign * eig >= -1e-9).all())
