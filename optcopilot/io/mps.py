"""Model files (MPS, LP) <-> five-element formulations.

`read_model_file` turns an `.mps`, `.mps.gz` or `.lp` file into a `Formulation` that keeps the
file's structure and names:

| IR symbol | what |
|---|---|
| sets `COLS`, `C`, `I`, `B` | all columns; continuous, general integer, binary (integer with bounds 0..1) |
| sets `ROWS`, `ROWS_L`, `ROWS_G`, `ROWS_E`, `ROWS_R` | all rows; rows `<=`, `>=`, `==`, ranged (or free) |
| indexed sets `RC[r]`, `RI[r]`, `RB[r]` (over `ROWS`) | the nonzero columns of row r in C, I, B |
| `A[ROWS, COLS]` | constraint matrix, nested dict {row: {col: value}} of nonzeros (default 0) |
| `c[COLS]`, `obj_offset` | objective costs (nonzeros, default 0) and constant |
| `lb[COLS]`, `ub[COLS]` | bounds of continuous and integer columns (default 0 and inf; "inf"/"-inf") |
| `rhs[ROWS]`, `rlo[ROWS]`, `rhi[ROWS]` | right-hand sides (default 0); bounds of ranged rows |
| `Q[COLS, COLS]`, 2-D sets `Q_CC`, `Q_CI`, ... | quadratic objective: coefficient of `x[i]*x[k]` |
| variables `x[C]`, `y[I]`, `z[B]` | continuous, integer, binary columns |
| constraints `le`, `ge`, `eq`, `ranged` | one family per row type, e.g. `forall: r in ROWS_L` |

Set elements are the file's column and row names, so a solved `Result` has variable keys like
`x[colname]` and row labels like `le[rowname]`; `column_values` maps them back to the names of the
file. Characters that the IR's key handling treats specially (whitespace, `,` quotes, brackets,
parentheses, `%`) are percent-escaped (`x(1,2)` -> `x%281%2C2%29`); `decode_name` undoes it.
Files without names get `c1..cN` and `r1..rM`.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import highspy
import numpy as np

from optcopilot.compile.instance import Instance, ProblemClass, instantiate
from optcopilot.compile.to_highs import NotLinearError, build_highs
from optcopilot.io.file_check import IncompleteFileError, check_complete, check_readable
from optcopilot.ir import budget
from optcopilot.ir.model import (
    ConstraintDef,
    Domain,
    Formulation,
    ObjectiveDef,
    ParamDef,
    Sense,
    SetDef,
    VarDef,
)
from optcopilot.solve.result import Result

READ_SUFFIXES = (".mps", ".mps.gz", ".lp")
WRITE_SUFFIXES = (".mps", ".lp")

# group -> (variable, set of columns, indexed set of a row's nonzero columns)
GROUPS: tuple[tuple[str, str, str], ...] = (("x", "C", "RC"), ("y", "I", "RI"), ("z", "B", "RB"))
DOMAINS: tuple[Domain, Domain, Domain] = ("continuous", "integer", "binary")
# row type -> (constraint name, set of rows)
ROW_TYPES: tuple[tuple[str, str], ...] = (("le", "ROWS_L"), ("ge", "ROWS_G"), ("eq", "ROWS_E"),
                                          ("ranged", "ROWS_R"))

_UNSAFE = re.compile(r"[\s,'\"()\[\]%]")
_LABEL = re.compile(r"^([xyz])\[(.*)\]$", re.DOTALL)


class ModelFileError(ValueError):
    """A model file cannot be read or written; the message is one line."""


# ---- names -----------------------------------------------------------------------------------
def encode_name(name: str) -> str:
    """Percent-escape the characters the IR's key handling treats specially; other names pass unchanged."""
    if _UNSAFE.search(name) is None:
        return name
    return "".join("".join(f"%{b:02X}" for b in ch.encode()) if _UNSAFE.match(ch) else ch for ch in name)


def decode_name(name: str) -> str:
    """Inverse of `encode_name`."""
    return unquote(name) if "%" in name else name


def _names(raw: list[str], count: int, prefix: str) -> tuple[list[str], bool]:
    """Encoded element names; generated `prefix1..` if names are missing, empty or not unique."""
    if len(raw) == count and all(raw) and len(set(raw)) == count:
        return [encode_name(n) for n in raw], False
    return [f"{prefix}{i + 1}" for i in range(count)], count > 0


def column_values(result: Result | Mapping[str, float]) -> dict[str, float]:
    """{column name in the file: value} from a Result (or its `variables`) of a read model."""
    variables = result.variables if isinstance(result, Result) else result
    out: dict[str, float] = {}
    for label, value in variables.items():
        match = _LABEL.match(label)
        if match is not None:
            out[decode_name(match.group(2))] = value
    return out


