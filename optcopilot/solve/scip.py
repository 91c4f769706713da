"""SCIP: LP, MILP, QP, NLP and MINLP (global), through Pyomo's `scip_direct` or pyscipopt directly.

The default route builds a Pyomo model (`compile.to_pyomo`) and solves it with Pyomo's contrib
`scip_direct` interface. If that fails for a reason other than the model itself (an expression
Pyomo cannot hand to SCIP, an interface error), the instance is built directly in pyscipopt from
the flat algebra. Choose one with `backend="pyomo"` / `backend="pyscipopt"`. Infeasible models get
an IIS of constraint names from a deletion filter (`solve.iis`); an infeasible-or-unbounded answer
is settled with one feasibility solve.
"""

from __future__ import annotations

import importlib.util
import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from optcopilot.compile.algebra import Poly, Value, evaluate
from optcopilot.compile.instance import Instance
from optcopilot.compile.to_pyomo import UnsupportedExpressionError
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver, SolverFeature
from optcopilot.solve.result import Result, Termination

_LIMIT_STATUSES = frozenset({"timelimit", "nodelimit", "totalnodelimit", "stallnodelimit", "memlimit",
                             "sollimit", "bestsollimit", "restartlimit", "userinterrupt", "primallimit",
                             "duallimit", "terminate"})
_SCIP_STATUS = {
    "optimal": Termination.OPTIMAL, "gaplimit": Termination.OPTIMAL, "infeasible": Termination.INFEASIBLE,
    "unbounded": Termination.UNBOUNDED, "inforunbd": Termination.INFEASIBLE_OR_UNBOUNDED,
}


@dataclass
class _Outcome:
    """What one SCIP run produced, before it becomes a Result."""

    status: Termination
    message: str
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    log: str = ""
    notes: list[str] = field(default_factory=list)


class ScipSolver(Solver):
    """SCIP through Pyomo `scip_direct`, falling back to a direct pyscipopt build."""

    name: ClassVar[str] = "scip"
    features: ClassVar[frozenset[SolverFeature]] = frozenset({
        SolverFeature.CONTINUOUS, SolverFeature.INTEGER, SolverFeature.QUADRATIC_OBJECTIVE,
        SolverFeature.QUADRATIC_CONSTRAINTS, SolverFeature.NONLINEAR, SolverFeature.IIS,
    })

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("pyscipopt") is not None

    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        """Options: backend (auto|pyomo|pyscipopt), iis (bool), iis_time_limit (s, default 30), tee, seed,
        mip_rel_gap (default 0), and any SCIP parameter by its name (e.g. "numerics/feastol")."""
        start = time.perf_counter()
        deadline = start + float(time_limit)
        pclass = instance.problem_class().value
        backend = str(options.pop("backend", "auto"))
        want_iis = bool(options.pop("iis", True))
        iis_limit = float(options.pop("iis_time_limit", 30.0))
        tee = bool(options.pop("tee", False))
        params: dict[str, Any] = {"limits/gap": float(options.pop("mip_rel_gap", 0.0)),
                                  "randomization/randomseedshift": int(options.pop("seed", 0))}
        params.update(options)
        try:
            outcome = self._run(instance, backend, deadline, params, tee)
            if outcome.status == Termination.INFEASIBLE_OR_UNBOUNDED:
                _settle_inf_or_unbd(instance, outcome, deadline)
        except Exception as exc:  # solver failures never escape as exceptions
            return Result(Termination.ERROR, solver=self.name, message=one_line(exc), problem_class=pclass,
                          seconds=time.perf_counter() - start)
        result = Result(outcome.status, solver=self.name, log=outcome.log, problem_class=pclass,
                        message="; ".join([outcome.message, *outcome.notes]))
        if outcome.status.has_solution and outcome.x is not None:
            result.variables = instance.values_by_name(outcome.x)
            result.objective = objective_at(instance, outcome.x, outcome.objective)
            result.bound = outcome.bound
        if outcome.status == Termination.INFEASIBLE and want_iis:
            from optcopilot.solve.iis import deletion_filter

            try:
                result.iis = deletion_filter(instance, time_limit=min(iis_limit, _remaining(deadline)))
            except Exception as exc:  # an IIS is a bonus; never lose the answer over it
                result.message += f"; no IIS ({one_line(exc)})"
        result.seconds = time.perf_counter() - start
        return result

    def _run(self, instance: Instance, backend: str, deadline: float, params: dict[str, Any],
             tee: bool) -> _Outcome:
        if backend not in ("auto", "pyomo", "pyscipopt"):
            raise ValueError(f"unknown SCIP backend {backend!r} (auto, pyomo, pyscipopt)")
        if backend in ("auto", "pyomo"):
            try:
                return _solve_pyomo(instance, deadline, params, tee)
            except Exception as exc:
                if backend == "pyomo":
                    raise
                first = one_line(exc)
            try:
                outcome = _solve_direct(instance, deadline, params, tee)
            except Exception as exc:
                raise RuntimeError(f"Pyomo route: {first}; pyscipopt route: {one_line(exc)}") from exc
            outcome.notes.append(f"built directly in pyscipopt (Pyomo route failed: {first})")
            return outcome
        return _solve_direct(instance, deadline, params, tee)


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, for Result.message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")[:300]


