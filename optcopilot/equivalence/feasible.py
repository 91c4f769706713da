"""Feasible-level equivalence: maps in both directions between the feasible sets that keep the objective.

A relation found by the structural search gives, for each direction S → T, a `DirectionMap`: every
variable of T as an affine expression of S's variables, or — for variables that S's canonical form merged
(`x = x1 + x2`, `x = p - q`, digit expansions) — membership in a `LiftGroup` whose weighted sum is affine
in S. The map is verified, not trusted: every constraint and bound of T, written in S's variables, must
hold on all of S's feasible set (`Implier`), integer variables of T must get integer values, a group's sum
must stay in the range its members' bounds can produce (and, for integers, cover it without gaps), and
T's objective must equal a positive multiple of S's plus a constant on S's feasible set. Both directions
passing, with inverse objective factors, proves the feasible sets correspond with the objective kept; a
failed constraint comes with a witness point of S whose image violates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optcopilot.equivalence.canonical import Canonical
from optcopilot.equivalence.flat import FlatModel
from optcopilot.equivalence.implication import Implier, Terms
from optcopilot.equivalence.matching import Relation

COEF_TOL = 1e-9
MAX_SHOWN = 12


@dataclass
class LiftGroup:
    """T's variables `members` (weights λ) are only determined through Σ λ_j t_j = terms·s + const."""

    members: dict[int, float]
    terms: Terms
    const: float


@dataclass
class DirectionMap:
    label: str  # "candidate→reference" (reference variables from candidate ones) or the reverse
    exprs: list[Terms | None]
    offsets: np.ndarray
    groups: list[LiftGroup] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.group_of = {j: g for g, grp in enumerate(self.groups) for j in grp.members}


class NotExpressible(ValueError):
    """A target expression cannot be written through the map (a group's members weighted unevenly)."""


@dataclass
class MapCheck:
    status: str  # "ok", "refuted", "undetermined"
    reason: str = ""
    witness: dict[str, Any] = field(default_factory=dict)
    factor: float = 1.0
    offset: float = 0.0
    proofs: dict[str, int] = field(default_factory=dict)


# ---- maps from relations ---------------------------------------------------------------------------------
def direction_maps(rel: Relation) -> tuple[DirectionMap | None, DirectionMap | None]:
    """(candidate→reference, reference→candidate) maps of a relation, None where it does not give one."""
    forward = backward = None
    if rel.ref_expr is not None and rel.ref_off is not None:
        forward = DirectionMap("candidate→reference", list(rel.ref_expr), np.asarray(rel.ref_off, dtype=float))
    if rel.cand_expr is not None and rel.cand_off is not None:
        backward = DirectionMap("reference→candidate", list(rel.cand_expr), np.asarray(rel.cand_off, dtype=float))
    if rel.canon is not None:
        cc, rc = rel.canon
        inv = {a: b for b, a in rel.pairs.items()}
        if forward is None:
            forward = _from_canonical("candidate→reference", rc, cc,
                                      lambda b: (rel.pairs.get(b), rel.sigma.get(b, 1.0)))
        if backward is None:
            backward = _from_canonical("reference→candidate", cc, rc,
                                       lambda a: (inv.get(a), 1.0 / rel.sigma[inv[a]] if a in inv else 1.0))
    return forward, backward


def _from_canonical(label: str, target: Canonical, source: Canonical, partner: Any) -> DirectionMap | None:
    """Target originals through target canonical vars, paired with source canonical vars (value = s * u_p)."""
    n = len(target.expansion)
    exprs: list[Terms | None] = [None] * n
    offsets = np.zeros(n)
    for j, e in enumerate(target.expansion):
        if e is None:
            continue
        total: Terms | None = {}
        off = float(target.offset[j])
        for k, v in e.items():
            p, s = partner(k)
            if p is None:
                total = None
                break
            for q, w in source.contraction[p].items():
                total[q] = total.get(q, 0.0) + v * s * w  # type: ignore[index]
            off += v * s * float(source.contraction_off[p])
        exprs[j] = total
        offsets[j] = off
    groups: list[LiftGroup] = []
    for k, members in enumerate(target.contraction):
        if len(members) < 2 or all(exprs[j] is not None for j in members):
            continue
        p, s = partner(k)
        if p is None:
            continue
        terms = {q: s * w for q, w in source.contraction[p].items()}
        const = s * float(source.contraction_off[p]) - float(target.contraction_off[k])
        groups.append(LiftGroup(dict(members), terms, const))
    covered = {j for g in groups for j in g.members}
    if any(exprs[j] is None and j not in covered for j in range(n)):
        return None
    return DirectionMap(label, exprs, offsets, groups)


