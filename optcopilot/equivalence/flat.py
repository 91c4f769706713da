"""Flat linear models: the numeric form every equivalence step works on.

A `FlatModel` is `min/max c·x + c0  s.t.  row_lo <= A x <= row_hi,  lb <= x <= ub,  x_j integer for j in
integer`, with the flat variable names of the grounded instance (`x[1,a]`) and row labels (`cap[2]`).
`to_flat` grounds a Formulation (or takes an Instance); `to_formulation` writes one back as the IR of a
model file (`optcopilot.io.mps` layout), so transformed models are ordinary Formulations.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

import highspy
import numpy as np

from optcopilot.compile.algebra import Poly
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.compile.to_highs import load_highs
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation


class EquivalenceInputError(ValueError):
    """A model cannot be compared (empty, nonlinear, invalid); the message is one line."""


@dataclass
class FlatModel:
    """A linear (MI)LP over named scalar variables; the matrix is stored row-wise (CSR)."""

    names: list[str]
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    sense: str
    c: np.ndarray
    c0: float
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    row_names: list[str]
    name: str = "model"
    formulation: Formulation | None = field(default=None, repr=False)
    _index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def m(self) -> int:
        return len(self.row_names)

    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.names)}
        return self._index

    def row_of_entries(self) -> np.ndarray:
        return np.repeat(np.arange(self.m), np.diff(self.indptr))

    def activity(self, x: np.ndarray) -> np.ndarray:
        """A x for every row."""
        return np.bincount(self.row_of_entries(), weights=self.data * x[self.indices], minlength=self.m)

    def abs_activity(self, x: np.ndarray) -> np.ndarray:
        """Σ |a_ij x_j| per row (the scale for feasibility tolerances)."""
        return np.bincount(self.row_of_entries(), weights=np.abs(self.data * x[self.indices]), minlength=self.m)

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.c @ x + self.c0)

    def min_sign(self) -> float:
        """+1 for minimize, -1 for maximize: sign * objective is minimised."""
        return 1.0 if self.sense == "minimize" else -1.0

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = self.indptr[i], self.indptr[i + 1]
        return self.indices[s:e], self.data[s:e]

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column-wise view: (colptr, row index, value)."""
        rows = self.row_of_entries()
        order = np.lexsort((rows, self.indices))
        counts = np.bincount(self.indices, minlength=self.n)
        colptr = np.concatenate(([0], np.cumsum(counts)))
        return colptr, rows[order], self.data[order]

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for arr in (self.lb, self.ub, self.integer.astype(np.int8), self.c, self.indptr, self.indices, self.data,
                    self.row_lo, self.row_hi):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(f"{self.sense}|{self.c0}|{'|'.join(self.names)}".encode())
        return h.hexdigest()

    def copy(self, **changes: object) -> FlatModel:
        return replace(self, _index=None, formulation=None, **changes)  # type: ignore[arg-type]


ModelLike = Formulation | Instance | FlatModel


def to_flat(model: ModelLike, name: str | None = None) -> FlatModel:
    """Ground a model into a FlatModel; EquivalenceInputError for empty, invalid or nonlinear models."""
    if isinstance(model, FlatModel):
        return model
    if isinstance(model, Formulation):
        if not model.variables:
            raise EquivalenceInputError(f"model {model.name!r} has no variables")
        try:
            inst = instantiate(model)
        except FormulationError as exc:
            raise EquivalenceInputError(f"model {model.name!r} is invalid: {exc}".splitlines()[0]) from None
    elif isinstance(model, Instance):
        inst = model
    else:
        raise EquivalenceInputError(f"expected a Formulation, Instance or FlatModel, got {type(model).__name__}")
    return _from_instance(inst, name or inst.formulation.name)


def _from_instance(inst: Instance, name: str) -> FlatModel:
    n = inst.n_vars
    if n == 0:
        raise EquivalenceInputError(f"model {name!r} has no variables")
    c = np.zeros(n)
    c0 = 0.0
    obj = inst.objective
    if isinstance(obj, float | int):
        c0 = float(obj)
    elif isinstance(obj, Poly) and obj.degree() <= 1:
        for mono, coef in obj.items():
            if mono:
                c[mono[0]] += coef
            else:
                c0 += coef
    else:
        raise EquivalenceInputError(f"model {name!r} has a nonlinear objective; equivalence checking needs (MI)LPs")
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    lo, hi, labels = [], [], []
    for row in inst.rows:
        body = row.body
        if not isinstance(body, Poly) or body.degree() > 1:
            raise EquivalenceInputError(f"model {name!r}: constraint {row.label} is nonlinear; "
                                        "equivalence checking needs (MI)LPs")
        merged: dict[int, float] = {}
        for mono, coef in body.items():
            if mono and coef != 0.0:
                merged[mono[0]] = merged.get(mono[0], 0.0) + coef
        for j in sorted(merged):
            if merged[j] != 0.0:
                indices.append(j)
                data.append(merged[j])
        indptr.append(len(indices))
        lo.append(row.lo)
        hi.append(row.hi)
        labels.append(row.label)
    return FlatModel(list(inst.names), inst.lb.astype(float).copy(), inst.ub.astype(float).copy(),
                     inst.integer.astype(bool).copy(), inst.sense, c, c0, np.array(indptr, dtype=np.int64),
                     np.array(indices, dtype=np.int64), np.array(data, dtype=float), np.array(lo, dtype=float),
                     np.array(hi, dtype=float), labels, name, inst.formulation)


