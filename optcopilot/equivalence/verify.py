"""Verification of a relation: map optima across, check feasibility row by row and optimality, both ways.

Direction S→T: each sampled optimum of S is mapped into T. When T's variables are all determined
(`direct`), the mapped point is checked constraint by constraint and its objective compared with T's
optimum; otherwise T is re-solved with the relation's equalities fixed (`preimage`) and must reach
its optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optcopilot.equivalence.canonical import Expr
from optcopilot.equivalence.flat import FlatModel
from optcopilot.equivalence.matching import Link, Relation
from optcopilot.equivalence.solving import REL_TOL, LinkRow, Solution, same_value, solve_flat
from optcopilot.solve.result import Termination

FEAS_TOL = 1e-6
MAX_WITNESSES = 5


@dataclass
class Verdict:
    ok: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    usable: bool = True  # False: the relation does not determine enough to test this direction


def _apply(expr: list[Expr], off: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = off.astype(float).copy()
    weight = np.ones(len(expr))
    for i, e in enumerate(expr):
        for j, v in e.items():
            out[i] += v * x[j]
            weight[i] += abs(v)
    return out, weight


def check_point(model: FlatModel, x: np.ndarray, optimal: float, weight: np.ndarray | None = None) -> Verdict:
    """Is x feasible (bounds, integrality, rows) and optimal (objective equal to `optimal`) in model?"""
    x = np.asarray(x, dtype=float).copy()
    w = np.ones(model.n) if weight is None else weight
    ev: dict[str, Any] = {}
    ints = np.nonzero(model.integer)[0]
    off = np.abs(x[ints] - np.round(x[ints]))
    bad_int = ints[off > FEAS_TOL * w[ints] * np.maximum(1.0, np.abs(x[ints]) * 1e-3)]
    if len(bad_int):
        ev["integrality"] = [{"variable": model.names[j], "value": float(x[j])} for j in bad_int[:MAX_WITNESSES]]
    x[ints] = np.where(off <= 1e-4 * w[ints], np.round(x[ints]), x[ints])
    tol = FEAS_TOL * w * (1.0 + np.abs(x))
    low = np.nonzero(x < model.lb - tol)[0]
    high = np.nonzero(x > model.ub + tol)[0]
    if len(low) or len(high):
        ev["bounds"] = ([{"variable": model.names[j], "value": float(x[j]), "lower": float(model.lb[j])}
                         for j in low[:MAX_WITNESSES]]
                        + [{"variable": model.names[j], "value": float(x[j]), "upper": float(model.ub[j])}
                           for j in high[:MAX_WITNESSES]])
    if model.m:
        act = model.activity(x)
        scale = 1.0 + model.abs_activity(x) + np.where(np.isfinite(model.row_hi), np.abs(model.row_hi), 0.0) \
            + np.where(np.isfinite(model.row_lo), np.abs(model.row_lo), 0.0)
        viol = np.maximum(np.maximum(model.row_lo - act, act - model.row_hi), 0.0)
        rel = viol / scale
        bad = np.nonzero(rel > FEAS_TOL)[0]
        if len(bad):
            top = bad[np.argsort(-rel[bad])][:MAX_WITNESSES]
            ev["violated"] = [{"constraint": model.row_names[i], "amount": float(viol[i]),
                               "activity": float(act[i]), "lower": _num(model.row_lo[i]),
                               "upper": _num(model.row_hi[i])} for i in top]
            ev["violated_count"] = len(bad)
    value = model.objective_value(x)
    if not same_value(value, optimal, REL_TOL):
        ev["objective"] = {"mapped": value, "optimal": optimal}
    return Verdict(not ev, ev)


def _num(v: float) -> float | str:
    return v if np.isfinite(v) else ("inf" if v > 0 else "-inf")


def _fix_rows(expr: list[Expr], off: np.ndarray, values: np.ndarray, integer: np.ndarray) -> list[LinkRow]:
    rows: list[LinkRow] = []
    for i, e in enumerate(expr):
        if not e:
            continue
        v = float(values[i])
        if integer[i] and abs(v - round(v)) <= 1e-5:
            v = float(round(v))
        target = v - float(off[i])
        delta = 1e-7 * (1.0 + abs(target))
        rows.append((dict(e), target - delta, target + delta))
    return rows


def _link_rows(links: list[Link], source_is_ref: bool, values: np.ndarray) -> list[LinkRow]:
    rows: list[LinkRow] = []
    for ref_terms, cand_terms, const in links:
        src, tgt = (ref_terms, cand_terms) if source_is_ref else (cand_terms, ref_terms)
        val = sum(v * values[j] for j, v in src.items())
        target = val - const if source_is_ref else val + const
        delta = 1e-7 * (1.0 + abs(target))
        rows.append((dict(tgt), target - delta, target + delta))
    return rows


def check_direction(rel: Relation, source: FlatModel, target: FlatModel, sample: Solution, target_opt: Solution,
                    source_is_ref: bool, time_limit: float) -> Verdict:
    """Map one optimum of `source` into `target` and test it (direct evaluation or linked re-solve)."""
    label = "reference→candidate" if source_is_ref else "candidate→reference"
    assert sample.x is not None and target_opt.objective is not None
    t_expr, t_off = (rel.cand_expr, rel.cand_off) if source_is_ref else (rel.ref_expr, rel.ref_off)
    s_expr, s_off = (rel.ref_expr, rel.ref_off) if source_is_ref else (rel.cand_expr, rel.cand_off)
    if t_expr is not None and t_off is not None:
        x, weight = _apply(t_expr, t_off, sample.x)
        verdict = check_point(target, x, target_opt.objective, weight)
        verdict.evidence = {"direction": label, "check": "mapped point", **verdict.evidence}
        return verdict
    if s_expr is not None and s_off is not None:
        links = _fix_rows(s_expr, s_off, sample.x, source.integer)
    elif rel.links_complete:
        links = _link_rows(rel.links, source_is_ref, sample.x)
    else:
        return Verdict(False, {"direction": label, "check": "none", "reason": "the map does not determine "
                               "enough variables to test this direction"}, usable=False)
    sol = solve_flat(target, links=links, time_limit=time_limit)
    ev: dict[str, Any] = {"direction": label, "check": "re-solve with the map fixed"}
    if sol.status != Termination.OPTIMAL or sol.objective is None:
        ev["status"] = sol.status
        return Verdict(False, ev)
    if not same_value(sol.objective, target_opt.objective, REL_TOL):
        ev["objective"] = {"mapped": sol.objective, "optimal": target_opt.objective}
        return Verdict(False, ev)
    return Verdict(True, ev)
