"""Perturbed data instances: the same random change to every parameter both models share by name.

A parameter is shared when both formulations declare it with the same values on the same keys; it is
left alone when it is used to build index sets or conditions (changing it would change the shape).
`fit_from_instances` uses such instances to fit a linear map by least squares.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from optcopilot.equivalence.flat import EquivalenceInputError, FlatModel, to_flat
from optcopilot.equivalence.matching import Relation
from optcopilot.equivalence.solving import solve_flat
from optcopilot.ir.data import ResolvedParam, key_text, resolve_data
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.expr import (
    Aggregate,
    Call,
    Compare,
    IfExp,
    Index,
    Name,
    Node,
    parse_domain,
    parse_expression,
    walk,
)
from optcopilot.ir.model import Formulation, ParamDef


def _structural_params(f: Formulation) -> set[str]:
    """Parameters used inside ranges, conditions or comparisons (they shape the index sets)."""
    out: set[str] = set()

    def names_in(node: Node) -> None:
        for n in walk(node):
            if isinstance(n, Name):
                out.add(n.id)
            elif isinstance(n, Index):
                out.add(n.base)

    def scan(node: Node, top: bool) -> None:
        for n in walk(node):
            if isinstance(n, Aggregate):
                for g in n.generators:
                    names_in(g.domain)
                    for cond in g.conditions:
                        names_in(cond)
            elif isinstance(n, IfExp):
                names_in(n.test)
            elif (isinstance(n, Call) and n.func in ("range", "len", "card")) or (isinstance(n, Compare) and not (top and n is node)):
                names_in(n)

    try:
        scan(parse_expression(f.objective.expression), False)
        for c in f.constraints:
            scan(parse_expression(c.expression), True)
            if c.forall:
                for g in parse_domain(c.forall):
                    names_in(g.domain)
                    for cond in g.conditions:
                        names_in(cond)
        for v in f.variables:
            for b in (v.lb, v.ub):
                if isinstance(b, str):
                    scan(parse_expression(b), False)
    except Exception:
        return {p.name for p in f.parameters}
    return out


def _tables(f: Formulation) -> dict[str, ResolvedParam]:
    try:
        return resolve_data(f).params
    except FormulationError:
        return {}


def is_model_file_layout(f: Formulation) -> bool:
    """A formulation read from (or written as) a model file: its parameters are the flat matrix itself."""
    from optcopilot.io.mps import GROUPS

    return {v.name for v in f.variables} <= {g[0] for g in GROUPS} and any(p.name == "A" for p in f.parameters)


def shared_parameters(a: Formulation, b: Formulation) -> list[str]:
    """Names of numeric parameters declared identically (same keys, same values) in both models.

    Model-file layouts (MPS/LP) are skipped: their "parameters" are the matrix and cost vector.
    """
    if is_model_file_layout(a) or is_model_file_layout(b):
        return []
    ta, tb = _tables(a), _tables(b)
    skip = _structural_params(a) | _structural_params(b)
    out = []
    for name in sorted(set(ta) & set(tb) - skip):
        pa, pb = ta[name], tb[name]
        if pa.scalar is not None or pb.scalar is not None:
            if pa.scalar is not None and pb.scalar is not None and pa.scalar == pb.scalar and math.isfinite(pa.scalar):
                out.append(name)
        elif pa.table and pa.table == pb.table and pa.default == pb.default:
            out.append(name)
    return out


def _factor(name: str, key: tuple, seed: int) -> float:
    h = zlib.crc32(f"{seed}|{name}|{key_text(key)}".encode())
    return 0.8 + 0.4 * (h / 0xFFFFFFFF)


def _perturbed_value(value: float, name: str, key: tuple, seed: int) -> float:
    if not math.isfinite(value) or value == 0.0:
        return value
    new = value * _factor(name, key, seed)
    if float(value).is_integer():
        new = float(round(new))
        if new == 0.0:
            new = value
    return new


def perturb(f: Formulation, names: list[str], seed: int) -> Formulation:
    """A copy of f with the named parameters' values changed (deterministically per name, key and seed)."""
    tables = _tables(f)
    params = []
    for p in f.parameters:
        if p.name not in names or p.name not in tables:
            params.append(p)
            continue
        t = tables[p.name]
        if t.scalar is not None:
            params.append(p.model_copy(update={"value": _perturbed_value(t.scalar, p.name, (), seed)}))
            continue
        value = {key_text(k): _json(_perturbed_value(v, p.name, k, seed)) for k, v in t.table.items()}
        params.append(ParamDef(name=p.name, description=p.description, index=list(p.index), value=value,
                               default=p.default))
    return f.model_copy(update={"parameters": params})


def _json(v: float) -> float | str:
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def perturbed_pairs(cand: Formulation, ref: Formulation, count: int,
                    seed0: int = 1) -> list[tuple[int, FlatModel, FlatModel]]:
    """Up to `count` (seed, candidate, reference) instance pairs with shared parameters perturbed alike."""
    names = shared_parameters(cand, ref)
    if not names:
        return []
    out = []
    for seed in range(seed0, seed0 + count):
        try:
            out.append((seed, to_flat(perturb(cand, names, seed)), to_flat(perturb(ref, names, seed))))
        except EquivalenceInputError:
            continue
    return out


def fit_from_instances(cand: Formulation, ref: Formulation, base_c: FlatModel, base_r: FlatModel,
                       time_limit: float, max_vars: int = 25) -> Relation | None:
    """Least-squares fit x = M y + m0 from optima of perturbed instances (small models sharing data)."""
    if base_c.n > max_vars or base_r.n > max_vars:
        return None
    pairs = perturbed_pairs(cand, ref, base_c.n + 4, seed0=101)
    ys, xs = [], []
    for _, fc, fr in pairs:
        if fc.names != base_c.names or fr.names != base_r.names:
            continue
        sc, sr = solve_flat(fc, time_limit=time_limit), solve_flat(fr, time_limit=time_limit)
        if sc.x is not None and sr.x is not None:
            ys.append(sc.x)
            xs.append(sr.x)
    if len(ys) < 3:
        return None
    y = np.hstack([np.array(ys), np.ones((len(ys), 1))])
    x = np.array(xs)
    coef, *_ = np.linalg.lstsq(y, x, rcond=None)
    if np.max(np.abs(y @ coef - x), initial=0.0) > 1e-6 * (1 + np.max(np.abs(x), initial=0.0)):
        return None
    coef = np.where(np.abs(coef) < 1e-9, 0.0, coef)
    coef = np.array([[float(f"{v:.9g}") for v in row] for row in coef])
    expr = [{j: float(coef[j, i]) for j in range(base_c.n) if coef[j, i] != 0.0} for i in range(base_r.n)]
    rel = Relation("structural:fit", ref_expr=expr, ref_off=coef[base_c.n].copy())
    rel.notes.append(f"fitted by least squares on {len(ys)} perturbed instances")
    return rel