# ---- reading ---------------------------------------------------------------------------------
def read_model_file(path: str | os.PathLike[str], name: str | None = None) -> Formulation:
    """Read an `.mps`, `.mps.gz` or `.lp` file into a Formulation (see the module docstring)."""
    p = Path(path)
    suffix = _suffix(p, READ_SUFFIXES)
    try:
        check_readable(p)
    except IncompleteFileError as exc:
        raise ModelFileError(str(exc)) from None
    kind = "LP" if suffix == ".lp" else "MPS"
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.readModel(str(p))
    if status == highspy.HighsStatus.kError:
        raise ModelFileError(f"cannot read {p.name} as {kind}: {_read_error(p)}")
    model = h.getModel()
    if model.lp_.num_col_ == 0:
        raise ModelFileError(f"{p.name} holds no columns (not an {kind} model?)")
    try:
        check_complete(p, kind)  # HiGHS reads a truncated file as a smaller model
    except IncompleteFileError as exc:
        raise ModelFileError(str(exc)) from None
    clock = budget.current()  # refuse what the grounder would refuse before building the IR of it
    clock.check_size("variables", int(model.lp_.num_col_), p.name)
    clock.check_size("rows", int(model.lp_.num_row_), p.name)
    clock.check_size("nonzeros", len(model.lp_.a_matrix_.value_), p.name)
    clock.check_time(f"reading {p.name}")
    stem = p.name[: -len(suffix)] or "model"
    return formulation_from_lp(model.lp_, model.hessian_, name or stem, source=p.name)


def _suffix(p: Path, allowed: tuple[str, ...]) -> str:
    low = p.name.lower()
    for suffix in sorted(allowed, key=len, reverse=True):
        if low.endswith(suffix):
            return suffix
    raise ModelFileError(f"{p.name}: unsupported file type (use {', '.join(allowed)})")


