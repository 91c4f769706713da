"""Mode ``mps``: MIPLIB instances straight from their MPS files, no LLM (HiGHS at ``mip_rel_gap=0``)."""

from __future__ import annotations

from pathlib import Path

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.grading import grade
from optcopilot.eval.keymap import Prediction
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import EvalRecord
from optcopilot.eval.scoring import ObjectiveRule
from optcopilot.io.mps import read_model_file
from optcopilot.llm.base import LLMBackend
from optcopilot.solve.api import solve
from optcopilot.solve.result import Result, Termination

MIPLIB_RULE = ObjectiveRule(name="miplib-rel1e-6", abs_tol=1e-6, rel_tol=1e-6)
MPS_DATASETS = frozenset({"miplib-mps"})


def solve_mps(path: str | Path, time_limit: float) -> Result:
    """Solve an MPS file through the IR reader with HiGHS at mip_rel_gap=0."""
    return solve(read_model_file(path), solver="highs", time_limit=time_limit, mip_rel_gap=0.0)


def evaluate(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None = None) -> EvalRecord:
    """Solve the problem's MPS file and compare the objective with the ``.solu`` reference."""
    rec = MODE.new_record(problem, cfg)
    result = solve_mps(problem.extra["mps_path"], cfg.time_limit)
    rec.status = result.status
    rec.objective = result.objective
    rec.bound = result.bound
    rec.solver = result.solver
    rec.error = result.message if result.status == Termination.ERROR else None
    rec.attempts = [{"solver": result.solver, "message": result.message, "seconds": result.seconds}]
    prediction = Prediction(result.objective) if result.objective is not None else None
    grade(rec, problem, prediction, MODE.rule_for(cfg))
    return rec


MODE = EvalMode("mps", "MIPLIB MPS files solved with HiGHS (no LLM)", evaluate, uses_llm=False,
                datasets=MPS_DATASETS, forced=True, rule=MIPLIB_RULE, parallel="processes")
