"""pyscipopt models built from our flat algebra, SCIP's status words read as `Termination`, and a feasibility
check (used by the SCIP route and by the IIS deletion filter for nonlinear rows)."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from optcopilot.compile.algebra import Poly, Value, evaluate
from optcopilot.compile.instance import Instance
from optcopilot.compile.to_pyomo import UnsupportedExpressionError
from optcopilot.solve.readback import limit_status
from optcopilot.solve.result import Termination

_LIMIT_STATUSES = frozenset({"timelimit", "nodelimit", "totalnodelimit", "stallnodelimit", "memlimit",
                             "sollimit", "bestsollimit", "restartlimit", "userinterrupt", "primallimit",
                             "duallimit", "terminate"})
_SCIP_STATUS = {
    "optimal": Termination.OPTIMAL, "gaplimit": Termination.OPTIMAL, "infeasible": Termination.INFEASIBLE,
    "unbounded": Termination.UNBOUNDED, "inforunbd": Termination.INFEASIBLE_OR_UNBOUNDED,
}


def scip_expr(value: Value, xs: Sequence[Any]) -> Any:
    """Flat algebra -> pyscipopt expression over the SCIP variables `xs` (indexed by flat id)."""
    import pyscipopt as ps

    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, Poly):
        terms = []
        for mono, coef in value.items():
            if coef == 0.0:
                continue
            term: Any = float(coef)
            for i in mono:
                term = term * xs[i]
            terms.append(term)
        return ps.quicksum(terms) if terms else 0.0
    if all(isinstance(a, float | int) for a in value.args):
        return evaluate(value, [])
    args = [scip_expr(a, xs) for a in value.args]
    op = value.op
    if op == "+":
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if op == "*":
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if op == "/":
        return args[0] / args[1]
    if op == "neg":
        return -args[0]
    if op == "**":
        base, expo = args
        if isinstance(expo, float):
            return base**expo
        if isinstance(base, float):
            if base <= 0:
                raise UnsupportedExpressionError(f"{base}**(expression) needs a positive base")
            return ps.exp(expo * math.log(base))
        return ps.exp(expo * ps.log(base))
    if op == "abs":
        return abs(args[0])
    if op in ("min", "max"):
        consts = [a for a in args if isinstance(a, float)]
        items = ([(min if op == "min" else max)(consts)] if consts else []) + [a for a in args if
                                                                                not isinstance(a, float)]
        sign = -1.0 if op == "min" else 1.0
        out = items[0]
        for item in items[1:]:
            out = (out + item + sign * abs(out - item)) / 2
        return out
    funcs = {"exp": ps.exp, "log": ps.log, "sqrt": ps.sqrt, "sin": ps.sin, "cos": ps.cos}
    if op == "log10":
        return ps.log(args[0]) / math.log(10.0)
    if op in funcs:
        return funcs[op](args[0])
    raise UnsupportedExpressionError(f"{op}() of a decision-variable expression is not supported by SCIP")


def build_scip(instance: Instance, rows: Sequence[int] | None = None, with_objective: bool = True,
               lb: np.ndarray | None = None, ub: np.ndarray | None = None) -> tuple[Any, list[Any]]:
    """A pyscipopt Model of the instance (optionally some rows, other bounds, no objective)."""
    import pyscipopt as ps

    model = ps.Model(instance.formulation.name or "model")
    model.hideOutput(True)
    inf = model.infinity()
    lb = instance.lb if lb is None else lb
    ub = instance.ub if ub is None else ub
    xs = []
    for i, name in enumerate(instance.names):
        lo, hi = float(lb[i]), float(ub[i])
        vtype = "I" if instance.integer[i] else "C"
        xs.append(model.addVar(name=name, vtype=vtype, lb=lo if math.isfinite(lo) else -inf,
                               ub=hi if math.isfinite(hi) else inf))
    chosen = range(len(instance.rows)) if rows is None else rows
    for r in chosen:
        row = instance.rows[r]
        body = scip_expr(row.body, xs)
        if isinstance(body, float):
            continue
        if row.lo == row.hi:
            cons = body == row.lo
        elif math.isfinite(row.lo) and math.isfinite(row.hi):
            cons = row.lo <= (body <= row.hi)
        elif math.isfinite(row.hi):
            cons = body <= row.hi
        elif math.isfinite(row.lo):
            cons = body >= row.lo
        else:
            continue
        model.addCons(cons, name=row.label)
    if with_objective:
        sense: Literal["minimize", "maximize"] = "maximize" if instance.sense == "maximize" else "minimize"
        obj = instance.objective
        expr = scip_expr(obj, xs)
        if isinstance(obj, float | int) or (isinstance(obj, Poly) and obj.degree() <= 1):
            model.setObjective(ps.Expr() + expr, sense)
        else:  # SCIP objectives are linear: minimise t with t >= f (maximise t with t <= f)
            t = model.addVar(name="objective_value", lb=-inf, ub=inf)
            model.addCons(t >= expr if sense == "minimize" else t <= expr, name="objective_epigraph")
            model.setObjective(t, sense)
    return model, xs


def scip_status(model: Any) -> tuple[Termination, str]:
    """Our termination for a solved pyscipopt model, and SCIP's own status word."""
    word = str(model.getStatus())
    has_sol = model.getNSols() > 0
    if word in _SCIP_STATUS:
        status = _SCIP_STATUS[word]
        if status == Termination.OPTIMAL and not has_sol:
            status = Termination.ERROR
        return status, word
    if word in _LIMIT_STATUSES:
        return limit_status(has_sol), word
    return Termination.ERROR, word


def optimize_quietly(model: Any, time_limit: float, params: dict[str, Any] | None = None) -> str:
    """Run SCIP with a time limit; return its log (written to a temporary file, never to stdout)."""
    model.setParam("limits/time", max(0.0, float(time_limit)))
    for key, value in (params or {}).items():
        model.setParam(key, value)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scip.log")
        model.setLogfile(path)
        try:
            model.optimize()
        finally:
            model.setLogfile(None)
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-20000:]
        except OSError:
            return ""


def is_feasible_scip(instance: Instance, rows: Sequence[int], time_limit: float, lb: np.ndarray | None = None,
                     ub: np.ndarray | None = None) -> bool | None:
    """True/False when SCIP proves the rows (and bounds) feasible/infeasible; None if undecided."""
    model, _ = build_scip(instance, rows=rows, with_objective=False, lb=lb, ub=ub)
    model.setParam("limits/solutions", 1)
    optimize_quietly(model, time_limit)
    if model.getNSols() > 0:
        return True
    if scip_status(model)[0].infeasible:  # a zero objective cannot be unbounded
        return False
    return None