def objective_at(instance: Instance, x: np.ndarray, fallback: float | None) -> float | None:
    """The objective evaluated at x (exact for the returned point); the solver's value if that fails."""
    try:
        value = evaluate(instance.objective, list(x))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return fallback
    return value if math.isfinite(value) else fallback


def fill_unused(instance: Instance, values: Sequence[float | None]) -> np.ndarray:
    """Values as an array; variables the solver never saw (None) get 0 moved into their bounds."""
    x = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    missing = np.isnan(x)
    if missing.any():
        x[missing] = np.clip(0.0, instance.lb[missing], instance.ub[missing])
    return x


def _clean_integers(instance: Instance, x: np.ndarray) -> np.ndarray:
    near = np.abs(x - np.round(x)) <= 1e-6
    return np.where(instance.integer & near, np.round(x), x)


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.perf_counter())


def _limit_status(has_solution: bool) -> Termination:
    return Termination.TIME_LIMIT_FEASIBLE if has_solution else Termination.TIME_LIMIT_NO_SOLUTION


# ---- Pyomo route -------------------------------------------------------------------------------

def _solve_pyomo(instance: Instance, deadline: float, params: dict[str, Any], tee: bool) -> _Outcome:
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    from optcopilot.compile.to_pyomo import build_pyomo

    model, handles = build_pyomo(instance)
    opt = SolverFactory("scip_direct")
    if not opt.available():
        raise RuntimeError(f"Pyomo scip_direct is not available ({opt.available()})")
    results = opt.solve(model, time_limit=_remaining(deadline), load_solutions=False,
                        raise_exception_on_nonoptimal_result=False, tee=tee, solver_options=dict(params))
    loader = results.solution_loader
    n_sols = loader.get_number_of_solutions()
    tc = results.termination_condition
    mapping = {TC.convergenceCriteriaSatisfied: Termination.OPTIMAL, TC.provenInfeasible: Termination.INFEASIBLE,
               TC.locallyInfeasible: Termination.INFEASIBLE, TC.unbounded: Termination.UNBOUNDED,
               TC.infeasibleOrUnbounded: Termination.INFEASIBLE_OR_UNBOUNDED}
    limits = {TC.maxTimeLimit, TC.iterationLimit, TC.objectiveLimit, TC.interrupted, TC.minStepLength}
    if tc in mapping:
        status = mapping[tc]
    elif tc in limits or (tc == TC.unknown and n_sols):
        status = _limit_status(n_sols > 0)
    else:
        status = Termination.ERROR
    if status == Termination.OPTIMAL and not n_sols:
        status = Termination.ERROR
    outcome = _Outcome(status, f"SCIP (Pyomo scip_direct): {tc.name}", log=results.solver_log or "")
    if n_sols and status.has_solution:
        values = loader.get_vars()
        x = fill_unused(instance, [values.get(v) for v in handles.variables])
        outcome.x = _clean_integers(instance, x)
        outcome.objective = results.incumbent_objective
        bound = results.objective_bound
        outcome.bound = float(bound) if bound is not None and math.isfinite(bound) else None
    return outcome


# ---- direct pyscipopt route --------------------------------------------------------------------

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
        sense = "maximize" if instance.sense == "maximize" else "minimize"
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
        return _limit_status(has_sol), word
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


def _solve_direct(instance: Instance, deadline: float, params: dict[str, Any], tee: bool) -> _Outcome:
    model, xs = build_scip(instance)
    if tee:
        model.hideOutput(False)
    log = optimize_quietly(model, _remaining(deadline), params)
    status, word = scip_status(model)
    outcome = _Outcome(status, f"SCIP (pyscipopt): {word}", log=log)
    if status.has_solution:
        sol = model.getBestSol()
        x = np.array([float(model.getSolVal(sol, v)) for v in xs])
        outcome.x = _clean_integers(instance, x)
        outcome.objective = float(model.getSolObjVal(sol))
        bound = float(model.getDualbound())
        outcome.bound = bound if abs(bound) < model.infinity() else None
    return outcome


def is_feasible_scip(instance: Instance, rows: Sequence[int], time_limit: float, lb: np.ndarray | None = None,
                     ub: np.ndarray | None = None) -> bool | None:
    """True/False when SCIP proves the rows (and bounds) feasible/infeasible; None if undecided."""
    model, _ = build_scip(instance, rows=rows, with_objective=False, lb=lb, ub=ub)
    model.setParam("limits/solutions", 1)
    optimize_quietly(model, time_limit)
    word = str(model.getStatus())
    if model.getNSols() > 0:
        return True
    if word in ("infeasible", "inforunbd"):  # a zero objective cannot be unbounded
        return False
    return None


def _settle_inf_or_unbd(instance: Instance, outcome: _Outcome, deadline: float) -> None:
    """Turn INFEASIBLE_OR_UNBOUNDED into one of the two with a feasibility solve (zero objective)."""
    feasible = is_feasible_scip(instance, range(len(instance.rows)), _remaining(deadline))
    if feasible is True:
        outcome.status = Termination.UNBOUNDED
        outcome.notes.append("feasible, hence unbounded")
    elif feasible is False:
        outcome.status = Termination.INFEASIBLE
        outcome.notes.append("feasibility solve proved infeasible")
