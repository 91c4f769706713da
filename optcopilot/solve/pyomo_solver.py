"""Any solver Pyomo can drive (gurobi, cplex, knitro, ipopt, ...), selected as `pyomo:NAME`.

Names registered with Pyomo's contrib (v2) solver factory are used through it; others through the
legacy `pyomo.environ.SolverFactory`. A few common names get a better-suited contrib interface
(`gurobi` -> `gurobi_direct_minlp`, which accepts nonlinear models). `available()` is False when
the solver (or its license) is missing, and solving then returns an ERROR result saying so.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, ClassVar

from optcopilot.compile.capabilities import PYOMO, SolverFeature
from optcopilot.compile.instance import Instance, ProblemClass
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.pyomo_status import contrib_termination
from optcopilot.solve.readback import fill_unused, limit_status, objective_at, one_line
from optcopilot.solve.result import Result, Termination

_CONTRIB_ALIASES = {"gurobi": "gurobi_direct_minlp", "knitro": "knitro_direct", "scip": "scip_direct"}
# option holding a time limit in seconds, for legacy interfaces that ignore `timelimit=`
_LEGACY_TIME_OPTION = {
    "gurobi": "TimeLimit", "gurobi_direct": "TimeLimit", "gurobi_persistent": "TimeLimit",
    "cplex": "timelimit", "cplex_direct": "timelimit", "cplex_persistent": "timelimit",
    "xpress": "maxtime", "xpress_direct": "maxtime", "xpress_persistent": "maxtime",
    "cbc": "seconds", "glpk": "tmlim", "ipopt": "max_cpu_time", "mosek": "dparam.optimizer_max_time",
}


class PyomoSolver(Solver):
    """A solver reached through Pyomo's SolverFactory (contrib v2 first, then legacy)."""

    name: ClassVar[str] = "pyomo"
    features: ClassVar[frozenset[SolverFeature]] = PYOMO.features  # the solver behind it may accept less

    def __init__(self, solver_name: str) -> None:
        self.solver_name = solver_name.strip()
        self.label = f"pyomo:{self.solver_name}"
        self._opt: Any = None
        self._kind = ""

    def _interface(self) -> tuple[str, Any]:
        if self._opt is None:
            from pyomo.contrib.solver.common.factory import SolverFactory as ContribFactory

            contrib_name = _CONTRIB_ALIASES.get(self.solver_name, self.solver_name)
            if contrib_name in set(ContribFactory):
                self._kind, self._opt = "contrib", ContribFactory(contrib_name)
            else:
                import pyomo.environ as pyo

                with _quiet_pyomo():
                    self._kind, self._opt = "legacy", pyo.SolverFactory(self.solver_name)
        return self._kind, self._opt

    def available(self) -> bool:  # type: ignore[override]
        """True when Pyomo can find the solver (installed, licensed)."""
        try:
            kind, opt = self._interface()
            with _quiet_pyomo():
                if kind == "contrib":
                    return bool(opt.available())
                return bool(opt.available(exception_flag=False))
        except Exception:
            return False

    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        """Options: tee (bool); everything else is passed to the solver as its own options."""
        start = time.perf_counter()
        pclass = instance.problem_class().value
        if not self.available():
            return Result(Termination.ERROR, solver=self.label, problem_class=pclass,
                          message=f"solver {self.solver_name!r} is not available through Pyomo here (unknown name, "
                                  "or not installed/licensed: install it, e.g. gurobipy, and retry)")
        try:
            result = self._solve(instance, float(time_limit), options)
        except Exception as exc:
            result = Result(Termination.ERROR, message=f"{self.label}: {one_line(exc)}")
        result.solver = self.label
        result.problem_class = pclass
        result.seconds = time.perf_counter() - start
        return result

    def _solve(self, instance: Instance, time_limit: float, options: dict[str, Any]) -> Result:
        from optcopilot.compile.to_pyomo import build_pyomo

        tee = bool(options.pop("tee", False))
        model, handles = build_pyomo(instance)
        kind, opt = self._interface()
        if kind == "contrib":
            if "scip" in self.solver_name:
                from optcopilot.solve.scip import release_gil_in_pyomo_scip

                release_gil_in_pyomo_scip()  # else a loud solve can hang inside Pyomo's output capture
            return _solve_contrib(opt, model, handles, instance, time_limit, tee, options)
        return _solve_legacy(opt, self.solver_name, model, handles, instance, time_limit, tee, options)


