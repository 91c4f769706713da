"""Is `lo <= t·y + k <= hi` true at every feasible point of a model? Cheapest proof first.

Used by the feasible-level check: a target constraint mapped into the source's variables must hold on the
whole source feasible set. Tiers: variable bounds alone (interval arithmetic); one source row plus
bounds (a one-row dual certificate, which covers slacks and split variables); the LP relaxation (one
HiGHS object whose cost vector changes between queries, so each solve starts from the last basis); for
models with integers, a MIP over the exact feasible set when the relaxation is not enough. A `False`
answer always carries a witness: a feasible point of the source at which the inequality fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from optcopilot.equivalence.flat import FlatModel, to_highs
from optcopilot.solve.highs_status import highs_termination
from optcopilot.solve.result import Termination

Terms = dict[int, float]
TOL = 1e-6
ROWS_PER_VARIABLE = 40  # one-row certificates tried per query (rows of the largest-coefficient variable)


@dataclass
class Outcome:
    """`holds` True (proved), False (`point` violates it), None (not decided: `reason`)."""

    holds: bool | None
    point: np.ndarray | None = None
    value: float | None = None
    how: str = ""
    reason: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def tolerance(bound: float, terms: Terms) -> float:
    return TOL * (1.0 + abs(bound)) + 1e-9 * sum(abs(v) for v in terms.values())


class Implier:
    """Answers implication queries about one model; LP and MIP objects are built once, on demand."""

    def __init__(self, model: FlatModel, deadline: float) -> None:
        self.model = model
        self.deadline = deadline
        self.colptr, self.col_rows, _ = model.columns()
        self._lp: highspy.Highs | None = None
        self._mip: highspy.Highs | None = None
        self.lp_solves = 0
        self.mip_solves = 0

    # public -------------------------------------------------------------------------------------------
    def holds(self, terms: Terms, lo: float, hi: float) -> Outcome:
        """Does lo <= terms·y <= hi hold on the feasible set?"""
        terms = {j: v for j, v in terms.items() if v != 0.0}
        if not terms:
            ok = lo - tolerance(lo, terms) <= 0.0 <= hi + tolerance(hi, terms)
            return Outcome(True, how="constant") if ok else Outcome(False, point=None, value=0.0, how="constant")
        results = []
        for sign, bound in ((1.0, hi), (-1.0, -lo)):
            if not np.isfinite(bound):
                continue
            side = {j: sign * v for j, v in terms.items()}
            out = self.at_most(side, bound)
            if out.holds is False:
                return out
            results.append(out)
        undecided = [r for r in results if r.holds is None]
        if undecided:
            return undecided[0]
        return Outcome(True, how="+".join(sorted({r.how for r in results})) or "bounds")

    def value_range(self, terms: Terms) -> tuple[float, float] | None:
        """(min, max) of terms·y over the LP relaxation, or None when unbounded or unsolved."""
        lo = self._lp_optimum({j: -v for j, v in terms.items()})
        hi = self._lp_optimum(terms)
        if lo is None or hi is None:
            return None
        return -lo[0], hi[0]

    # tiers --------------------------------------------------------------------------------------------
    def at_most(self, terms: Terms, bound: float) -> Outcome:
        tol = tolerance(bound, terms)
        if self._interval_max(terms) <= bound + tol:
            return Outcome(True, how="bounds")
        if self._one_row(terms, bound + tol):
            return Outcome(True, how="row+bounds")
        if time.perf_counter() > self.deadline:
            return Outcome(None, reason="time limit")
        best = self._lp_optimum(terms)
        if best is not None and best[0] <= bound + tol:
            return Outcome(True, how="lp")
        if not self.model.integer.any():
            if best is not None:
                return Outcome(False, point=best[1], value=best[0], how="lp")
            return self._violating_point(terms, bound + 2 * tol + 1e-6, integer=False)
        return self._mip_check(terms, bound, tol)

    def _interval_max(self, terms: Terms) -> float:
        m = self.model
        total = 0.0
        for j, v in terms.items():
            b = m.ub[j] if v > 0 else m.lb[j]
            if not np.isfinite(b):
                return np.inf
            total += v * b
        return total

    def _one_row(self, terms: Terms, limit: float) -> bool:
        """terms = mu·row + rest with mu·row bounded by the row's side and rest by the variable bounds."""
        m = self.model
        pivot = max(terms, key=lambda j: abs(terms[j]))
        rows = self.col_rows[self.colptr[pivot]:self.colptr[pivot + 1]][:ROWS_PER_VARIABLE]
        for i in rows.tolist():
            idx, val = m.row(i)
            row = dict(zip(idx.tolist(), val.tolist(), strict=True))
            if row.get(pivot, 0.0) == 0.0:
                continue
            mu = terms[pivot] / row[pivot]
            side = m.row_hi[i] if mu > 0 else m.row_lo[i]
            if not np.isfinite(side):
                continue
            rest = dict(terms)
            for j, v in row.items():
                rest[j] = rest.get(j, 0.0) - mu * v
            rest = {j: v for j, v in rest.items() if abs(v) > 1e-12 * (1.0 + abs(terms.get(j, 0.0)))}
            if mu * side + (self._interval_max(rest) if rest else 0.0) <= limit:
                return True
        return False

    def _relaxation(self) -> highspy.Highs:
        if self._lp is None:
            h = to_highs(self.model.copy(integer=np.zeros(self.model.n, dtype=bool), sense="maximize",
                                         c=np.zeros(self.model.n), c0=0.0))
            h.setOptionValue("random_seed", 0)
            self._lp = h
        return self._lp

    def _run(self, h: highspy.Highs, terms: Terms) -> np.ndarray:
        """Maximise terms·y with `h` (its basis kept from the last query); the cost vector used."""
        cost = np.zeros(self.model.n)
        for j, v in terms.items():
            cost[j] = v
        h.changeColsCost(self.model.n, np.arange(self.model.n, dtype=np.int32), cost)
        h.setOptionValue("time_limit", max(0.05, self.deadline - time.perf_counter()))
        h.run()
        return cost

    def _lp_optimum(self, terms: Terms) -> tuple[float, np.ndarray] | None:
        """max terms·y over the relaxation (value and point), None if unbounded, infeasible or unsolved."""
        h = self._relaxation()
        cost = self._run(h, terms)
        self.lp_solves += 1
        if highs_termination(h.getModelStatus(), True) != Termination.OPTIMAL:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=float)
        return float(cost @ x), x

    def _exact(self) -> highspy.Highs:
        if self._mip is None:
            h = to_highs(self.model.copy(sense="maximize", c=np.zeros(self.model.n), c0=0.0))
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("random_seed", 0)
            self._mip = h
        return self._mip

    def _mip_check(self, terms: Terms, bound: float, tol: float) -> Outcome:
        h = self._exact()
        cost = self._run(h, terms)
        self.mip_solves += 1
        has_point = h.getInfo().primal_solution_status == 2
        status = highs_termination(h.getModelStatus(), has_point)
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_point else None
        if x is not None and float(cost @ x) > bound + tol:
            return Outcome(False, point=x, value=float(cost @ x), how="mip")
        if status == Termination.OPTIMAL:
            return Outcome(True, how="mip")
        if status == Termination.INFEASIBLE:
            return Outcome(True, how="mip (no feasible point)")
        if status in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
            return self._violating_point(terms, bound + 2 * tol + 1e-6, integer=True)
        return Outcome(None, reason=f"MIP not solved ({status.value})")

    def _violating_point(self, terms: Terms, level: float, integer: bool) -> Outcome:
        """A feasible point with terms·y >= level (for unbounded directions)."""
        model = self.model if integer else self.model.copy(integer=np.zeros(self.model.n, dtype=bool))
        h = to_highs(model.copy(c=np.zeros(model.n), c0=0.0))
        idx = np.array(sorted(terms), dtype=np.int32)
        h.addRow(level, highspy.kHighsInf, len(idx), idx, np.array([terms[j] for j in idx.tolist()]))
        h.setOptionValue("time_limit", max(0.05, self.deadline - time.perf_counter()))
        h.run()
        if h.getInfo().primal_solution_status == 2:
            x = np.asarray(h.getSolution().col_value, dtype=float)
            return Outcome(False, point=x, value=float(sum(v * x[j] for j, v in terms.items())), how="unbounded ray")
        return Outcome(None, reason="no violating point found in an unbounded direction")
