"""Changes that alter a model's meaning, for the equivalence benchmark, each label checked by solving.

- `change_coefficient`: a coefficient of a binding constraint changes and so does the optimum;
- `change_objective`: an objective coefficient changes so that the old optimum is no longer optimal and the
  optimal value moves;
- `cut_optimum`: a cut through the optimum removes it (the optimal value moves);
- `objective_cut`: "objective no worse than the optimum + δ". Every optimum survives, so the pair is
  optimal-equivalent, but feasible points with worse objective are cut off: not feasible-equivalent. This
  is the case of a symmetry cut or of cuts that keep the optimal tour of one TSP instance.

`apply` raises `NotApplicable` rather than emit a variant whose label it could not confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from optcopilot.equivalence.flat import FlatModel
from optcopilot.equivalence.solving import Solution, optimum, same_value
from optcopilot.equivalence.transforms import (
    SOLVE_SECONDS,
    NotApplicable,
    Transformation,
    _binding_rows,
    _build,
    _differs,
    _rows,
    _same_vars,
)
from optcopilot.equivalence.varmap import VariableMap
from optcopilot.solve.result import Termination

FACTORS = (0.5, 1.5, 2.0, -1.0)


def _base(m: FlatModel) -> Solution:
    base = optimum(m, SOLVE_SECONDS)
    if base.status != Termination.OPTIMAL or base.x is None or base.objective is None:
        raise NotApplicable("the original has no optimum")
    return base


def _identity(m: FlatModel, names: list[str]) -> VariableMap:
    return VariableMap.identity(m.names, names, None, lambda x: x)


def _first(m: FlatModel, names: list[str], variants: Iterator[FlatModel], keep: Callable[[Solution], bool],
           why: str) -> tuple[FlatModel, VariableMap]:
    """The first variant whose optimum `keep` accepts (its label confirmed by solving), else NotApplicable."""
    for new in variants:
        if keep(optimum(new, SOLVE_SECONDS)):
            return new, _identity(m, names)
    raise NotApplicable(why)


class ChangeCoefficient(Transformation):
    name, equivalent = "change_coefficient", False
    description = "one coefficient of a binding constraint is changed (the optimum changes)"
    TRIES = 12

    def _accepts(self, m: FlatModel) -> bool:
        return m.m >= 1 and len(m.data) > 0

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = _base(m)
        names, lb, ub, integer, c = _same_vars(m)
        rows = _rows(m)
        tries = [(i, j) for i in _binding_rows(m, base) for j in rows[i][0]]
        rng.shuffle(tries)  # type: ignore[arg-type]

        def variants() -> Iterator[FlatModel]:
            for i, j in tries[: self.TRIES]:
                terms, lo, hi = rows[i]
                new_rows = list(rows)
                new_rows[i] = ({**terms, j: terms[j] * float(rng.choice(FACTORS))}, lo, hi)
                yield _build(m, names, lb, ub, integer, c, new_rows, m.row_names)

        return _first(m, names, variants(), lambda sol: _differs(sol, base),
                      "no coefficient change that moves the optimum was found")


class ChangeObjective(Transformation):
    name, equivalent = "change_objective", False
    description = "one objective coefficient is changed (the old optimum is no longer optimal, the value moves)"
    TRIES = 12

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = _base(m)
        assert base.x is not None and base.objective is not None
        names, lb, ub, integer, _ = _same_vars(m)
        order = rng.permutation(m.n).tolist()[: self.TRIES]
        scale = float(np.max(np.abs(m.c))) if np.any(m.c) else 1.0
        costs = []
        for j in order:
            c = m.c.astype(float).copy()
            c[j] = c[j] * float(rng.choice(FACTORS)) if c[j] != 0.0 else scale * float(rng.choice((-1.0, 1.0)))
            costs.append(c)

        def moved(c: np.ndarray, sol: Solution) -> bool:
            """The optimal value moves and the old optimum is not optimal any more."""
            if sol.status != Termination.OPTIMAL or sol.objective is None:
                return False
            old_point_value = float(c @ base.x + m.c0)  # type: ignore[operator]
            return not same_value(sol.objective, base.objective, 1e-5) and \
                not same_value(old_point_value, sol.objective, 1e-5)  # type: ignore[arg-type]

        for c in costs:
            new = _build(m, names, lb, ub, integer, c.tolist(), _rows(m), m.row_names)
            if moved(c, optimum(new, SOLVE_SECONDS)):
                return new, _identity(m, names)
        raise NotApplicable("no objective change that moves the optimum was found")


class CutOptimum(Transformation):
    name, equivalent = "cut_optimum", False
    description = "a cut through the optimum removes it (the optimal value changes)"
    TRIES = 8

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = _base(m)
        assert base.x is not None
        names, lb, ub, integer, c = _same_vars(m)
        rows = _rows(m)
        support = [j for j in range(m.n) if abs(base.x[j]) > 1e-9] or list(range(m.n))

        def variants() -> Iterator[FlatModel]:
            for _ in range(self.TRIES):
                pick = rng.choice(support, size=min(len(support), 3), replace=False).tolist()
                terms = {int(j): float(rng.choice((1.0, 2.0, 3.0))) for j in pick}
                at = sum(v * base.x[j] for j, v in terms.items())  # type: ignore[index]
                delta = max(1.0 if any(integer[j] for j in terms) else 1e-3, 0.05 * abs(at))
                yield _build(m, names, lb, ub, integer, c, [*rows, (terms, -np.inf, at - delta)], [*m.row_names, "cut"])

        return _first(m, names, variants(), lambda sol: sol.status == Termination.OPTIMAL and _differs(sol, base),
                      "no cut through the optimum that moves the optimal value was found")


class ObjectiveCut(Transformation):
    name, equivalent, feasible_equivalent = "objective_cut", True, False
    description = "adds 'objective no worse than optimum + δ': every optimum stays, worse feasible points go"

    def _apply(self, m: FlatModel, rng: np.random.Generator) -> tuple[FlatModel, VariableMap]:
        base = _base(m)
        assert base.objective is not None
        z = base.objective
        worst = optimum(m.copy(sense="maximize" if m.sense == "minimize" else "minimize"), SOLVE_SECONDS)
        if worst.status == Termination.OPTIMAL and worst.objective is not None:
            if same_value(worst.objective, z, 1e-5):
                raise NotApplicable("every feasible point is optimal: a cut on the objective removes nothing")
            delta = 0.5 * abs(worst.objective - z)
        else:
            delta = max(1.0, 0.1 * abs(z))
        names, lb, ub, integer, c = _same_vars(m)
        terms = {j: float(v) for j, v in enumerate(m.c) if v != 0.0}
        if not terms:
            raise NotApplicable("constant objective")
        row = (terms, -np.inf, z + delta - m.c0) if m.sense == "minimize" else (terms, z - delta - m.c0, np.inf)
        new = _build(m, names, lb, ub, integer, c, [*_rows(m), row], [*m.row_names, "objective_cut"])
        if _differs(optimum(new, SOLVE_SECONDS), base):
            raise NotApplicable("the cut changed the optimum")  # numerically too tight; never mislabel
        return new, _identity(m, names)


CHANGES: tuple[Transformation, ...] = (ChangeCoefficient(), ChangeObjective(), CutOptimum(), ObjectiveCut())