def _read_error(p: Path) -> str:
    """Read again with a log file to report HiGHS's own reason in one line."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "read.log")
        h = highspy.Highs()
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", log)
        h.readModel(str(p))
        try:
            with open(log, encoding="utf-8", errors="replace") as fh:
                lines = [ln.strip() for ln in fh if ln.strip()]
        except OSError:
            lines = []
    errors = [ln for ln in lines if "error" in ln.lower()]
    reason = (errors or lines or ["HiGHS reported an error"])[0]
    return " ".join(re.sub(r"^ERROR:\s*", "", reason).split())[:200]


def formulation_from_lp(lp: highspy.HighsLp, hessian: highspy.HighsHessian | None = None, name: str = "model",
                        source: str = "") -> Formulation:
    """Build the Formulation of a HiGHS LP (plus optional Hessian of the objective)."""
    return _Builder(lp, hessian, name, source).build()


class _Builder:
    def __init__(self, lp: highspy.HighsLp, hessian: highspy.HighsHessian | None, name: str, source: str) -> None:
        self.lp = lp
        self.hessian = hessian
        self.name = name
        self.source = source
        self.n = int(lp.num_col_)
        self.m = int(lp.num_row_)
        self.notes: list[str] = []
        self.cols, generated = _names(list(lp.col_names_), self.n, "c")
        if generated:
            self.notes.append("column names were missing or not unique, so columns are c1..")
        self.rows, generated = _names(list(lp.row_names_), self.m, "r")
        if generated:
            self.notes.append("row names were missing or not unique, so rows are r1..")

    def build(self) -> Formulation:
        lp = self.lp
        lo = np.asarray(lp.col_lower_, dtype=float)
        up = np.asarray(lp.col_upper_, dtype=float)
        group = self._groups(lo, up)
        cols = np.array(self.cols, dtype=object)
        sets = [SetDef(name="COLS", description="all columns", elements=list(self.cols))]
        present = [g for g in range(3) if (group == g).any()]
        titles = ("continuous columns", "general integer columns", "binary columns (integer, bounds 0..1)")
        for g in present:
            sets.append(SetDef(name=GROUPS[g][1], description=titles[g], elements=cols[group == g].tolist()))
        params: list[ParamDef] = []
        params.append(_sparse_param("c", "objective cost of each column", np.asarray(lp.col_cost_, dtype=float),
                                    self.cols))
        variables = self._variables(present, group, lo, up, params)
        constraints = self._rows(sets, params, present, group)
        objective = self._objective(present, params, sets, group)
        counts = ", ".join(f"{int((group == g).sum())} {('continuous', 'integer', 'binary')[g]}" for g in present)
        desc = (f"Read from {self.source or 'a HiGHS model'}: {self.n} columns ({counts}), {self.m} rows. "
                "Variables x[C], y[I], z[B] are keyed by the file's column names (see optcopilot.io.mps).")
        if self.notes:
            desc += " Note: " + "; ".join(self.notes) + "."
        return Formulation(name=self.name, description=desc, sets=sets, parameters=params, variables=variables,
                           objective=objective, constraints=constraints)

    def _groups(self, lo: np.ndarray, up: np.ndarray) -> np.ndarray:
        group = np.zeros(self.n, dtype=np.int8)
        if len(self.lp.integrality_):
            kinds = np.fromiter((int(v) for v in self.lp.integrality_), dtype=np.int64, count=self.n)
            bad = sorted(set(kinds.tolist()) - {0, 1})
            if bad:
                what = {2: "semi-continuous", 3: "semi-integer"}.get(bad[0], f"type {bad[0]}")
                raise ModelFileError(f"{self.source or 'model'}: {what} columns are not supported")
            integer = kinds == 1
            group[integer] = 1
            group[integer & (lo == 0.0) & (up == 1.0)] = 2
        return group

    def _variables(self, present: list[int], group: np.ndarray, lo: np.ndarray, up: np.ndarray,
                   params: list[ParamDef]) -> list[VarDef]:
        nonbin = group != 2
        need_lb = bool((nonbin & (lo != 0.0)).any())
        need_ub = bool((nonbin & np.isfinite(up)).any())
        if need_lb:
            params.append(_sparse_param("lb", "lower bound of each continuous or integer column",
                                        np.where(nonbin, lo, 0.0), self.cols, default=0.0))
        if need_ub:
            params.append(_sparse_param("ub", "upper bound of each continuous or integer column",
                                        np.where(nonbin, up, math.inf), self.cols, default=math.inf))
        out = []
        for g in present:
            var, cset, _ = GROUPS[g]
            domain = DOMAINS[g]
            if g == 2:
                out.append(VarDef(name=var, index=[cset], domain=domain, description="binary columns"))
                continue
            sel = group == g
            lb: float | str | None = "lb" if need_lb and bool((lo[sel] != 0.0).any()) else 0.0
            ub: float | str | None = "ub" if need_ub and bool(np.isfinite(up[sel]).any()) else None
            out.append(VarDef(name=var, index=[cset], domain=domain, lb=lb, ub=ub, description=f"{domain} columns"))
        return out

    def _rows(self, sets: list[SetDef], params: list[ParamDef], present: list[int],
              group: np.ndarray) -> list[ConstraintDef]:
        if self.m == 0:
            return []
        rlo = np.asarray(self.lp.row_lower_, dtype=float)
        rhi = np.asarray(self.lp.row_upper_, dtype=float)
        row_idx, col_idx, vals = self._row_major()
        # entries sorted by (row, group, column): each row's nonzeros per group are one slice
        order = np.lexsort((col_idx, group[col_idx], row_idx))
        row_idx, col_idx, vals = row_idx[order], col_idx[order], vals[order]
        counts = np.bincount(row_idx.astype(np.int64) * 3 + group[col_idx], minlength=3 * self.m)
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        names = np.array(self.cols, dtype=object)[col_idx].tolist()
        values = vals.tolist()
        a_rows: dict[str, dict[str, float]] = {}
        members: list[dict[str, list[Any]]] = [{}, {}, {}]
        nonempty = np.zeros(self.m, dtype=bool)
        for r, row in enumerate(self.rows):
            start, end = bounds[3 * r], bounds[3 * r + 3]
            if start == end:
                continue
            nonempty[r] = True
            a_rows[row] = dict(zip(names[start:end], values[start:end], strict=True))
            for g in present:
                s, e = bounds[3 * r + g], bounds[3 * r + g + 1]
                if s < e:
                    members[g][row] = names[s:e]
        kind = self._row_kinds(rlo, rhi, nonempty)
        sets.append(SetDef(name="ROWS", description="all constraint rows", elements=list(self.rows)))
        rows = np.array(self.rows, dtype=object)
        titles = ("rows lhs <= rhs", "rows lhs >= rhs", "rows lhs == rhs", "ranged (or free) rows lo <= lhs <= hi")
        for t, (_, rset) in enumerate(ROW_TYPES):
            if (kind == t).any():
                sets.append(SetDef(name=rset, description=titles[t], elements=rows[kind == t].tolist()))
        for g in present:
            _, cset, rcset = GROUPS[g]
            sets.append(SetDef(name=rcset, index=["ROWS"], members=members[g],
                               description=f"nonzero columns of {cset} in each row"))
        params.append(ParamDef(name="A", index=["ROWS", "COLS"], value=a_rows, default=0.0,
                               description="constraint coefficients (nonzeros)"))
        rhs = np.select([kind == 0, kind == 1, kind == 2], [rhi, rlo, rlo], 0.0)
        params.append(_sparse_param("rhs", "right-hand side of <=, >= and == rows", rhs, self.rows, default=0.0,
                                    index="ROWS"))
        ranged = kind == 3
        if ranged.any():
            sel = rows[ranged].tolist()
            params.append(ParamDef(name="rlo", index=["ROWS"], value=dict(zip(sel, _data(rlo[ranged]), strict=True)),
                                   description="lower bound of ranged rows"))
            params.append(ParamDef(name="rhi", index=["ROWS"], value=dict(zip(sel, _data(rhi[ranged]), strict=True)),
                                   description="upper bound of ranged rows"))
        lhs = " + ".join(f"sum(A[r, j]*{GROUPS[g][0]}[j] for j in {GROUPS[g][2]}[r])" for g in present)
        out = []
        for t, (cname, rset) in enumerate(ROW_TYPES):
            if not (kind == t).any():
                continue
            expr = (f"{lhs} <= rhs[r]", f"{lhs} >= rhs[r]", f"{lhs} == rhs[r]", f"rlo[r] <= {lhs} <= rhi[r]")[t]
            out.append(ConstraintDef(name=cname, expression=expr, forall=f"r in {rset}", description=titles[t]))
        return out

    def _row_major(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of every nonzero of the matrix, in row-major order."""
        a = self.lp.a_matrix_
        start = np.asarray(a.start_, dtype=np.int64)
        index = np.asarray(a.index_, dtype=np.int64)
        value = np.asarray(a.value_, dtype=float)
        count = len(start) - 1
        outer = np.repeat(np.arange(count, dtype=np.int64), np.diff(start))
        keep = value != 0.0
        if a.format_ == highspy.MatrixFormat.kRowwise:
            return outer[keep], index[keep], value[keep]
        return index[keep], outer[keep], value[keep]

    def _row_kinds(self, rlo: np.ndarray, rhi: np.ndarray, nonempty: np.ndarray) -> np.ndarray:
        """0 <=, 1 >=, 2 ==, 3 ranged/free, -1 dropped (an empty row that 0 satisfies)."""
        kind = np.full(self.m, 3, dtype=np.int8)
        lo_inf, hi_inf = np.isneginf(rlo), np.isposinf(rhi)
        kind[lo_inf & ~hi_inf] = 0
        kind[~lo_inf & hi_inf] = 1
        kind[(rlo == rhi)] = 2
        empty_ok = ~nonempty & (rlo <= 0.0) & (rhi >= 0.0)
        kind[empty_ok] = -1
        # an empty row that 0 violates stays, as a >= or <= row, so the grounder reports it
        kind[~nonempty & (rlo > 0.0)] = 1
        kind[~nonempty & (rhi < 0.0) & ~(rlo > 0.0)] = 0
        if (~nonempty & ~empty_ok).any():
            self.notes.append("some rows have no nonzeros and cannot hold")
        return kind

    def _objective(self, present: list[int], params: list[ParamDef], sets: list[SetDef],
                   group: np.ndarray) -> ObjectiveDef:
        terms = [f"sum(c[j]*{GROUPS[g][0]}[j] for j in {GROUPS[g][1]})" for g in present]
        terms.extend(self._quadratic(params, sets, group))
        offset = float(self.lp.offset_)
        if offset != 0.0:
            params.append(ParamDef(name="obj_offset", value=offset, description="objective constant"))
            terms.append("obj_offset")
        sense: Sense = "maximize" if self.lp.sense_ == highspy.ObjSense.kMaximize else "minimize"
        return ObjectiveDef(sense=sense, expression=" + ".join(terms), description="objective of the model file")

    def _quadratic(self, params: list[ParamDef], sets: list[SetDef], group: np.ndarray) -> list[str]:
        """Terms `sum(Q[i, k]*x[i]*y[k] ...)` for a Hessian (HiGHS: objective + 1/2 x'Hx)."""
        hess = self.hessian
        if hess is None or hess.dim_ == 0 or not len(hess.value_):
            return []
        start = np.asarray(hess.start_, dtype=np.int64)
        rows = np.asarray(hess.index_, dtype=np.int64)
        vals = np.asarray(hess.value_, dtype=float)
        cols = np.repeat(np.arange(len(start) - 1, dtype=np.int64), np.diff(start))
        square = hess.format_ == highspy.HessianFormat.kSquare
        coef: dict[tuple[int, int], float] = {}
        for i, k, v in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True):
            if v == 0.0 or (square and i < k):
                continue  # a square Hessian repeats each off-diagonal entry above the diagonal
            factor = 0.5 if i == k else 1.0
            key = (min(i, k), max(i, k))
            coef[key] = coef.get(key, 0.0) + factor * v
        table: dict[str, dict[str, float]] = {}
        pairs: dict[tuple[int, int], list[Any]] = {}
        for (i, k), v in coef.items():
            a, b = (i, k) if group[i] <= group[k] else (k, i)
            table.setdefault(self.cols[a], {})[self.cols[b]] = v
            pairs.setdefault((int(group[a]), int(group[b])), []).append([self.cols[a], self.cols[b]])
        params.append(ParamDef(name="Q", index=["COLS", "COLS"], value=table, default=0.0,
                               description="coefficient of the product of two columns in the objective"))
        terms = []
        for (g1, g2), elements in sorted(pairs.items()):
            sname = f"Q_{GROUPS[g1][1]}{GROUPS[g2][1]}"
            sets.append(SetDef(name=sname, elements=elements, description="column pairs with a quadratic term"))
            terms.append(f"sum(Q[i, k]*{GROUPS[g1][0]}[i]*{GROUPS[g2][0]}[k] for (i, k) in {sname})")
        return terms


