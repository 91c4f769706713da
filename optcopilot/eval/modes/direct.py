"""Mode ``direct-code``: the peer baseline; the model writes a solver script, the sandbox runs it."""

from __future__ import annotations

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.direct_code import solve_with_code
from optcopilot.eval.grading import grade
from optcopilot.eval.keymap import Prediction
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord, LLMCalls, Tokens
from optcopilot.llm.base import LLMBackend, LLMError
from optcopilot.solve.result import Termination

_FAILURES = {"timeout": Category.TIMEOUT, "llm_error": Category.LLM_ERROR}


def evaluate(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None) -> EvalRecord:
    """Ask ``backend`` for a script, run it in the sandbox and grade what it printed."""
    if backend is None:
        raise LLMError("no LLM backend")
    rec = MODE.new_record(problem, cfg)
    out = solve_with_code(problem.text, backend, tables=problem.tables or None, time_limit=cfg.time_limit,
                          llm_timeout=cfg.llm_timeout)
    rec.attempts = [out.to_dict()]
    rec.code = out.code
    rec.error = out.error
    rec.tokens = Tokens(out.prompt_tokens, out.completion_tokens)
    rec.llm_calls = LLMCalls(1, int(out.cached))
    parsed = out.parsed
    if out.error_kind in ("script_error", "no_code"):
        rec.status = Termination.ERROR
    elif out.error_kind == "timeout":
        rec.status = Termination.TIME_LIMIT_NO_SOLUTION
    else:
        rec.status = parsed.status
    rec.objective = parsed.objective
    rec.values = parsed.values
    prediction = Prediction(parsed.objective, parsed.values) if out.run is not None else None
    grade(rec, problem, prediction, MODE.rule_for(cfg), _FAILURES.get(out.error_kind))
    return rec


MODE = EvalMode("direct-code", "the peer baseline: the LLM writes a Pyomo/PySCIPOpt script, run sandboxed",
                evaluate)
