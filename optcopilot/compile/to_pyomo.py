"""Instance -> Pyomo ConcreteModel, keeping maps between flat ids/rows and Pyomo component data.

One `Var` per IR variable family (indexed by its keys; scalar when unindexed), one `Constraint` per
IR constraint family (indexed by its row keys) and one `Objective`. Flat algebra (`Poly`, `NL`) is
translated into Pyomo expressions restricted to what Pyomo's `scip_direct` interface can pass on to
SCIP: + - * / **, exp, log, log10, sqrt, sin, cos, abs; min/max are rewritten exactly with abs and
a variable exponent as exp(expo * log(base)); floor/ceil of variables are rejected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.core.expr.numeric_expr import UnaryFunctionExpression

from optcopilot.compile.algebra import Poly, Value
from optcopilot.compile.instance import Instance, Row


class UnsupportedExpressionError(ValueError):
    """The flat algebra uses an operation the Pyomo/SCIP route cannot express."""


_UNARY: dict[str, Any] = {
    "exp": pyo.exp, "log": pyo.log, "log10": pyo.log10, "sqrt": pyo.sqrt, "sin": pyo.sin, "cos": pyo.cos,
}


@dataclass
class PyomoHandles:
    """Maps between the flat instance and the Pyomo model built from it."""

    instance: Instance
    variables: list[Any]  # flat id -> VarData
    rows: list[Any]  # row index -> ConstraintData
    objective: Any  # the Objective component
    var_components: dict[str, str] = field(default_factory=dict)  # IR family -> Pyomo component name
    con_components: dict[str, str] = field(default_factory=dict)  # IR constraint -> Pyomo component name
    _var_ids: ComponentMap = field(default_factory=ComponentMap)
    _row_ids: ComponentMap = field(default_factory=ComponentMap)

    def flat_id(self, var_data: Any) -> int:
        return int(self._var_ids[var_data])

    def row_index(self, con_data: Any) -> int:
        return int(self._row_ids[con_data])

    def row_label(self, con_data: Any) -> str:
        return self.instance.rows[self.row_index(con_data)].label

    def values_by_name(self, values: Any = None) -> dict[str, float]:
        """Flat name -> value, from a `VarData -> value` mapping or (by default) the loaded values."""
        out: dict[str, float] = {}
        for name, var in zip(self.instance.names, self.variables, strict=True):
            value = values.get(var) if values is not None else var.value
            out[name] = math.nan if value is None else float(value)
        return out


def to_pyomo_expr(value: Value, variables: Sequence[Any]) -> Any:
    """Translate flat algebra into a Pyomo expression over `variables` (indexed by flat id)."""
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, Poly):
        return _poly(value, variables)
    args = [to_pyomo_expr(a, variables) for a in value.args]
    match value.op:
        case "+":
            return pyo.quicksum(args)
        case "*":
            out = args[0]
            for a in args[1:]:
                out = out * a
            return out
        case "/":
            return args[0] / args[1]
        case "**":
            return pyomo_power(args[0], args[1])
        case "neg":
            return -args[0]
        case "abs":
            return pyomo_abs(args[0])
        case "min" | "max":
            return pyomo_minmax(value.op, args)
    func = _UNARY.get(value.op)
    if func is None:
        raise UnsupportedExpressionError(f"{value.op}() of a decision-variable expression is not supported "
                                         "by the Pyomo/SCIP route")
    return func(args[0])


def pyomo_power(base: Any, expo: Any) -> Any:
    """base**expo; a variable exponent becomes exp(expo * log(base)) (so base must be positive)."""
    if isinstance(expo, float | int):
        return base**expo
    if isinstance(base, float | int):
        if base <= 0:
            raise UnsupportedExpressionError(f"{base}**(expression) needs a positive base")
        return pyo.exp(expo * math.log(base))
    return pyo.exp(expo * pyo.log(base))


def pyomo_abs(arg: Any) -> Any:
    """|arg| as a plain unary 'abs' node (Pyomo's AbsExpression is not understood by scip_direct)."""
    if isinstance(arg, float | int):
        return abs(arg)
    return UnaryFunctionExpression((arg,), "abs", abs)


def pyomo_minmax(op: str, args: Sequence[Any]) -> Any:
    """min/max folded pairwise with the exact identities min(a,b) = (a+b-|a-b|)/2, max = (a+b+|a-b|)/2."""
    consts = [a for a in args if isinstance(a, float | int)]
    rest = [a for a in args if not isinstance(a, float | int)]
    pick = min if op == "min" else max
    items = ([float(pick(consts))] if consts else []) + rest
    out = items[0]
    sign = -1.0 if op == "min" else 1.0
    for item in items[1:]:
        out = (out + item + sign * pyomo_abs(out - item)) / 2
    return out


def _poly(poly: Poly, variables: Sequence[Any]) -> Any:
    terms: list[Any] = []
    for mono, coef in poly.items():
        if coef == 0.0:
            continue
        if not mono:
            terms.append(float(coef))
            continue
        term: Any = float(coef)
        counts: dict[int, int] = {}
        for i in mono:
            counts[i] = counts.get(i, 0) + 1
        for i, power in counts.items():
            term = term * (variables[i] if power == 1 else variables[i] ** power)
        terms.append(term)
    if not terms:
        return 0.0
    return pyo.quicksum(terms)


def _constraint_expr(row: Row, variables: Sequence[Any]) -> Any:
    body = to_pyomo_expr(row.body, variables)
    if row.lo == row.hi:
        return body == row.lo
    if math.isfinite(row.lo) and math.isfinite(row.hi):
        return pyo.inequality(row.lo, body, row.hi)
    if math.isfinite(row.hi):
        return body <= row.hi
    if math.isfinite(row.lo):
        return body >= row.lo
    return pyo.Constraint.Skip


def _free_name(model: pyo.ConcreteModel, wanted: str) -> str:
    name = wanted
    while hasattr(model, name) or model.component(name) is not None:
        name += "_"
    return name


def _index_of(key: tuple[Any, ...]) -> Any:
    return key[0] if len(key) == 1 else key


_DOMAINS = {"continuous": pyo.Reals, "integer": pyo.Integers, "binary": pyo.Binary}


def build_pyomo(instance: Instance, rows: Sequence[int] | None = None,
                with_objective: bool = True) -> tuple[pyo.ConcreteModel, PyomoHandles]:
    """Build a ConcreteModel from the instance (optionally only some rows); return it and its handles."""
    model = pyo.ConcreteModel(name=instance.formulation.name or "model")
    flat: list[Any] = [None] * instance.n_vars
    handles = PyomoHandles(instance, flat, [], None)
    for fam in instance.families.values():
        cname = _free_name(model, fam.name)
        handles.var_components[fam.name] = cname
        domain = _DOMAINS.get(fam.domain, pyo.Reals)
        if not fam.keys or fam.keys == [()]:
            comp = pyo.Var(domain=domain)
            model.add_component(cname, comp)
            datas = [comp] if fam.keys else []
        else:
            comp = pyo.Var([_index_of(k) for k in fam.keys], domain=domain, dense=True)
            model.add_component(cname, comp)
            datas = [comp[_index_of(k)] for k in fam.keys]
        for pos, data in enumerate(datas):
            i = fam.first + pos
            lo, hi = float(instance.lb[i]), float(instance.ub[i])
            data.setlb(lo if math.isfinite(lo) else None)
            data.setub(hi if math.isfinite(hi) else None)
            flat[i] = data
            handles._var_ids[data] = i
    chosen = range(len(instance.rows)) if rows is None else rows
    by_family: dict[str, list[int]] = {}
    for r in chosen:
        by_family.setdefault(instance.rows[r].family, []).append(r)
    handles.rows = [None] * len(instance.rows)
    for family, members in by_family.items():
        cname = _free_name(model, family)
        handles.con_components[family] = cname
        keys = [instance.rows[r].key for r in members]
        if keys == [()]:
            expr = _constraint_expr(instance.rows[members[0]], flat)
            con = pyo.Constraint(expr=expr)
            model.add_component(cname, con)
            datas = [None if expr is pyo.Constraint.Skip else con]
        else:
            index = [_index_of(k) for k in keys]
            if len(set(index)) != len(index):  # cannot happen for well-formed domains; keep rows apart
                index = list(range(len(keys)))
            exprs = {ix: _constraint_expr(instance.rows[r], flat) for ix, r in zip(index, members, strict=True)}
            con = pyo.Constraint(index, rule=lambda _m, *ix, _e=exprs: _e[ix[0] if len(ix) == 1 else ix])
            model.add_component(cname, con)
            datas = [con[ix] if ix in con else None for ix in index]  # noqa: SIM401 - no .get on Pyomo components
        for r, data in zip(members, datas, strict=True):
            if data is not None:
                handles.rows[r] = data
                handles._row_ids[data] = r
    obj_expr = to_pyomo_expr(instance.objective, flat) if with_objective else 0.0
    sense = pyo.maximize if instance.sense == "maximize" and with_objective else pyo.minimize
    oname = _free_name(model, instance.formulation.objective.name or "objective")
    handles.objective = pyo.Objective(expr=obj_expr, sense=sense)
    model.add_component(oname, handles.objective)
    return model, handles
