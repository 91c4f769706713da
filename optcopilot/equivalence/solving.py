"""Solving flat models with HiGHS: plain optima, optima under perturbed costs, and linked solves."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import highspy
import numpy as np

from optcopilot.equivalence.flat import FlatModel, to_highs
from optcopilot.solve.highs_status import highs_termination
from optcopilot.solve.result import Termination
from optcopilot.solve.tolerance import REL_TOL, same_value

__all__ = ["REL_TOL", "LinkRow", "Solution", "clear_cache", "optimum", "perturbed_optimum", "same_value",
           "solve_flat"]

LinkRow = tuple[dict[int, float], float, float]
"""Extra row ({var index: coef}, lo, hi) added for one solve."""


@dataclass
class Solution:
    """`objective` is the model's own objective at `x` (not a perturbed one)."""

    status: Termination
    x: np.ndarray | None = None
    objective: float | None = None
    seconds: float = 0.0
    message: str = ""  # why a solve failed (status error)

    @property
    def optimal(self) -> bool:
        return self.status == Termination.OPTIMAL and self.x is not None


_CACHE: OrderedDict[tuple[str, int, float], Solution] = OrderedDict()
_CACHE_SIZE = 128


def clear_cache() -> None:
    _CACHE.clear()


def solve_flat(model: FlatModel, *, cost: np.ndarray | None = None, links: list[LinkRow] | None = None,
               time_limit: float = 30.0, warm: np.ndarray | None = None) -> Solution:
    """Solve the model (optionally with other costs and extra rows); never raises for solver trouble."""
    start = time.perf_counter()
    try:
        h = to_highs(model)
        if cost is not None:
            h.changeColsCost(model.n, np.arange(model.n, dtype=np.int32), cost)
        if links:
            inf = highspy.kHighsInf
            starts, idx, vals = [], [], []
            for terms, _, _ in links:
                starts.append(len(idx))
                for j, v in terms.items():
                    idx.append(j)
                    vals.append(v)
            lo = np.array([max(r[1], -inf) for r in links], dtype=float)
            hi = np.array([min(r[2], inf) for r in links], dtype=float)
            h.addRows(len(links), lo, hi, len(idx), np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32),
                      np.array(vals, dtype=float))
        h.setOptionValue("time_limit", max(0.05, float(time_limit)))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("random_seed", 0)
        if warm is not None and model.integer.any():
            sol = highspy.HighsSolution()
            sol.col_value = [float(v) for v in warm]
            h.setSolution(sol)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        has_primal = h.getInfo().primal_solution_status == 2
        term = highs_termination(status, has_primal)
        x = None
        if term == Termination.OPTIMAL and has_primal:
            x = np.asarray(h.getSolution().col_value, dtype=float)
        elif term == Termination.OPTIMAL:
            term = Termination.ERROR
        obj = model.objective_value(x) if x is not None else None
        return Solution(term, x, obj, time.perf_counter() - start)
    except Exception as exc:  # pragma: no cover - solver-side failure becomes a status
        return Solution(Termination.ERROR, None, None, time.perf_counter() - start, message=str(exc)[:200])


def optimum(model: FlatModel, time_limit: float = 30.0) -> Solution:
    """The model's optimum (memoised by model fingerprint)."""
    return _cached(model, 0, 0.0, time_limit, None)


def perturbed_optimum(model: FlatModel, base: Solution, seed: int, time_limit: float) -> Solution | None:
    """An optimum of the model found under slightly perturbed costs (another point of the optimal face).

    Returns None when no perturbation small enough to stay optimal was found.
    """
    if not base.optimal or base.objective is None:
        return None
    limit = min(time_limit, max(1.0, 3.0 * base.seconds))  # an alternative optimum is a bonus: bound its cost
    for eps in (1e-5, 1e-7):
        sol = _cached(model, seed, eps, limit, base.x)
        if sol.optimal and sol.objective is not None and same_value(sol.objective, base.objective):
            return sol
    return None


def _cached(model: FlatModel, seed: int, eps: float, time_limit: float, warm: np.ndarray | None) -> Solution:
    key = (model.fingerprint(), seed, eps)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return Solution(hit.status, hit.x, hit.objective, 0.0, hit.message)
    cost = None
    if seed:
        rng = np.random.default_rng(seed)
        scale = float(np.max(np.abs(model.c))) if np.any(model.c) else 1.0
        cost = model.c + eps * scale * rng.uniform(-1.0, 1.0, model.n)
    sol = solve_flat(model, cost=cost, time_limit=time_limit, warm=warm)
    if not sol.status.time_limit:
        _CACHE[key] = sol
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return sol
