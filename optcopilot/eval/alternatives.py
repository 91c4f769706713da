"""Is a reference solution another optimum of our model?

OptiBench's rule wants every reference key (variable values too) within 1e-4. When a problem has several
optimal solutions, a model that finds a different one is counted wrong although its objective is right.
This check separates those cases without changing the rule: fix the mapped variables of our own
formulation at the reference values, solve what is left, and compare the objective.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.eval.keymap import OBJECTIVE
from optcopilot.eval.scoring import ObjectiveRule, finite_number
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination

VALUE_TOL = 1e-4  # the OptiBench tolerance: a fixed value may move this much
_OBJECTIVE = ObjectiveRule()


def objective_matches(predicted: float | None, reference: float | None) -> bool:
    """Objective values equal under the objective-only rule (1e-4 absolute or relative)."""
    return predicted is not None and reference is not None and _OBJECTIVE.close(predicted, reference)


def fix_at(instance: Instance, values: Mapping[str, float]) -> Instance | None:
    """A copy of `instance` with the named flat variables fixed (within VALUE_TOL); None when a value cannot be
    taken: an unknown name, a non-integral value for an integer variable, or a value outside the bounds."""
    lb, ub = instance.lb.copy(), instance.ub.copy()
    index = {name: i for i, name in enumerate(instance.names)}
    for name, value in values.items():
        j = index.get(name)
        if j is None or not math.isfinite(value):
            return None
        if instance.integer[j]:
            if abs(value - round(value)) > VALUE_TOL:
                return None
            lo = hi = float(round(value))
        else:
            lo, hi = value - VALUE_TOL, value + VALUE_TOL
        lo, hi = max(lo, lb[j]), min(hi, ub[j])
        if lo > hi:
            return None
        lb[j], ub[j] = lo, hi
    return dataclasses.replace(instance, lb=lb, ub=ub)


def reference_is_alternative_optimum(formulation: Formulation, mapping: Mapping[str, str],
                                     reference: Mapping[str, float | None], objective: float,
                                     time_limit: float = 20.0) -> bool | None:
    """True when our model, with every mapped variable fixed at its reference value, still reaches
    `objective` (our optimum): the reference solution is one of our optima too. False when it is
    infeasible or worse; None when it cannot be checked (no variable mapped, a solver failure)."""
    values = {var: value for key, var in mapping.items()
              if var != OBJECTIVE and (value := finite_number(reference.get(key))) is not None}
    if not values:
        return None
    try:
        instance = instantiate(formulation)
    except FormulationError:
        return None
    fixed = fix_at(instance, values)
    if fixed is None:
        return False
    result = solve(fixed, time_limit=time_limit)
    if result.status == Termination.INFEASIBLE:
        return False
    if result.status != Termination.OPTIMAL or result.objective is None:
        return None
    return objective_matches(result.objective, objective)
