"""Reformulations of a model as reductions (CVXPY style), each with its exact variable map.

Every transformation has a `name`, a ground-truth `equivalent` label, `accepts(model)`, and
`apply(model, rng) -> (Formulation, VariableMap)`; `invert(values_of_new, vmap)` maps a solution of the
new model back to the original's variables. They work on the flat (grounded) model. Labels of the
non-equivalent ones are checked with solves: `apply` raises `NotApplicable` rather than emit a
variant whose optimum does not actually change.

Why one module over 450 lines: it is the catalogue of the original transformations, thirteen small classes
that share the `Transform` base and its helpers and are read side by side (each next to its inverse map);
new meaning-changing transformations live in `changes.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from optcopilot.equivalence.flat import (
    FlatModel,
    ModelLike,
    column_names,
    file_names,
    to_flat,
    to_formulation,
)
from optcopilot.equivalence.solving import Solution, optimum, same_value
from optcopilot.equivalence.varmap import VariableMap
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Result, Termination

Rows = list[tuple[dict[int, float], float, float]]
SOLVE_SECONDS = 10.0


class NotApplicable(ValueError):
    """The transformation cannot produce a (correctly labelled) variant of this model."""


def _rows(m: FlatModel) -> Rows:
    out: Rows = []
    for i in range(m.m):
        idx, val = m.row(i)
        out.append(({int(j): float(v) for j, v in zip(idx, val, strict=True)}, float(m.row_lo[i]),
                    float(m.row_hi[i])))
    return out


def _build(m: FlatModel, names: list[str], lb: list[float], ub: list[float], integer: list[bool],
           c: list[float], rows: Rows, row_names: list[str], sense: str | None = None,
           c0: float | None = None) -> FlatModel:
    indptr, indices, data = [0], [], []
    for terms, _, _ in rows:
        for j in sorted(terms):
            if terms[j] != 0.0:
                indices.append(j)
                data.append(terms[j])
        indptr.append(len(indices))
    return FlatModel(list(names), np.array(lb, dtype=float), np.array(ub, dtype=float), np.array(integer, dtype=bool),
                     sense or m.sense, np.array(c, dtype=float), m.c0 if c0 is None else float(c0),
                     np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(data, dtype=float),
                     np.array([r[1] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float),
                     list(row_names), m.name)


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


class Transformation(ABC):
    """A reformulation with a known label and an exact map back to the original's variables."""

    name: ClassVar[str]
    equivalent: ClassVar[bool]  # optimal level: optima of each map to optima of the other
    feasible_equivalent: ClassVar[bool | None] = None  # feasible level; None: the same as `equivalent`
    description: ClassVar[str] = ""

    @property
    def feasible_label(self) -> bool:
        """Feasible-level label: maps both ways between the feasible sets keeping the objective."""
        return self.equivalent if self.feasible_equivalent is None else self.feasible_equivalent

    def __init__(self) -> None:
        self.last_map: VariableMap | None = None

    def accepts(self, model: ModelLike) -> bool:
        """Cheap structural test: can `apply` be tried on this model?"""
        try:
            return self._accepts(to_flat(model))
        except ValueError:
            return False

    def _accepts(self, m: FlatModel) -> bool:
        return True

    def apply(self, model: ModelLike, rng: np.random.Generator) -> tuple[Formulation, VariableMap]:
        """The reformulated model (as a Formulation) and the map original ← new."""
        new, vmap = self.apply_flat(to_flat(model), rng)
        return to_formulation(new, f"{new.name}_{self.name}"), vmap

    def apply_flat(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        """Like `apply`, returning the new model as a FlatModel named as its Formulation grounds."""
        if not self._accepts(m):
            raise NotApplicable(f"{self.name} does not apply to {m.name}")
        new, vmap = self._apply(m, rng)
        names = file_names(new)
        new = new.copy(names=names)
        vmap = VariableMap(list(m.names), names, vmap.terms, vmap.offset, vmap.backward)
        self.last_map = vmap
        return new, vmap

    @abstractmethod
    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]: ...

    def invert(self, result_of_new: Result | Mapping[str, float] | np.ndarray,
               vmap: VariableMap | None = None) -> dict[str, float]:
        """Values of the original's variables from a solution of the new model."""
        vmap = vmap or self.last_map
        if vmap is None:
            raise ValueError("invert() needs the VariableMap returned by apply()")
        values = result_of_new.variables if isinstance(result_of_new, Result) else result_of_new
        return vmap.original_values(values)


