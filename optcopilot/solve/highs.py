"""HiGHS through highspy directly: LP, MILP and convex continuous QP, with duals and IIS."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, ClassVar

import highspy
import numpy as np

from optcopilot.compile.capabilities import REGISTRY, SolverFeature
from optcopilot.compile.instance import Instance
from optcopilot.compile.to_highs import NotLinearError, build_highs
from optcopilot.solve.base import DEFAULT_TIME_LIMIT, Solver
from optcopilot.solve.highs_status import highs_termination
from optcopilot.solve.iis import deletion_filter
from optcopilot.solve.result import Result, Termination

MIP_IIS_MAX_ROWS = 2000  # a deletion filter re-solves the MIP many times; skip it on big models


class HighsSolver(Solver):
    name: ClassVar[str] = "highs"
    features: ClassVar[frozenset[SolverFeature]] = REGISTRY["highs"].features

    def solve(self, instance: Instance, time_limit: float = DEFAULT_TIME_LIMIT, **options: Any) -> Result:
        start = time.perf_counter()
        cls = instance.problem_class().value
        try:
            h, sign = build_highs(instance)
        except NotLinearError as exc:
            return Result(Termination.ERROR, solver=self.name, message=f"HiGHS cannot solve this model: {exc}",
                          problem_class=cls, seconds=time.perf_counter() - start)
        return solve_loaded(h, instance, sign, time_limit, start, options, cls)


def solve_loaded(h: highspy.Highs, instance: Instance | None, sign: float, time_limit: float, start: float,
                 options: dict[str, Any], problem_class: str = "") -> Result:
    """Run a loaded Highs object and read its answer back into a Result."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "highs.log")
        h.setOptionValue("log_file", log_path)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(options.pop("mip_rel_gap", 0.0)))
        h.setOptionValue("random_seed", int(options.pop("seed", 0)))
        for key, value in options.items():
            h.setOptionValue(key, value)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible and "presolve" not in options:
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        log = _read(log_path)
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2
    term = highs_termination(status, has_primal)
    result = Result(term, solver="highs", seconds=time.perf_counter() - start, log=log,
                    message=h.modelStatusToString(status), problem_class=problem_class)
    lp = h.getLp()
    is_mip = bool(lp.integrality_) and any(v != highspy.HighsVarType.kContinuous for v in lp.integrality_)
    if term.has_solution and has_primal:
        sol = h.getSolution()
        result.objective = sign * info.objective_function_value
        if is_mip:
            result.bound = sign * info.mip_dual_bound
        if instance is not None:
            x = np.asarray(sol.col_value)
            result.variables = instance.values_by_name(x)
            if not is_mip and sol.dual_valid:
                result.duals = {row.label: sign * float(d) for row, d in zip(instance.rows, sol.row_dual, strict=True)}
                result.reduced_costs = {n: sign * float(d) for n, d in
                                        zip(instance.names, sol.col_dual, strict=True)}
    if term == Termination.INFEASIBLE and instance is not None:
        if not is_mip:
            result.iis = highs_iis(h, instance)
        elif len(instance.rows) <= MIP_IIS_MAX_ROWS:
            result.iis = deletion_filter(instance, time_limit=min(30.0, time_limit))
    return result


def highs_iis(h: highspy.Highs, instance: Instance) -> list[str] | None:
    """Constraint rows (and variable bounds, as `bound:x`) of an irreducible infeasible subset."""
    try:
        h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyIrreducible))
        status, iis = h.getIis()
    except Exception:  # pragma: no cover - older highspy without IIS
        return None
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return None
    rows = [instance.rows[i].label for i in iis.row_index_]
    bounds = [f"bound:{instance.names[j]}" for j in iis.col_index_]
    return rows + bounds


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()[-20000:]
    except OSError:
        return ""
