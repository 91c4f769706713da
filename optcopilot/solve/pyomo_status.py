"""Pyomo's contrib (v2) termination conditions read as `Termination` (the SCIP and Pyomo routes share it)."""

from __future__ import annotations

from typing import Any

from optcopilot.solve.readback import limit_status
from optcopilot.solve.result import Termination


def contrib_termination(tc: Any, has_solution: bool) -> Termination:
    """Our termination for a `pyomo.contrib.solver.common.results.TerminationCondition`.

    Limits (time, iterations, interrupts) give TIME_LIMIT_FEASIBLE / _NO_SOLUTION by ``has_solution``; an
    ``unknown`` condition with a solution counts as stopped by a limit; anything else is an error.
    """
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    mapping = {TC.convergenceCriteriaSatisfied: Termination.OPTIMAL, TC.provenInfeasible: Termination.INFEASIBLE,
               TC.locallyInfeasible: Termination.INFEASIBLE, TC.unbounded: Termination.UNBOUNDED,
               TC.infeasibleOrUnbounded: Termination.INFEASIBLE_OR_UNBOUNDED}
    if tc in mapping:
        return mapping[tc]
    if tc in (TC.maxTimeLimit, TC.iterationLimit, TC.objectiveLimit, TC.interrupted, TC.minStepLength) or (
            tc == TC.unknown and has_solution):
        return limit_status(has_solution)
    return Termination.ERROR
