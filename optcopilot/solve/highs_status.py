"""HiGHS's model status read as a `Termination`: the one place HiGHS status codes are interpreted."""

from __future__ import annotations

import highspy

from optcopilot.solve.result import Termination

_MS = highspy.HighsModelStatus
_STATUS = {
    _MS.kOptimal: Termination.OPTIMAL,
    _MS.kInfeasible: Termination.INFEASIBLE,
    _MS.kUnbounded: Termination.UNBOUNDED,
    _MS.kUnboundedOrInfeasible: Termination.INFEASIBLE_OR_UNBOUNDED,
}
_LIMITS = frozenset({_MS.kTimeLimit, _MS.kIterationLimit, _MS.kInterrupt, _MS.kSolutionLimit})


def highs_termination(status: highspy.HighsModelStatus, has_primal: bool) -> Termination:
    """HiGHS's model status as a `Termination` (the one place HiGHS codes are read)."""
    term = _STATUS.get(status)
    if term is not None:
        return term
    if status in _LIMITS:
        return Termination.TIME_LIMIT_FEASIBLE if has_primal else Termination.TIME_LIMIT_NO_SOLUTION
    return Termination.ERROR