def _solve_contrib(opt: Any, model: Any, handles: Any, instance: Instance, time_limit: float, tee: bool,
                   options: dict[str, Any]) -> Result:
    results = opt.solve(model, time_limit=time_limit, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                        tee=tee, solver_options=options)
    tc = results.termination_condition
    loader = results.solution_loader
    has_solution = str(results.solution_status.name) in ("optimal", "feasible")
    status = contrib_termination(tc, has_solution)
    result = Result(status, message=f"{tc.name}", log=str(getattr(results, "solver_log", "") or ""))
    if status.has_solution and has_solution:
        values = loader.get_vars()
        x = fill_unused(instance, [values.get(v) for v in handles.variables])
        result.variables = instance.values_by_name(x)
        result.objective = objective_at(instance, x, results.incumbent_objective)
        bound = results.objective_bound
        result.bound = float(bound) if bound is not None and math.isfinite(bound) else None
        if instance.problem_class() == ProblemClass.LP:
            try:
                duals = loader.get_duals()
                result.duals = {handles.row_label(c): float(d) for c, d in duals.items()}
            except Exception:  # not every interface reports duals
                pass
    return result


def _solve_legacy(opt: Any, name: str, model: Any, handles: Any, instance: Instance, time_limit: float,
                  tee: bool, options: dict[str, Any]) -> Result:
    from pyomo.opt import SolutionStatus, TerminationCondition

    solver_options = dict(options)
    if name in _LEGACY_TIME_OPTION:
        solver_options.setdefault(_LEGACY_TIME_OPTION[name], time_limit)
    kwargs: dict[str, Any] = {"load_solutions": False, "tee": tee, "options": solver_options}
    try:
        results = opt.solve(model, timelimit=time_limit, **kwargs)
    except TypeError:  # interfaces without a `timelimit` keyword
        results = opt.solve(model, **kwargs)
    tc = results.solver.termination_condition
    mapping = {TerminationCondition.optimal: Termination.OPTIMAL, TerminationCondition.globallyOptimal:
               Termination.OPTIMAL, TerminationCondition.locallyOptimal: Termination.OPTIMAL,
               TerminationCondition.infeasible: Termination.INFEASIBLE,
               TerminationCondition.unbounded: Termination.UNBOUNDED,
               TerminationCondition.infeasibleOrUnbounded: Termination.INFEASIBLE_OR_UNBOUNDED}
    limits = (TerminationCondition.maxTimeLimit, TerminationCondition.maxIterations,
              TerminationCondition.maxEvaluations, TerminationCondition.userInterrupt,
              TerminationCondition.minFunctionValue, TerminationCondition.minStepLength)
    has_solution = len(results.solution) > 0 and results.solution(0).status in (
        SolutionStatus.optimal, SolutionStatus.feasible, SolutionStatus.globallyOptimal,
        SolutionStatus.locallyOptimal, SolutionStatus.bestSoFar)
    if tc in mapping:
        status = mapping[tc]
    elif tc in limits:
        status = limit_status(has_solution)
    else:
        status = Termination.ERROR
    result = Result(status, message=str(tc))
    if status.has_solution and len(results.solution) > 0:
        model.solutions.load_from(results)
        x = fill_unused(instance, [v.value for v in handles.variables])
        result.variables = instance.values_by_name(x)
        result.objective = objective_at(instance, x, None)
    return result


class _quiet_pyomo:
    """Silence Pyomo's warnings (e.g. 'failed to create solver') while probing solvers."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("pyomo")
        self._level = self._logger.level
        self._logger.setLevel(logging.CRITICAL)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)
