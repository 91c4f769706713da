"""Presolve-style canonical form used to *find* a map (never to decide equivalence).

Reductions, repeated until nothing changes: parallel columns are merged (x+ - x-, x1 + x2, digit
expansions), continuous column singletons of equality rows are eliminated (slacks, `zed = objective`),
and singleton rows become bounds. Every canonical variable u is a linear combination of the original
variables (`contraction`), and each original variable is, where determined, an affine combination of
the canonical ones (`expansion`; None for members of a merged group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optcopilot.equivalence.flat import FlatModel

Expr = dict[int, float]


@dataclass
class Canonical:
    model: FlatModel  # minimisation form
    contraction: list[Expr]  # canonical var k = Σ coef * original var + contraction_off[k]
    contraction_off: np.ndarray
    expansion: list[Expr | None]  # original var j = Σ coef * canonical var + offset[j]
    offset: np.ndarray
    origin: list[int]  # canonical var k -> representative original var


def _sig(value: float) -> str:
    return f"{value:.10g}"


def canonicalize(m: FlatModel, rounds: int = 4) -> Canonical:
    rows: list[dict[int, float]] = []
    for i in range(m.m):
        idx, val = m.row(i)
        rows.append({int(j): float(v) for j, v in zip(idx, val, strict=True)})
    lo, hi = m.row_lo.astype(float).copy(), m.row_hi.astype(float).copy()
    lb, ub = m.lb.astype(float).copy(), m.ub.astype(float).copy()
    integer = m.integer.copy()
    sign = m.min_sign()
    c = sign * m.c.astype(float)
    c0 = sign * m.c0
    active_row = np.ones(m.m, dtype=bool)
    active_col = np.ones(m.n, dtype=bool)
    col_rows: list[set[int]] = [set() for _ in range(m.n)]
    for i, r in enumerate(rows):
        for j in r:
            col_rows[j].add(i)
    contraction: dict[int, Expr] = {j: {j: 1.0} for j in range(m.n)}
    merged: set[int] = set()  # original vars inside a merged group
    elim: list[tuple[int, Expr, float]] = []  # (var, expression over working vars, constant), in order

    def merge_pass() -> bool:
        groups: dict[tuple, list[tuple[int, float]]] = {}
        for j in np.nonzero(active_col)[0].tolist():
            entries = sorted((i, rows[i][j]) for i in col_rows[j])
            lead = c[j] if c[j] != 0.0 else (entries[0][1] if entries else 0.0)
            if lead == 0.0:
                continue
            key = (bool(integer[j]), _sig(c[j] / lead), tuple((i, _sig(v / lead)) for i, v in entries))
            groups.setdefault(key, []).append((j, lead))
        changed = False
        for members in groups.values():
            if len(members) < 2:
                continue
            k, tk = min(members, key=lambda p: (abs(p[1]), p[1] < 0, p[0]))
            lam = {j: t / tk for j, t in members}
            if integer[k] and not all(float(v).is_integer() for v in lam.values()):
                continue
            new_lb = sum(v * (lb[j] if v > 0 else ub[j]) for j, v in lam.items())
            new_ub = sum(v * (ub[j] if v > 0 else lb[j]) for j, v in lam.items())
            expr: Expr = {}
            for j, v in lam.items():
                for o, w in contraction[j].items():
                    expr[o] = expr.get(o, 0.0) + v * w
                if j != k:
                    active_col[j] = False
                    for i in col_rows[j]:
                        rows[i].pop(j, None)
                    col_rows[j] = set()
                    c[j] = 0.0
                merged.add(j)
            contraction[k] = expr
            lb[k], ub[k] = new_lb, new_ub
            for t, (s, e, const) in enumerate(elim):
                if any(j in e for j in lam):
                    base = e.get(k, 0.0)
                    ok = all(abs(e.get(j, 0.0) - lam[j] * base) <= 1e-9 * (1 + abs(base)) for j in lam)
                    elim[t] = (s, {**{o: w for o, w in e.items() if o not in lam}, k: base} if ok else {-1: 0.0},
                               const)
            changed = True
        return changed

    def singleton_pass() -> bool:
        changed = False
        for i in np.nonzero(active_row)[0].tolist():
            if lo[i] != hi[i]:
                continue
            cands = [j for j in rows[i] if not integer[j] and len(col_rows[j]) == 1 and j not in merged]
            if not cands:
                continue
            j = min(cands, key=lambda q: (c[q] != 0.0, not np.isfinite(lb[q]), abs(abs(rows[i][q]) - 1.0), q))
            a, b = rows[i].pop(j), lo[i]
            expr = {k: -v / a for k, v in rows[i].items()}
            if a > 0:
                lo[i], hi[i] = b - a * ub[j], b - a * lb[j]
            else:
                lo[i], hi[i] = b - a * lb[j], b - a * ub[j]
            if c[j] != 0.0:
                for k, v in expr.items():
                    c[k] += c[j] * v
                nonlocal c0
                c0 += c[j] * b / a
                c[j] = 0.0
            elim.append((j, expr, b / a))
            active_col[j] = False
            col_rows[j] = set()
            if (np.isinf(lo[i]) and np.isinf(hi[i])) or not rows[i]:
                _drop_row(i)
            changed = True
        return changed

    def _drop_row(i: int) -> None:
        active_row[i] = False
        for k in rows[i]:
            col_rows[k].discard(i)

    def row_bounds_pass() -> bool:
        changed = False
        for i in np.nonzero(active_row)[0].tolist():
            if len(rows[i]) != 1:
                continue
            (k, a), = rows[i].items()
            b1, b2 = lo[i] / a, hi[i] / a
            lb[k], ub[k] = max(lb[k], min(b1, b2)), min(ub[k], max(b1, b2))
            _drop_row(i)
            changed = True
        return changed

    for _ in range(rounds):
        a1 = merge_pass()
        a2 = singleton_pass()
        a3 = row_bounds_pass()
        if not (a1 or a2 or a3):
            break

    cols = np.nonzero(active_col)[0].tolist()
    pos = {j: k for k, j in enumerate(cols)}
    keep = np.nonzero(active_row)[0].tolist()
    shift = np.where(np.isfinite(lb), lb, 0.0)  # translate so finite lower bounds become 0
    for i in keep:
        moved = sum(v * shift[j] for j, v in rows[i].items())
        lo[i] -= moved
        hi[i] -= moved
    c0 += float(c @ np.where(active_col, shift, 0.0))
    lb, ub = lb - shift, ub - shift
    indptr, indices, data = [0], [], []
    for i in keep:
        for j in sorted(rows[i], key=lambda q: pos[q]):
            indices.append(pos[j])
            data.append(rows[i][j])
        indptr.append(len(indices))
    model = FlatModel([m.names[j] for j in cols], lb[cols], ub[cols], integer[cols], "minimize", c[cols], c0,
                      np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(data, dtype=float),
                      lo[keep], hi[keep], [m.row_names[i] for i in keep], m.name)
    expansion: list[Expr | None] = [None] * m.n
    offset = np.zeros(m.n)
    for j in cols:
        if j not in merged:
            expansion[j] = {pos[j]: 1.0}
            offset[j] = shift[j]
    for s, e, const in reversed(elim):  # later eliminations first, so earlier ones can use them
        total: Expr = {}
        off = const
        ok = -1 not in e
        for k, v in e.items():
            if not ok:
                break
            if k in pos:  # (a merged group's representative stands for the whole group)
                total[pos[k]] = total.get(pos[k], 0.0) + v
                off += v * shift[k]
            elif expansion[k] is not None:
                for q, w in expansion[k].items():  # type: ignore[union-attr]
                    total[q] = total.get(q, 0.0) + v * w
                off += v * offset[k]
            else:
                ok = False
        if ok:
            expansion[s] = total
            offset[s] = off
    return Canonical(model, [contraction[j] for j in cols], -shift[cols], expansion, offset, cols)