def _same_vars(m: FlatModel) -> tuple[list[str], list[float], list[float], list[bool], list[float]]:
    return column_names(m), m.lb.tolist(), m.ub.tolist(), m.integer.tolist(), m.c.tolist()


# ---- equivalence-preserving ----------------------------------------------------------------------
class RenameShuffle(Transformation):
    name, equivalent = "rename_shuffle", True
    description = "random names, random order of variables and rows, random row orientation"

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        perm = rng.permutation(m.n)  # new position p holds original variable perm[p]
        pos = np.empty(m.n, dtype=int)
        pos[perm] = np.arange(m.n)
        tags = rng.choice(10**6, size=m.n + m.m, replace=False)
        names = [f"v{t:06d}" for t in tags[: m.n]]
        rows = []
        for terms, lo, hi in _rows(m):
            new_terms = {int(pos[j]): v for j, v in terms.items()}
            if rng.random() < 0.5:
                new_terms = {j: -v for j, v in new_terms.items()}
                lo, hi = -hi, -lo
            rows.append((new_terms, lo, hi))
        order = rng.permutation(m.m)
        rows = [rows[i] for i in order]
        row_names = [f"c{t:06d}" for t in tags[m.n:]]
        new = _build(m, names, m.lb[perm].tolist(), m.ub[perm].tolist(), m.integer[perm].tolist(),
                     m.c[perm].tolist(), rows, row_names)
        return new, VariableMap.identity(m.names, names, pos.tolist(), lambda x: x[perm])


class AddSlacks(Transformation):
    name, equivalent = "slack", True
    description = "inequalities become equalities with slack variables"

    def _accepts(self, m: FlatModel) -> bool:
        return bool(np.any(m.row_lo != m.row_hi))

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        names, lb, ub, integer, c = _same_vars(m)
        taken = set(names)
        rows: Rows = []
        defs: list[tuple[int, int, float, float]] = []  # slack index, row, sign, rhs
        for i, (terms, lo, hi) in enumerate(_rows(m)):
            if lo == hi or (np.isinf(lo) and np.isinf(hi)):
                rows.append((terms, lo, hi))
                continue
            s = len(names)
            names.append(_fresh(f"slack_{m.row_names[i]}", taken))
            integer.append(False)
            c.append(0.0)
            lb.append(0.0)
            if np.isfinite(hi):
                ub.append(hi - lo if np.isfinite(lo) else np.inf)
                rows.append(({**terms, s: 1.0}, hi, hi))
                defs.append((s, i, 1.0, hi))
            else:
                ub.append(np.inf)
                rows.append(({**terms, s: -1.0}, lo, lo))
                defs.append((s, i, -1.0, lo))
        new = _build(m, names, lb, ub, integer, c, rows, m.row_names)

        def backward(x: np.ndarray) -> np.ndarray:
            act = m.activity(x)
            extra = np.array([sign * (rhs - act[i]) for _, i, sign, rhs in defs])
            return np.concatenate([x, extra])

        return new, VariableMap.identity(m.names, names, None, backward)


class SplitFree(Transformation):
    name, equivalent = "split_free", True
    description = "free variables x = x_plus - x_minus"

    def _targets(self, m: FlatModel) -> list[int]:
        return [j for j in range(m.n) if np.isneginf(m.lb[j])]

    def _accepts(self, m: FlatModel) -> bool:
        return bool(self._targets(m))

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        targets = self._targets(m)
        return _split(m, targets, "plus", "minus", -1.0)


