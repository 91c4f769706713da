"""One problem evaluated into one record, exactly as every executor runs it (local runner, pool workers, Ray)."""

from __future__ import annotations

import time
import traceback

from pydantic import ValidationError

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.grading import grade
from optcopilot.eval.modes import mode_for
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.ir.errors import FormulationError
from optcopilot.llm.base import LLMBackend, LLMError, LLMTimeout
from optcopilot.solve.result import Termination


def _exception_category(exc: BaseException) -> Category:
    if isinstance(exc, LLMTimeout | TimeoutError):
        return Category.TIMEOUT
    if isinstance(exc, LLMError):
        return Category.LLM_ERROR
    if isinstance(exc, FormulationError | ValidationError):
        return Category.INVALID_IR
    return Category.ERROR


def evaluate_problem(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None = None) -> EvalRecord:
    """Evaluate one problem into a record; exceptions become records (category ``error``/``llm_error``/...)."""
    mode = mode_for(cfg.dataset, cfg.mode)
    start = time.perf_counter()
    try:
        rec = mode.evaluate(problem, cfg, backend)
    except Exception as exc:  # one problem must never kill the run
        rec = mode.new_record(problem, cfg)
        rec.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        rec.traceback = traceback.format_exc(limit=8)[-4000:]
        rec.status = Termination.ERROR
        failure = _exception_category(exc)
        try:
            grade(rec, problem, None, mode.rule_for(cfg), failure)
        except Exception:
            rec.category = failure
    rec.seconds = round(time.perf_counter() - start, 3)
    return rec
