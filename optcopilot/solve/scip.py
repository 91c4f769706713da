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
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from optcopilot.compile.capabilities import REGISTRY, SolverFeature
from optcopilot.compile.instance import Instance
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.iis import deletion_filter
from optcopilot.solve.pyomo_status import contrib_termination
from optcopilot.solve.readback import clean_integers, fill_unused, objective_at, one_line
from optcopilot.solve.result import Result, Termination
from optcopilot.solve.scip_model import build_scip, is_feasible_scip, optimize_quietly, scip_status


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
    features: ClassVar[frozenset[SolverFeature]] = REGISTRY["scip"].features

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


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.perf_counter())


# ---- Pyomo route -------------------------------------------------------------------------------

class _ReleasingModel:
    """Builds pyscipopt models whose ``optimize`` releases the GIL (``optimizeNogil``).

    Pyomo's ``scip_direct`` runs ``optimize`` inside ``capture_output(capture_fd=True)``: fd 1 and 2 become pipes
    drained by Python threads. pyscipopt's ``optimize`` holds the GIL, so once SCIP (or SoPlex, e.g. its repeated
    "Cannot set feasibility tolerance ... without GMP" warning) has written a pipe's 64 KiB, the write blocks, the
    draining threads never run and the process hangs for good, past every time limit. Seen in an OptiBench eval.
    """

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    @property
    def Model(self) -> Any:
        return _releasing_model_class(self._module)


_RELEASING: dict[int, Any] = {}


def _releasing_model_class(module: Any) -> Any:
    if id(module) not in _RELEASING:
        class Model(module.Model):  # type: ignore[misc]
            def optimize(self) -> None:
                self.optimizeNogil()

        _RELEASING[id(module)] = Model
    return _RELEASING[id(module)]


def release_gil_in_pyomo_scip() -> None:
    """Make Pyomo's ``scip_direct`` build `_ReleasingModel` models (idempotent)."""
    from pyomo.contrib.solver.solvers.scip import scip_direct

    if not isinstance(scip_direct.scip, _ReleasingModel):
        import pyscipopt

        scip_direct.scip = _ReleasingModel(pyscipopt)


def _solve_pyomo(instance: Instance, deadline: float, params: dict[str, Any], tee: bool) -> _Outcome:
    from pyomo.contrib.solver.common.factory import SolverFactory

    from optcopilot.compile.to_pyomo import build_pyomo

    release_gil_in_pyomo_scip()
    model, handles = build_pyomo(instance)
    opt = SolverFactory("scip_direct")
    if not opt.available():
        raise RuntimeError(f"Pyomo scip_direct is not available ({opt.available()})")
    results = opt.solve(model, time_limit=_remaining(deadline), load_solutions=False,
                        raise_exception_on_nonoptimal_result=False, tee=tee, solver_options=dict(params))
    loader = results.solution_loader
    n_sols = loader.get_number_of_solutions()
    tc = results.termination_condition
    status = contrib_termination(tc, n_sols > 0)
    if status == Termination.OPTIMAL and not n_sols:
        status = Termination.ERROR
    outcome = _Outcome(status, f"SCIP (Pyomo scip_direct): {tc.name}", log=results.solver_log or "")
    if n_sols and status.has_solution:
        values = loader.get_vars()
        x = fill_unused(instance, [values.get(v) for v in handles.variables])
        outcome.x = clean_integers(instance, x)
        outcome.objective = results.incumbent_objective
        bound = results.objective_bound
        outcome.bound = float(bound) if bound is not None and math.isfinite(bound) else None
    return outcome


# ---- direct pyscipopt route --------------------------------------------------------------------

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
        outcome.x = clean_integers(instance, x)
        outcome.objective = float(model.getSolObjVal(sol))
        bound = float(model.getDualbound())
        outcome.bound = bound if abs(bound) < model.infinity() else None
    return outcome


def _settle_inf_or_unbd(instance: Instance, outcome: _Outcome, deadline: float) -> None:
    """Turn INFEASIBLE_OR_UNBOUNDED into one of the two with a feasibility solve (zero objective)."""
    feasible = is_feasible_scip(instance, range(len(instance.rows)), _remaining(deadline))
    if feasible is True:
        outcome.status = Termination.UNBOUNDED
        outcome.notes.append("feasible, hence unbounded")
    elif feasible is False:
        outcome.status = Termination.INFEASIBLE
        outcome.notes.append("feasibility solve proved infeasible")
