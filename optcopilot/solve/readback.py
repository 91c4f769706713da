"""Reading a solver's answer back into our terms (shared by the SCIP and Pyomo routes)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optcopilot.compile.algebra import evaluate
from optcopilot.compile.instance import Instance
from optcopilot.solve.result import Termination


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, for Result.message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")[:300]


def objective_at(instance: Instance, x: np.ndarray, fallback: float | None) -> float | None:
    """The objective evaluated at x (exact for the returned point); the solver's value if that fails."""
    try:
        value = evaluate(instance.objective, list(x))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return fallback
    return value if math.isfinite(value) else fallback


def fill_unused(instance: Instance, values: Sequence[float | None]) -> np.ndarray:
    """Values as an array; variables the solver never saw (None) get 0 moved into their bounds."""
    x = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    missing = np.isnan(x)
    if missing.any():
        x[missing] = np.clip(0.0, instance.lb[missing], instance.ub[missing])
    return x


def clean_integers(instance: Instance, x: np.ndarray) -> np.ndarray:
    near = np.abs(x - np.round(x)) <= 1e-6
    return np.where(instance.integer & near, np.round(x), x)


def limit_status(has_solution: bool) -> Termination:
    return Termination.TIME_LIMIT_FEASIBLE if has_solution else Termination.TIME_LIMIT_NO_SOLUTION

