"""Instance -> highspy model, built from numpy arrays (fast for MIPLIB-sized models)."""

from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import cast

import highspy
import numpy as np

from optcopilot.compile.algebra import Poly
from optcopilot.compile.instance import Instance

INF = highspy.kHighsInf


class NotLinearError(ValueError):
    """The instance needs a solver that handles nonlinear or quadratic-constraint models."""


def objective_arrays(inst: Instance) -> tuple[np.ndarray, float, Poly]:
    """(linear costs, constant, quadratic part) of the objective; raise if it is not polynomial of degree ≤ 2."""
    cost = np.zeros(inst.n_vars)
    quad = Poly()
    obj = inst.objective
    if isinstance(obj, float | int):
        return cost, float(obj), quad
    if not isinstance(obj, Poly) or obj.degree() > 2:
        raise NotLinearError("objective is not linear or quadratic")
    const = 0.0
    for m, c in obj.items():
        if len(m) == 0:
            const += c
        elif len(m) == 1:
            cost[m[0]] += c
        else:
            quad[m] = quad.get(m, 0.0) + c
    return cost, const, quad


def row_arrays(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise sparse matrix (starts, indices, values) plus row bounds; rows must be linear."""
    fast = _linear_row_arrays(inst)
    if fast is not None:
        return fast
    starts = np.zeros(len(inst.rows), dtype=np.int32)
    idx: list[int] = []
    vals: list[float] = []
    lo = np.empty(len(inst.rows))
    hi = np.empty(len(inst.rows))
    for r, row in enumerate(inst.rows):
        starts[r] = len(idx)
        body = row.body
        if not isinstance(body, Poly) or body.degree() > 1:
            raise NotLinearError(f"constraint {row.label} is not linear")
        for m, c in body.items():
            if c != 0.0 and m:
                idx.append(m[0])
                vals.append(c)
        lo[r] = row.lo
        hi[r] = row.hi
    return starts, np.array(idx, dtype=np.int32), np.array(vals, dtype=float), lo, hi


def _linear_row_arrays(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """`row_arrays` without a Python loop per nonzero, for the usual case where every row body is a Poly
    of single-variable monomials; None otherwise (the loop then gives the same arrays or error)."""
    if not all(type(row.body) is Poly for row in inst.rows):
        return None
    bodies = cast(list[Poly], [row.body for row in inst.rows])
    total = sum(map(len, bodies))
    monomials = list(chain.from_iterable(bodies))
    if total and set(map(len, monomials)) != {1}:
        return None
    idx = np.fromiter(map(itemgetter(0), monomials), dtype=np.int32, count=total)
    vals = np.fromiter(chain.from_iterable(b.values() for b in bodies), dtype=float, count=total)
    lo = np.fromiter((row.lo for row in inst.rows), dtype=float, count=len(bodies))
    hi = np.fromiter((row.hi for row in inst.rows), dtype=float, count=len(bodies))
    keep = vals != 0.0
    row_of = np.repeat(np.arange(len(bodies)), np.fromiter(map(len, bodies), dtype=np.int64, count=len(bodies)))
    kept_per_row = np.bincount(row_of[keep], minlength=len(bodies))
    starts = np.zeros(len(bodies), dtype=np.int32)
    if len(bodies) > 1:
        starts[1:] = np.cumsum(kept_per_row[:-1])
    return starts, idx[keep], vals[keep], lo, hi


def load_highs(lb: np.ndarray, ub: np.ndarray, cost: np.ndarray, *, offset: float = 0.0, maximize: bool = False,
               row_starts: np.ndarray | None = None, row_index: np.ndarray | None = None,
               row_value: np.ndarray | None = None, row_lo: np.ndarray | None = None,
               row_hi: np.ndarray | None = None, integer: np.ndarray | None = None,
               h: highspy.Highs | None = None) -> highspy.Highs:
    """The one HiGHS model builder: columns, linear costs, rows in CSR form (``row_starts`` one entry per
    row, a trailing end pointer is ignored) and integrality, from numpy arrays; ±inf become HiGHS's infinity."""
    if h is None:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    n = len(lb)
    h.addVars(n, np.where(np.isinf(lb), -INF, lb), np.where(np.isinf(ub), INF, ub))
    if n:
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, dtype=float))
    if offset:
        h.changeObjectiveOffset(offset)
    if maximize:
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if row_lo is not None and row_hi is not None and len(row_lo):
        assert row_starts is not None and row_index is not None and row_value is not None
        m = len(row_lo)
        h.addRows(m, np.where(np.isinf(row_lo), -INF, row_lo), np.where(np.isinf(row_hi), INF, row_hi),
                  len(row_value), np.asarray(row_starts[:m], dtype=np.int32), np.asarray(row_index, dtype=np.int32),
                  np.asarray(row_value, dtype=float))
    if integer is not None and integer.any():
        ints = np.nonzero(integer)[0].astype(np.int32)
        h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger))
    return h


def build_highs(inst: Instance, h: highspy.Highs | None = None) -> tuple[highspy.Highs, float]:
    """Load the instance into a Highs object; returns it and the sign applied to the objective.

    Quadratic objectives are passed as a Hessian; a maximised QP is negated (sign -1) because
    HiGHS wants a convex minimisation.
    """
    cost, const, quad = objective_arrays(inst)
    sign = -1.0 if quad and inst.sense == "maximize" else 1.0
    starts, idx, vals, lo, hi = row_arrays(inst)
    h = load_highs(inst.lb, inst.ub, sign * cost, offset=sign * const, maximize=inst.sense == "maximize" and sign > 0,
                   row_starts=starts, row_index=idx, row_value=vals, row_lo=lo, row_hi=hi, integer=inst.integer, h=h)
    if quad:
        _pass_hessian(h, inst.n_vars, quad, sign)
    return h, sign


def _pass_hessian(h: highspy.Highs, n: int, quad: Poly, sign: float) -> None:
    # HiGHS minimises c'x + 1/2 x'Qx with Q given as its lower triangle, column-wise.
    entries: dict[tuple[int, int], float] = {}
    for mono, c in quad.items():
        i, j = mono
        lo_, hi_ = min(i, j), max(i, j)
        value = sign * c * (2.0 if i == j else 1.0)
        entries[(hi_, lo_)] = entries.get((hi_, lo_), 0.0) + value  # (row, col) with row >= col
    by_col: dict[int, list[tuple[int, float]]] = {}
    for (row, col), v in entries.items():
        by_col.setdefault(col, []).append((row, v))
    start: list[int] = []
    index: list[int] = []
    values: list[float] = []
    for col in range(n):
        start.append(len(index))
        for row, v in sorted(by_col.get(col, [])):
            index.append(row)
            values.append(v)
    hess = highspy.HighsHessian()
    hess.dim_ = n
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = [*start, len(index)]
    hess.index_ = index
    hess.value_ = values
    h.passHessian(hess)
