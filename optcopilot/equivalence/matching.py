"""Structural map discovery: variable names, then colour refinement (1-WL) on canonical forms.

A `Relation` ties the reference's variables x to the candidate's y: `ref_expr` gives every x as an
affine combination of y (when determined), `cand_expr` every y from x, and `links` are canonical-level
equalities Σ a·x = Σ b·y used when neither side is fully determined.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from optcopilot.equivalence.canonical import Canonical, Expr, canonicalize
from optcopilot.equivalence.flat import FlatModel, base_name, normal_name

Link = tuple[Expr, Expr, float]  # Σ ref coef·x = Σ cand coef·y + const


@dataclass
class Relation:
    method: str
    ref_expr: list[Expr] | None = None
    ref_off: np.ndarray | None = None
    cand_expr: list[Expr] | None = None
    cand_off: np.ndarray | None = None
    links: list[Link] = field(default_factory=list)
    links_complete: bool = False  # every canonical variable on both sides is linked
    notes: list[str] = field(default_factory=list)
    # for colour-refinement relations: both canonical forms and the pairing v_ref[b] = sigma[b] * u_cand[pairs[b]]
    canon: tuple[Canonical, Canonical] | None = None  # (candidate, reference)
    pairs: dict[int, int] = field(default_factory=dict)
    sigma: dict[int, float] = field(default_factory=dict)


# ---- names ---------------------------------------------------------------------------------------
def _name_index(names: list[str]) -> list[dict[str, int]]:
    """Lookups by exact name, by base name and by normalised name (only unambiguous keys kept)."""
    out = []
    for fn in (lambda s: s, base_name, normal_name):
        seen: dict[str, int] = {}
        dup: set[str] = set()
        for i, n in enumerate(names):
            k = fn(n)
            if k in seen:
                dup.add(k)
            seen[k] = i
        out.append({k: v for k, v in seen.items() if k not in dup})
    return out


def match_names(cand: FlatModel, ref: FlatModel) -> Relation | None:
    """Identity map on shared names, when every variable of one model is named in the other."""
    for level, (ci, ri) in enumerate(zip(_name_index(cand.names), _name_index(ref.names), strict=True)):
        fn = (lambda s: s, base_name, normal_name)[level]
        r_in_c = [ci.get(fn(n)) for n in ref.names]
        c_in_r = [ri.get(fn(n)) for n in cand.names]
        rel = Relation(f"structural:names{('', '-base', '-normal')[level]}")
        if all(p is not None for p in r_in_c) and len(set(r_in_c)) == ref.n:
            rel.ref_expr = [{int(p): 1.0} for p in r_in_c]  # type: ignore[arg-type]
            rel.ref_off = np.zeros(ref.n)
        if all(p is not None for p in c_in_r) and len(set(c_in_r)) == cand.n:
            rel.cand_expr = [{int(p): 1.0} for p in c_in_r]  # type: ignore[arg-type]
            rel.cand_off = np.zeros(cand.n)
        if rel.ref_expr is not None or rel.cand_expr is not None:
            return rel
    return None


# ---- colour refinement ---------------------------------------------------------------------------
_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + _M1
        z = (z ^ (z >> np.uint64(30))) * _M2
        z = (z ^ (z >> np.uint64(27))) * _M3
        return z ^ (z >> np.uint64(31))


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _mix(_mix(a.astype(np.uint64)) * np.uint64(31) + b.astype(np.uint64))


def _relabel(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].astype(np.int64)


class _Graph:
    """Both canonical models as one bipartite graph (candidate first) for joint refinement."""

    def __init__(self, cc: Canonical, rc: Canonical, scaled: bool, costs: bool = True) -> None:
        self.nc, self.nr = cc.model.n, rc.model.n
        self.mc, self.mr = cc.model.m, rc.model.m
        labels: dict[object, int] = {}
        col_l, row_l, e_row, e_col, e_lab = [], [], [], [], []
        self.scale: list[np.ndarray] = []
        for off_c, off_r, model in ((0, 0, cc.model), (self.nc, self.mc, rc.model)):
            rows_of = model.row_of_entries()
            absval = np.abs(model.data)
            colmax = np.zeros(model.n)
            if len(absval):
                np.maximum.at(colmax, model.indices, absval)
            colmax = np.where(colmax > 0, colmax, np.where(np.abs(model.c) > 0, np.abs(model.c), 1.0))
            scale = colmax if scaled else np.ones(model.n)
            self.scale.append(scale)
            cn = model.c / scale
            cs = float(np.max(np.abs(cn))) if np.any(cn) else 1.0
            for j in range(model.n):
                key = ("col", _s(model.lb[j] * scale[j]), _s(model.ub[j] * scale[j]), _s(cn[j] / cs) if costs else "")
                col_l.append(labels.setdefault(key, len(labels)))
            orient = np.ones(model.m)
            ambiguous = np.zeros(model.m, dtype=bool)
            for i in range(model.m):
                lo, hi = model.row_lo[i], model.row_hi[i]
                _, vals = model.row(i)
                if np.isinf(hi):
                    orient[i] = -1.0
                elif np.isfinite(lo):
                    total = lo + hi
                    if total != 0:
                        orient[i] = 1.0 if total > 0 else -1.0
                    else:
                        pos, neg = int((vals > 0).sum()), int((vals < 0).sum())
                        if pos == neg:
                            ambiguous[i] = True
                        orient[i] = 1.0 if pos >= neg else -1.0
                a, b = (lo, hi) if orient[i] > 0 else (-hi, -lo)
                kind = "eq" if a == b else ("le" if np.isinf(a) else "range")
                row_l.append(labels.setdefault(("row", kind, _s(a), _s(b), bool(ambiguous[i])), len(labels)))
            vals = model.data * orient[rows_of] / scale[model.indices]
            vals = np.where(ambiguous[rows_of], np.abs(vals), vals)
            for v in vals.tolist():
                e_lab.append(labels.setdefault(("edge", _s(v)), len(labels)))
            e_row.extend((rows_of + off_r).tolist())
            e_col.extend((model.indices + off_c).tolist())
        self.col0 = np.array(col_l, dtype=np.int64)
        self.row0 = np.array(row_l, dtype=np.int64)
        self.e_row = np.array(e_row, dtype=np.int64)
        self.e_col = np.array(e_col, dtype=np.int64)
        self.e_lab = np.array(e_lab, dtype=np.int64)
        self.row_alive = np.ones(self.mc + self.mr, dtype=bool)

    def refine(self, col: np.ndarray, row: np.ndarray, limit: int = 60) -> tuple[np.ndarray, np.ndarray]:
        alive = self.row_alive[self.e_row]
        er, ec, el = self.e_row[alive], self.e_col[alive], self.e_lab[alive]
        lab_h = _mix(el.astype(np.uint64) + np.uint64(7))
        count = len(np.unique(col)) + len(np.unique(row))
        for _ in range(limit):
            with np.errstate(over="ignore"):
                to_col = np.zeros(len(col), dtype=np.uint64)
                np.add.at(to_col, ec, _pair(lab_h, row[er].astype(np.uint64)))
                to_row = np.zeros(len(row), dtype=np.uint64)
                np.add.at(to_row, er, _pair(lab_h, col[ec].astype(np.uint64)))
            joint = _relabel(np.concatenate([_pair(col.astype(np.uint64), to_col),
                                             _pair(row.astype(np.uint64) + np.uint64(1 << 40), to_row)]))
            col, row = joint[: len(col)], joint[len(col):]
            new_count = len(np.unique(col)) + len(np.unique(row))
            if new_count == count:
                break
            count = new_count
        return col, row


def _s(v: float) -> str:
    return "inf" if v == np.inf else "-inf" if v == -np.inf else f"{float(v) + 0.0:.9g}"


def _classes(colors: np.ndarray, n_first: int) -> dict[int, tuple[list[int], list[int]]]:
    out: dict[int, tuple[list[int], list[int]]] = {}
    for i, col in enumerate(colors.tolist()):
        entry = out.setdefault(col, ([], []))
        (entry[0] if i < n_first else entry[1]).append(i if i < n_first else i - n_first)
    return out


def match_wl(cc: Canonical, rc: Canonical, cand: FlatModel, ref: FlatModel, scaled: bool,
             deadline: float, costs: bool = True) -> Relation | None:
    """Pair canonical variables by joint colour refinement; None when the colour classes disagree.

    `costs=False` colours columns without their objective coefficients: a last resort that pairs the
    constraints of models whose objectives differ, so that verification can refute (or confirm) the map.
    """
    g = _Graph(cc, rc, scaled, costs)
    if g.nc == 0 or g.nr == 0:
        return None
    notes: list[str] = []
    # drop rows without a counterpart (added cuts, dropped constraints), then redo; shallow refinements first,
    # so that one extra row is set aside before its neighbours' colours (and through them every row) diverge
    for depth in (0, 1, 2, 60, 60, 60):
        col, row = g.refine(g.col0.copy(), g.row0.copy(), limit=depth)
        dropped = 0
        classes = _classes(np.where(g.row_alive, row, -1), g.mc)
        classes.pop(-1, None)
        for members_c, members_r in classes.values():
            if not members_c and members_r:
                g.row_alive[[g.mc + i for i in members_r]] = False
                dropped += len(members_r)
            elif members_c and not members_r:
                g.row_alive[members_c] = False
                dropped += len(members_c)
        if not dropped:
            if depth == 60:
                break
            continue
        notes.append(f"{dropped} row(s) without a counterpart set aside for matching")
    col, row = g.refine(g.col0.copy(), g.row0.copy())
    cnames = [normal_name(cand.names[j]) for j in cc.origin]
    rnames = [normal_name(ref.names[j]) for j in rc.origin]
    fresh = int(max(col.max(initial=0), row.max(initial=0))) + 1
    for _ in range(200):  # individualise one tied pair at a time
        tied = [(len(c), k, c, r) for k, (c, r) in _classes(col, g.nc).items() if len(c) == len(r) and len(c) > 1]
        if not tied or time.perf_counter() > deadline:
            break
        _, _, members_c, members_r = min(tied)
        a, b = _best_pair(members_c, members_r, cnames, rnames, cc, rc)
        col = col.copy()
        col[a] = fresh
        col[g.nc + b] = fresh
        fresh += 1
        col, row = g.refine(col, row)
        col, row = _compact(col, row)
        fresh = int(max(col.max(initial=0), row.max(initial=0))) + 1
    pairs: dict[int, int] = {}  # ref canonical -> cand canonical
    for members_c, members_r in _classes(col, g.nc).values():
        if len(members_c) != len(members_r):
            continue
        for a, b in zip(*_order(members_c, members_r, cnames, rnames, cc, rc), strict=True):
            pairs[b] = a
    if not pairs:
        return None
    sigma = {b: g.scale[0][a] / g.scale[1][b] for b, a in pairs.items()}
    method = "structural:wl" + ("-scaled" if scaled else "") + ("" if costs else "-constraints")
    return _compose(method, cc, rc, pairs, sigma, cand, ref, notes)


def _compact(col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    joint = _relabel(np.concatenate([col, row + (1 << 40)]))
    return joint[: len(col)], joint[len(col):]


def _pref(a: int, b: int, cnames: list[str], rnames: list[str], cc: Canonical, rc: Canonical) -> tuple:
    return (cnames[a] != rnames[b], bool(cc.model.integer[a]) != bool(rc.model.integer[b]))


def _best_pair(mc: list[int], mr: list[int], cnames: list[str], rnames: list[str], cc: Canonical,
               rc: Canonical) -> tuple[int, int]:
    b = mr[0]
    a = min(mc, key=lambda q: (_pref(q, b, cnames, rnames, cc, rc), q))
    return a, b


def _order(mc: list[int], mr: list[int], cnames: list[str], rnames: list[str], cc: Canonical,
           rc: Canonical) -> tuple[list[int], list[int]]:
    left = list(mc)
    out = []
    for b in mr:
        a = min(left, key=lambda q: (_pref(q, b, cnames, rnames, cc, rc), q))
        left.remove(a)
        out.append(a)
    return out, list(mr)


def _compose(method: str, cc: Canonical, rc: Canonical, pairs: dict[int, int], sigma: dict[int, float],
             cand: FlatModel, ref: FlatModel, notes: list[str]) -> Relation:
    """Turn canonical pairs v_b = sigma_b * u_a into original-variable maps where determined."""
    rel = Relation(method, notes=notes, canon=(cc, rc), pairs=dict(pairs), sigma=dict(sigma))
    inv = {a: b for b, a in pairs.items()}
    rel.links_complete = len(pairs) == cc.model.n == rc.model.n
    for b, a in pairs.items():
        const = sigma[b] * cc.contraction_off[a] - rc.contraction_off[b]
        rel.links.append((rc.contraction[b], {j: sigma[b] * v for j, v in cc.contraction[a].items()}, const))
    rel.ref_expr, rel.ref_off = _expand(rc, cc, lambda b: (pairs.get(b), sigma.get(b, 1.0)))
    rel.cand_expr, rel.cand_off = _expand(cc, rc, lambda a: (inv.get(a), 1.0 / sigma[inv[a]] if a in inv else 1.0))
    return rel


def _expand(side: Canonical, other: Canonical,
            partner: Callable[[int], tuple[int | None, float]]) -> tuple[list[Expr] | None, np.ndarray | None]:
    """Each original var of `side` as a combination of the original vars of `other`, or None."""
    out: list[Expr] = []
    off = side.offset.copy()
    for e in side.expansion:
        if e is None:
            return None, None
        total: Expr = {}
        for k, v in e.items():
            p, s = partner(k)
            if p is None:
                return None, None
            for j, w in other.contraction[p].items():
                total[j] = total.get(j, 0.0) + v * s * w
            off[len(out)] += v * s * other.contraction_off[p]
        out.append(total)
    return out, off


def relations(cand: FlatModel, ref: FlatModel, deadline: float) -> Iterator[Relation]:
    """Candidate relations, cheapest and most trusted first."""
    by_name = match_names(cand, ref)
    if by_name is not None:
        yield by_name
    cc, rc = canonicalize(cand), canonicalize(ref)
    found = by_name is not None
    for costs, scaled in ((True, False), (True, True), (False, False), (False, True)):
        if time.perf_counter() > deadline or (found and not costs):
            return
        rel = match_wl(cc, rc, cand, ref, scaled, deadline, costs)
        if rel is not None:
            found = True
            yield rel