def from_arrays(names: list[str], lb: list[float] | np.ndarray, ub: list[float] | np.ndarray,
                integer: list[bool] | np.ndarray, sense: str, c: list[float] | np.ndarray,
                rows: list[tuple[dict[int, float], float, float]], row_names: list[str] | None = None,
                c0: float = 0.0, name: str = "model") -> FlatModel:
    """Build a FlatModel from rows given as ({var index: coef}, lo, hi)."""
    indptr, indices, data = [0], [], []
    for terms, _, _ in rows:
        for j in sorted(terms):
            if terms[j] != 0.0:
                indices.append(j)
                data.append(float(terms[j]))
        indptr.append(len(indices))
    return FlatModel(list(names), np.asarray(lb, dtype=float), np.asarray(ub, dtype=float),
                     np.asarray(integer, dtype=bool), sense, np.asarray(c, dtype=float), float(c0),
                     np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64),
                     np.array(data, dtype=float), np.array([r[1] for r in rows], dtype=float),
                     np.array([r[2] for r in rows], dtype=float),
                     list(row_names) if row_names is not None else [f"r{i + 1}" for i in range(len(rows))], name)


# ---- names --------------------------------------------------------------------------------------
_FILE_VAR = re.compile(r"^[xyz]\[(.*)\]$", re.DOTALL)


def base_name(flat: str) -> str:
    """The column name behind a model-file variable (`y[C12]` -> `C12`); other names unchanged."""
    from optcopilot.io.mps import decode_name

    match = _FILE_VAR.match(flat)
    return decode_name(match.group(1)) if match else flat


def normal_name(flat: str) -> str:
    """Name used for matching: the base name with punctuation folded (`x[1,a]` ~ `x_1_a`)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", base_name(flat)).strip("_").lower()


def file_var_name(column: str, integer: bool, lb: float, ub: float) -> str:
    """The flat name `to_formulation` gives a column: x[..] continuous, y[..] integer, z[..] binary."""
    from optcopilot.io.mps import encode_name

    family = "x" if not integer else ("z" if lb == 0.0 and ub == 1.0 else "y")
    return f"{family}[{encode_name(column)}]"


def column_names(model: FlatModel) -> list[str]:
    """Unique file column names for a model's variables (their base names when those are unique)."""
    bases = [base_name(n) for n in model.names]
    if len(set(bases)) == len(bases) and all(bases):
        return bases
    return list(model.names)


def file_names(model: FlatModel) -> list[str]:
    """Flat names the variables get in `to_formulation(model)`."""
    return [file_var_name(col, bool(model.integer[j]), float(model.lb[j]), float(model.ub[j]))
            for j, col in enumerate(column_names(model))]


def to_highs(model: FlatModel) -> highspy.Highs:
    """Load a FlatModel into a Highs object (the objective sense kept as is)."""
    return load_highs(model.lb, model.ub, model.c, offset=model.c0, maximize=model.sense == "maximize",
                      row_starts=model.indptr, row_index=model.indices, row_value=model.data, row_lo=model.row_lo,
                      row_hi=model.row_hi, integer=model.integer)


def to_formulation(model: FlatModel, name: str | None = None) -> Formulation:
    """The model as a Formulation in the model-file layout; variables are named by `file_names(model)`."""
    from optcopilot.io.mps import formulation_from_lp

    h = to_highs(model)
    for j, col in enumerate(column_names(model)):
        h.passColName(j, col)
    rows = [re.sub(r"\s+", "_", r) for r in model.row_names]
    if len(set(rows)) != len(rows) or not all(rows):
        rows = [f"r{i + 1}" for i in range(model.m)]
    for i, r in enumerate(rows):
        h.passRowName(i, r)
    f = formulation_from_lp(h.getModel().lp_, None, name or model.name, source=f"equivalence model {model.name}")
    return f


def rename(model: FlatModel, names: list[str]) -> FlatModel:
    return model.copy(names=list(names))