# ---- checking one direction ------------------------------------------------------------------------------
def substitute(dmap: DirectionMap, coefs: dict[int, float]) -> tuple[Terms, float]:
    """Σ coefs[j]·t_j written in the source's variables (terms, constant)."""
    terms: Terms = {}
    const = 0.0
    by_group: dict[int, dict[int, float]] = {}
    for j, a in coefs.items():
        if a == 0.0:
            continue
        expr = dmap.exprs[j]
        if expr is not None:
            for q, w in expr.items():
                terms[q] = terms.get(q, 0.0) + a * w
            const += a * float(dmap.offsets[j])
            continue
        g = dmap.group_of.get(j)
        if g is None:
            raise NotExpressible(f"variable {j} is not determined by the map")
        by_group.setdefault(g, {})[j] = a
    for g, part in by_group.items():
        group = dmap.groups[g]
        ratios = [part.get(j, 0.0) / lam for j, lam in group.members.items()]
        t = ratios[0]
        if any(abs(r - t) > COEF_TOL * (1.0 + abs(t)) for r in ratios):
            raise NotExpressible("a constraint weighs the members of a merged group unevenly")
        for q, w in group.terms.items():
            terms[q] = terms.get(q, 0.0) + t * w
        const += t * group.const
    return {q: w for q, w in terms.items() if abs(w) > 1e-12}, const


def _point(model: FlatModel, x: np.ndarray | None) -> dict[str, float]:
    if x is None:
        return {}
    nonzero = [(model.names[j], float(v)) for j, v in enumerate(x.tolist()) if abs(v) > 1e-9]
    return dict(nonzero[:MAX_SHOWN]) | ({"…": float(len(nonzero) - MAX_SHOWN)} if len(nonzero) > MAX_SHOWN else {})


class _DirectionChecker:
    def __init__(self, dmap: DirectionMap, source: FlatModel, target: FlatModel, implier: Implier,
                 samples: list[np.ndarray]) -> None:
        self.dmap, self.source, self.target, self.implier, self.samples = dmap, source, target, implier, samples
        self.proofs: dict[str, int] = {}
        self.undetermined: list[str] = []

    def refuted(self, what: str, point: np.ndarray | None, **extra: Any) -> MapCheck:
        witness = {"direction": self.dmap.label, "fails": what, "point_in_source": _point(self.source, point), **extra}
        return MapCheck("refuted", f"{self.dmap.label}: {what}", witness)

    def require(self, what: str, terms: Terms, lo: float, hi: float) -> MapCheck | None:
        out = self.implier.holds(terms, lo, hi)
        if out.holds:
            self.proofs[out.how] = self.proofs.get(out.how, 0) + 1
            return None
        if out.holds is False:
            return self.refuted(what, out.point, value=out.value, lower=_num(lo), upper=_num(hi))
        self.undetermined.append(f"{what}: {out.reason}")
        return None

    def run(self) -> MapCheck:
        t, d = self.target, self.dmap
        for i in range(t.m):
            idx, val = t.row(i)
            try:
                terms, const = substitute(d, dict(zip(idx.tolist(), val.tolist(), strict=True)))
            except NotExpressible as exc:
                return MapCheck("undetermined", f"{d.label}: constraint {t.row_names[i]}: {exc}")
            bad = self.require(f"constraint {t.row_names[i]}", terms, t.row_lo[i] - const, t.row_hi[i] - const)
            if bad:
                return bad
        for j, expr in enumerate(d.exprs):
            if expr is None:
                continue
            bad = self.require(f"bound of {t.names[j]}", expr, t.lb[j] - d.offsets[j], t.ub[j] - d.offsets[j])
            if bad:
                return bad
            if t.integer[j]:
                bad = self.integral(t.names[j], expr, float(d.offsets[j]))
                if bad:
                    return bad
        for group in d.groups:
            bad = self.group(group)
            if bad:
                return bad
        factor = self.objective()
        if isinstance(factor, MapCheck):
            return factor
        if self.undetermined:
            return MapCheck("undetermined", f"{d.label}: {self.undetermined[0]}", proofs=self.proofs)
        return MapCheck("ok", factor=factor[0], offset=factor[1], proofs=self.proofs)

    def integral(self, name: str, expr: Terms, offset: float) -> MapCheck | None:
        s = self.source
        if float(offset).is_integer() and all(s.integer[q] and float(w).is_integer() for q, w in expr.items()):
            return None
        for y in self.samples:
            value = offset + sum(w * y[q] for q, w in expr.items())
            if abs(value - round(value)) > 1e-6:
                return self.refuted(f"integrality of {name}", y, value=value)
        self.undetermined.append(f"integrality of {name} not shown")
        return None

    def group(self, group: LiftGroup) -> MapCheck | None:
        t = self.target
        members = list(group.members)
        kinds = {bool(t.integer[j]) for j in members}
        if len(kinds) > 1:
            self.undetermined.append("a merged group mixes integer and continuous variables")
            return None
        low = sum(lam * (t.lb[j] if lam > 0 else t.ub[j]) for j, lam in group.members.items())
        high = sum(lam * (t.ub[j] if lam > 0 else t.lb[j]) for j, lam in group.members.items())
        names = ", ".join(t.names[j] for j in members[:4])
        bad = self.require(f"range of the merged group ({names})", group.terms, low - group.const, high - group.const)
        if bad or not kinds.pop():
            return bad
        if not _covers_integers(t, group.members):
            self.undetermined.append(f"the integer group ({names}) may not reach every integer of its range")
        elif not (float(group.const).is_integer() and all(self.source.integer[q] and float(w).is_integer()
                                                           for q, w in group.terms.items())):
            self.undetermined.append(f"integrality of the group sum ({names}) not shown")
        return None

    def objective(self) -> tuple[float, float] | MapCheck:
        """T's objective through the map = factor · S's objective + offset on S's feasible set (min form)."""
        s, t = self.source, self.target
        try:
            g, k = substitute(self.dmap, {j: float(v) for j, v in enumerate(t.c) if v != 0.0})
        except NotExpressible as exc:
            return MapCheck("undetermined", f"{self.dmap.label}: objective: {exc}")
        g = {q: t.min_sign() * w for q, w in g.items()}
        k = t.min_sign() * (k + t.c0)
        cs = {q: s.min_sign() * float(v) for q, v in enumerate(s.c) if v != 0.0}
        ks = s.min_sign() * s.c0
        norm = sum(v * v for v in cs.values())
        factors = []
        if norm > 0:
            ls = sum(g.get(q, 0.0) * v for q, v in cs.items()) / norm
            if ls > 0:
                factors.append(ls)
        factors.append(1.0)
        for alpha in factors:
            resid = dict(g)
            for q, v in cs.items():
                resid[q] = resid.get(q, 0.0) - alpha * v
            scale = 1.0 + max((abs(v) for v in g.values()), default=0.0)
            resid = {q: v for q, v in resid.items() if abs(v) > COEF_TOL * scale}
            if not resid:
                return alpha, k - alpha * ks
            span = self.implier.value_range(resid)
            if span is not None and span[1] - span[0] <= 1e-7 * (1.0 + abs(span[0]) + abs(span[1])):
                return alpha, k + span[0] - alpha * ks
            if not cs and span is not None:  # S's objective is constant: no factor can make T's constant
                lo_pt = self._argmin(resid)
                return self.refuted("objective (the source's objective is constant, the mapped one is not)",
                                    lo_pt, mapped_objective_range=list(span))
        self.undetermined.append("objective not shown to be preserved")
        return 1.0, 0.0

    def _argmin(self, terms: Terms) -> np.ndarray | None:
        best = self.implier._lp_optimum({q: -v for q, v in terms.items()})
        return None if best is None else best[1]