def _data(values: np.ndarray) -> list[float | str]:
    """Floats as IR data: infinities become "inf"/"-inf"."""
    return [v if math.isfinite(v) else ("inf" if v > 0 else "-inf") for v in values.tolist()]


def _sparse_param(name: str, description: str, values: np.ndarray, keys: list[str], default: float = 0.0,
                  index: str = "COLS") -> ParamDef:
    """A parameter over COLS (or ROWS) holding only the entries that differ from `default`."""
    sel = np.nonzero(values != default)[0]
    table = dict(zip([keys[i] for i in sel.tolist()], _data(values[sel]), strict=True))
    return ParamDef(name=name, index=[index], value=table, default=default, description=description)


# ---- writing ---------------------------------------------------------------------------------
def write_model_file(formulation: Formulation | Instance, path: str | os.PathLike[str]) -> None:
    """Write a linear or quadratic-objective model as `.mps` or `.lp` (format from the extension)."""
    p = Path(path)
    _suffix(p, WRITE_SUFFIXES)
    inst = formulation if isinstance(formulation, Instance) else instantiate(formulation)
    pclass = inst.problem_class()
    if pclass not in (ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP, ProblemClass.MIQP):
        raise ModelFileError(f"cannot write a {pclass.value} model to {p.name}: only linear or quadratic-objective "
                             "models fit MPS/LP")
    try:
        h, sign = build_highs(inst)
    except NotLinearError as exc:
        raise ModelFileError(f"cannot write {p.name}: {exc}") from None
    if sign < 0:
        _undo_negation(h)
    cols, rows = _file_names(inst)
    for j, text in enumerate(cols):
        h.passColName(j, text)
    for i, text in enumerate(rows):
        h.passRowName(i, text)
    status = h.writeModel(str(p))
    if status == highspy.HighsStatus.kError or not p.is_file():
        raise ModelFileError(f"HiGHS could not write {p}")


def _undo_negation(h: highspy.Highs) -> None:
    """build_highs minimises -f for a maximised QP; restore `maximize f` for the file."""
    model = h.getModel()
    lp = model.lp_
    n = int(lp.num_col_)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -np.asarray(lp.col_cost_, dtype=float))
    h.changeObjectiveOffset(-float(lp.offset_))
    hess = model.hessian_
    hess.value_ = [-v for v in hess.value_]
    h.passHessian(hess)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)


def _file_names(inst: Instance) -> tuple[list[str], list[str]]:
    """Column and row names for the file: the original names for a model read by this module, else labels."""
    f = inst.formulation
    shaped = {(v.name, tuple(v.index)) for v in f.variables} <= {(g[0], (g[1],)) for g in GROUPS} and \
        {c.name for c in f.constraints} <= {t[0] for t in ROW_TYPES}
    if shaped:
        cols = [decode_name(str(key[0])) for fam in inst.families.values() for key in fam.keys]
        rows = [decode_name(str(row.key[0])) if row.key else row.label for row in inst.rows]
        if len(set(cols)) == len(cols) and len(set(rows)) == len(rows):
            return cols, rows
    return list(inst.names), [row.label for row in inst.rows]