class SplitSum(Transformation):
    name, equivalent = "split_sum", True
    description = "some variables x = x1 + x2"

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        k = max(1, min(m.n // 4, 50))
        targets = sorted(rng.choice(m.n, size=k, replace=False).tolist())
        return _split(m, targets, "p1", "p2", 1.0)


def _split(m: FlatModel, targets: list[int], tag1: str, tag2: str, sign: float) -> tuple[FlatModel, VariableMap]:
    """x_j = a + sign*b for j in targets (a in x_j's place, b appended)."""
    names, lb, ub, integer, c = _same_vars(m)
    taken = set(names)
    rows = _rows(m)
    terms: list[dict[int, float]] = [{j: 1.0} for j in range(m.n)]
    extra_rows: Rows = []
    extra_names: list[str] = []
    seconds: dict[int, int] = {}
    for j in targets:
        b = len(names)
        seconds[j] = b
        base = names[j]
        names[j] = _fresh(f"{base}_{tag1}", taken)
        names.append(_fresh(f"{base}_{tag2}", taken))
        integer.append(bool(m.integer[j]))
        c.append(sign * c[j])
        lo, hi = float(m.lb[j]), float(m.ub[j])
        if sign < 0:  # x = p - q with p, q >= 0
            lb[j], ub[j] = 0.0, np.inf
            lb.append(0.0)
            ub.append(np.inf)
            if np.isfinite(hi):
                extra_rows.append(({j: 1.0, b: -1.0}, -np.inf, hi))
                extra_names.append(f"bound_{base}")
        else:  # x = a + b with a in [lo, hi], b >= 0
            lb.append(0.0)
            ub.append(hi - lo if np.isfinite(hi) and np.isfinite(lo) else np.inf)
            if np.isfinite(hi):
                extra_rows.append(({j: 1.0, b: 1.0}, -np.inf, hi))
                extra_names.append(f"bound_{base}")
        terms[j] = {j: 1.0, b: sign}
        for row_terms, _, _ in rows:
            if j in row_terms:
                row_terms[b] = sign * row_terms[j]
    new = _build(m, names, lb, ub, integer, c, rows + extra_rows, m.row_names + extra_names)

    def backward(x: np.ndarray) -> np.ndarray:
        out = np.concatenate([x.astype(float), np.zeros(len(seconds))])
        for j, b in seconds.items():
            if sign < 0:
                out[j], out[b] = max(x[j], 0.0), max(-x[j], 0.0)
            else:
                out[j], out[b] = x[j], 0.0
        return out

    return new, VariableMap(list(m.names), names, terms, np.zeros(m.n), backward)


class Rescale(Transformation):
    name, equivalent = "rescale", True
    description = "continuous variables and the objective multiplied by positive constants"
    FACTORS = (0.25, 0.5, 2.0, 4.0, 8.0, 10.0)

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        names, _lb, _ub, integer, _c = _same_vars(m)
        scale = np.ones(m.n)
        cont = np.nonzero(~m.integer)[0]
        scale[cont] = rng.choice(self.FACTORS, size=len(cont))
        alpha = float(rng.choice((0.5, 2.0, 10.0)))
        rows = [({j: v * scale[j] for j, v in terms.items()}, lo, hi) for terms, lo, hi in _rows(m)]
        new = _build(m, names, (m.lb / scale).tolist(), (m.ub / scale).tolist(), integer,
                     (alpha * m.c * scale).tolist(), rows, m.row_names, c0=alpha * m.c0)
        vmap = VariableMap(list(m.names), names, [{j: float(scale[j])} for j in range(m.n)], np.zeros(m.n),
                           lambda x: x / scale)
        return new, vmap


class ObjectiveVariable(Transformation):
    name, equivalent = "objective_variable", True
    description = "a new variable zed = objective, and the objective is zed"

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        names, lb, ub, integer, _ = _same_vars(m)
        z = len(names)
        names.append(_fresh("zed", set(names)))
        lb.append(-np.inf)
        ub.append(np.inf)
        integer.append(False)
        row = {j: -float(v) for j, v in enumerate(m.c) if v != 0.0}
        row[z] = 1.0
        c = [0.0] * m.n + [1.0]
        new = _build(m, names, lb, ub, integer, c, [*_rows(m), (row, m.c0, m.c0)], [*m.row_names, "zed_def"],
                     c0=0.0)
        return new, VariableMap.identity(m.names, names, None,
                                         lambda x: np.concatenate([x, [float(m.c @ x + m.c0)]]))


class ValidInequality(Transformation):
    """The sum of two rows is implied by them: the feasible set is unchanged, so both levels hold."""

    name, equivalent = "valid_inequality", True
    description = "adds the sum of two constraints (a valid inequality, implied: the feasible set is unchanged)"

    def _accepts(self, m: FlatModel) -> bool:
        return len(_one_sided(m)) >= 2

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        cands = _one_sided(m)
        rows = _rows(m)
        order = rng.permutation(len(cands))
        first = cands[order[0]]
        pick = cands[order[1]]
        for k in order[1:]:  # prefer a second row sharing a variable with the first
            if set(rows[cands[k][0]][0]) & set(rows[first[0]][0]):
                pick = cands[k]
                break
        terms: dict[int, float] = {}
        rhs = 0.0
        for i, sign in (first, pick):
            for j, v in rows[i][0].items():
                terms[j] = terms.get(j, 0.0) + sign * v
            rhs += sign * (rows[i][2] if sign > 0 else rows[i][1])
        terms = {j: v for j, v in terms.items() if abs(v) > 1e-12}
        if not terms:
            raise NotApplicable("the two rows cancel")
        names, lb, ub, integer, c = _same_vars(m)
        new = _build(m, names, lb, ub, integer, c, [*rows, (terms, -np.inf, rhs)], [*m.row_names, "valid_cut"])
        return new, VariableMap.identity(m.names, names, None, lambda x: x)


def _one_sided(m: FlatModel) -> list[tuple[int, float]]:
    """(row, sign) so that sign * row <= finite bound, for every inequality row."""
    out = []
    for i in range(m.m):
        lo, hi = m.row_lo[i], m.row_hi[i]
        if lo == hi:
            continue
        if np.isfinite(hi):
            out.append((i, 1.0))
        elif np.isfinite(lo):
            out.append((i, -1.0))
    return out


class IntegerDigits(Transformation):
    """x = lb + Σ base^k d_k with integer digits d_k in [0, base-1] (bounded general integers)."""

    equivalent = True

    def __init__(self, base: int = 10) -> None:
        super().__init__()
        self.base = base
        self.name = "digits" if base == 10 else f"base{base}"  # type: ignore[misc]
        self.description = f"bounded integers written with base-{base} digits"

    def _targets(self, m: FlatModel) -> list[int]:
        span = m.ub - m.lb
        ok = m.integer & np.isfinite(m.lb) & np.isfinite(m.ub) & (span >= 2) & (span < 1e12)
        return np.nonzero(ok)[0].tolist()

    def _accepts(self, m: FlatModel) -> bool:
        return bool(self._targets(m))

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        targets = self._targets(m)
        if len(targets) > 40:
            targets = sorted(rng.choice(targets, size=40, replace=False).tolist())
        names, lb, ub, integer, c = _same_vars(m)
        taken = set(names)
        rows = _rows(m)
        extra: Rows = []
        extra_names: list[str] = []
        terms: list[dict[int, float]] = [{j: 1.0} for j in range(m.n)]
        offset = np.zeros(m.n)
        digits: dict[int, list[int]] = {}
        c0 = m.c0
        base = self.base
        for j in targets:
            lo, span = float(m.lb[j]), float(m.ub[j] - m.lb[j])
            k = 1
            while base**k - 1 < span:
                k += 1
            idx = [j] + [len(names) + t for t in range(k - 1)]
            root = names[j]
            names[j] = _fresh(f"{root}_d0", taken)
            for t in range(1, k):
                names.append(_fresh(f"{root}_d{t}", taken))
                integer.append(True)
                c.append(c[j] * base**t)
            lb[j], ub[j] = 0.0, float(base - 1)
            lb.extend([0.0] * (k - 1))
            ub.extend([float(base - 1)] * (k - 1))
            c0 += m.c[j] * lo
            for r, (row_terms, rlo, rhi) in enumerate(rows):
                if j in row_terms:
                    a = row_terms[j]
                    for t in range(1, k):
                        row_terms[idx[t]] = a * base**t
                    rows[r] = (row_terms, rlo - a * lo, rhi - a * lo)
            if base**k - 1 > span:
                extra.append(({i: float(base**t) for t, i in enumerate(idx)}, -np.inf, span))
                extra_names.append(f"range_{root}")
            terms[j] = {i: float(base**t) for t, i in enumerate(idx)}
            offset[j] = lo
            digits[j] = idx
        new = _build(m, names, lb, ub, integer, c, rows + extra, m.row_names + extra_names, c0=c0)
        total = len(names)

        def backward(x: np.ndarray) -> np.ndarray:
            out = np.zeros(total)
            out[: m.n] = x
            for j, idx in digits.items():
                rest = round(x[j] - m.lb[j])
                for i in idx:
                    out[i] = rest % base
                    rest //= base
            return out

        return new, VariableMap(list(m.names), names, terms, offset, backward)


# ---- not equivalent (labels checked by solving) ------------------------------------------------
def _differs(a: Solution, b: Solution) -> bool:
    """The two models' optimal outcomes differ (status or value)."""
    if a.status != b.status:
        return True
    if a.status == Termination.OPTIMAL and a.objective is not None and b.objective is not None:
        return not same_value(a.objective, b.objective, 1e-5)
    return False


def _binding_rows(m: FlatModel, sol: Solution) -> list[int]:
    if sol.x is None:
        return list(range(m.m))
    act = m.activity(sol.x)
    tol = 1e-6 * (1.0 + np.abs(act))
    binding = (np.abs(act - m.row_hi) <= tol) | (np.abs(act - m.row_lo) <= tol)
    return np.nonzero(binding)[0].tolist()


class DropConstraint(Transformation):
    name, equivalent = "drop_constraint", False
    description = "one constraint that changes the optimum is removed"
    TRIES = 8

    def _accepts(self, m: FlatModel) -> bool:
        return m.m >= 1

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = optimum(m, SOLVE_SECONDS)
        if base.status != Termination.OPTIMAL:
            raise NotApplicable("the original has no optimum")
        cands = _binding_rows(m, base)
        rng.shuffle(cands)
        names, lb, ub, integer, c = _same_vars(m)
        rows = _rows(m)
        for i in cands[: self.TRIES]:
            keep = [r for r in range(m.m) if r != i]
            new = _build(m, names, lb, ub, integer, c, [rows[r] for r in keep], [m.row_names[r] for r in keep])
            if _differs(optimum(new, SOLVE_SECONDS), base):
                new.name = m.name
                return new, VariableMap.identity(m.names, names, None, lambda x: x)
        raise NotApplicable("no constraint whose removal changes the optimum was found")


class FeasibilityVersion(Transformation):
    name, equivalent = "feasibility", False
    description = "the objective becomes a constant (the original optimum)"

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = optimum(m, SOLVE_SECONDS)
        if base.status != Termination.OPTIMAL or base.objective is None:
            raise NotApplicable("the original has no optimum")
        flipped = m.copy(sense="maximize" if m.sense == "minimize" else "minimize")
        other = optimum(flipped, SOLVE_SECONDS)
        if other.status == Termination.OPTIMAL and other.objective is not None and same_value(other.objective, base.objective):
            raise NotApplicable("every feasible point is optimal: the feasibility version is equivalent")
        names, lb, ub, integer, _ = _same_vars(m)
        new = _build(m, names, lb, ub, integer, [0.0] * m.n, _rows(m), m.row_names, c0=base.objective)
        return new, VariableMap.identity(m.names, names, None, lambda x: x)


class TightenRhs(Transformation):
    name, equivalent = "tighten_rhs", False
    description = "the right-hand side of a binding constraint is tightened"
    TRIES = 8

    def _accepts(self, m: FlatModel) -> bool:
        return m.m >= 1

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = optimum(m, SOLVE_SECONDS)
        if base.status != Termination.OPTIMAL or base.x is None:
            raise NotApplicable("the original has no optimum")
        act = m.activity(base.x)
        cands = _binding_rows(m, base)
        rng.shuffle(cands)
        names, lb, ub, integer, c = _same_vars(m)
        rows = _rows(m)
        for i in cands[: self.TRIES]:
            terms, lo, hi = rows[i]
            delta = max(1.0, 0.1 * abs(act[i]))
            if np.isfinite(hi) and abs(act[i] - hi) <= 1e-6 * (1 + abs(hi)):
                new_row = (terms, lo if not np.isfinite(lo) else min(lo, hi - delta), hi - delta)
            elif np.isfinite(lo):
                new_row = (terms, lo + delta, max(hi, lo + delta))
            else:
                continue
            new_rows = list(rows)
            new_rows[i] = new_row
            new = _build(m, names, lb, ub, integer, c, new_rows, m.row_names)
            if _differs(optimum(new, SOLVE_SECONDS), base):
                return new, VariableMap.identity(m.names, names, None, lambda x: x)
        raise NotApplicable("no tightening that changes the optimum was found")


class FlipIntegrality(Transformation):
    name, equivalent = "flip_integrality", False
    description = "an integer variable becomes continuous (or a continuous one integer)"
    TRIES = 5

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = optimum(m, SOLVE_SECONDS)
        if base.status != Termination.OPTIMAL or base.x is None:
            raise NotApplicable("the original has no optimum")
        names, lb, ub, _, c = _same_vars(m)
        rows = _rows(m)
        ints = np.nonzero(m.integer)[0].tolist()
        frac = [j for j in np.nonzero(~m.integer)[0].tolist() if abs(base.x[j] - round(base.x[j])) > 1e-4]
        rng.shuffle(ints)
        rng.shuffle(frac)
        trials: list[list[int]] = [[j] for j in (frac + ints)[: self.TRIES]]
        if ints:
            trials.append(ints)  # relax every integer at once as a last try
        for flip in trials:
            integer = m.integer.copy()
            integer[flip] = ~integer[flip]
            new = _build(m, names, lb, ub, integer.tolist(), c, rows, m.row_names)
            if _differs(optimum(new, SOLVE_SECONDS), base):
                return new, VariableMap.identity(m.names, names, None, lambda x: x)
        raise NotApplicable("no integrality flip that changes the optimum was found")


REFORMULATIONS: tuple[Transformation, ...] = (
    RenameShuffle(), AddSlacks(), SplitFree(), SplitSum(), Rescale(), ObjectiveVariable(), ValidInequality(),
    IntegerDigits(10), IntegerDigits(2), DropConstraint(), FeasibilityVersion(), TightenRhs(), FlipIntegrality(),
)
"""The transformations defined here; `optcopilot.equivalence.catalog.TRANSFORMATIONS` adds the others."""

__all__ = ["REFORMULATIONS", "NotApplicable", "Transformation"]