def _covers_integers(t: FlatModel, members: dict[int, float]) -> bool:
    """Σ λ_j t_j over integer t_j in their bounds takes every integer between its extremes (no gaps)."""
    order = sorted(members.items(), key=lambda item: abs(item[1]))
    if not order or abs(order[0][1]) != 1.0:
        return False
    reach = 0.0
    for j, lam in order:
        if abs(lam) > 1.0 + reach:
            return False
        span = t.ub[j] - t.lb[j]
        reach += abs(lam) * span if np.isfinite(span) else np.inf
    return True


def _num(v: float) -> float | str:
    return float(v) if np.isfinite(v) else ("inf" if v > 0 else "-inf")


def check_map(dmap: DirectionMap, source: FlatModel, target: FlatModel, implier: Implier,
              samples: list[np.ndarray]) -> MapCheck:
    return _DirectionChecker(dmap, source, target, implier, samples).run()


# ---- both directions ---------------------------------------------------------------------------------------
@dataclass
class PairCheck:
    method: str
    status: str  # "ok", "refuted", "undetermined"
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


def check_relation(rel: Relation, cand: FlatModel, ref: FlatModel, impliers: tuple[Implier, Implier],
                   samples: tuple[list[np.ndarray], list[np.ndarray]]) -> PairCheck:
    """Both directions of one relation; ok only when they pass with inverse objective factors."""
    forward, backward = direction_maps(rel)
    if forward is None or backward is None:
        missing = "candidate→reference" if forward is None else "reference→candidate"
        return PairCheck(rel.method, "undetermined", f"the map does not determine the {missing} direction")
    out_f = check_map(forward, cand, ref, impliers[0], samples[0])
    if out_f.status == "refuted":
        return PairCheck(rel.method, "refuted", out_f.reason, out_f.witness)
    out_b = check_map(backward, ref, cand, impliers[1], samples[1])
    if out_b.status == "refuted":
        return PairCheck(rel.method, "refuted", out_b.reason, out_b.witness)
    if out_f.status != "ok" or out_b.status != "ok":
        return PairCheck(rel.method, "undetermined", out_f.reason if out_f.status != "ok" else out_b.reason)
    product = out_f.factor * out_b.factor
    shift = out_b.factor * out_f.offset + out_b.offset
    if abs(product - 1.0) > 1e-6 or abs(shift) > 1e-6 * (1.0 + abs(out_f.offset)):
        return PairCheck(rel.method, "undetermined", f"objective factors {out_f.factor:.6g} and "
                         f"{out_b.factor:.6g} are not inverse")
    proofs = {k: out_f.proofs.get(k, 0) + out_b.proofs.get(k, 0) for k in set(out_f.proofs) | set(out_b.proofs)}
    return PairCheck(rel.method, "ok", evidence={"objective_factor": out_f.factor, "objective_offset": out_f.offset,
                                                 "proved_by": proofs})
