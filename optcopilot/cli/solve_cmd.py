"""`optcopilot solve FILE`: model files (IR JSON, MPS, LP) directly; text files through the LLM."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from optcopilot.cli.common import (
    EXIT_FAIL,
    NO_CACHE_HELP,
    UsageError,
    is_model_file,
    load_model_file,
)
from optcopilot.cli.formulate_cmd import add_techniques_option, exit_after_local_timeout, run_pipeline
from optcopilot.cli.guards import check_solver_name, positive_seconds, write_after_answer
from optcopilot.cli.output import (
    EMIT_CHOICES,
    emit_files,
    exit_code,
    print_attempts,
    print_formulation,
    print_human,
    result_json,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("solve", help="solve a problem text, an IR JSON, or an MPS/LP file")
    p.add_argument("file", help="problem .txt, IR .json, or .mps/.mps.gz/.lp")
    p.add_argument("--solver", default="auto", help="auto | highs | scip | cpsat | mathopt | pyomo:NAME")
    p.add_argument("--time-limit", type=positive_seconds, default=60.0,
                   help="seconds for reading, building, solving and checking together (default 60)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--emit", action="append", choices=EMIT_CHOICES, default=[],
                   help="also write a standalone script or the IR (repeatable)")
    p.add_argument("--out", default=".", help="directory for --emit files (default .)")
    p.add_argument("--data", action="append", default=[], help="CSV table for a text problem (repeatable)")
    p.add_argument("--llm", default=None, help="local | local:/path.gguf | openai:MODEL | hf:/path")
    p.add_argument("--samples", type=int, default=1, help="formulations to sample and vote over")
    p.add_argument("--max-repairs", type=int, default=2, help="repair rounds after an error")
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p.add_argument("--llm-timeout", type=positive_seconds, default=None,
                   help="seconds per LLM call (default: env OPTCOPILOT_LLM_TIMEOUT or 300)")
    p.add_argument("--surface", choices=("dsl", "json"), default=None,
                   help="what the LLM writes: the restricted DSL (default) or the JSON IR")
    add_techniques_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not is_model_file(path):
        return solve_text(args)
    check_solver_name(args.solver)
    from optcopilot.ir import budget
    from optcopilot.solve.api import UnknownSolverError, solve

    with budget.within(args.time_limit):  # from the first byte read: reading and building count too
        formulation = load_model_file(path)
        try:
            result = solve(formulation, solver=args.solver, time_limit=args.time_limit)
        except UnknownSolverError as exc:
            raise UsageError(str(exc)) from None
    emitted, write_error = write_after_answer(lambda: emit_files(formulation, args.emit, Path(args.out),
                                                                 stem=_stem(path)))
    if args.json:
        print(json.dumps(result_json(result, emitted)))
    else:
        print_human(formulation, result, emitted)
    return write_error or exit_code(result)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".mps", ".lp", ".json", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "model"


def solve_text(args: argparse.Namespace) -> int:
    """`solve PROBLEM.txt`: formulate with the LLM, solve, print the model and the answer."""
    check_solver_name(getattr(args, "solver", "auto"))
    from optcopilot.ir import budget

    with budget.build_time(args.time_limit):  # grounding each answer gets the time limit too
        outcome = run_pipeline(args, solve=True)
    result, formulation = outcome.result, outcome.formulation
    solved = result is not None and result.status.has_solution and result.objective is not None
    emitted: dict[str, str] = {}
    write_error = 0
    if formulation is not None and solved and getattr(args, "emit", None):
        emitted, write_error = write_after_answer(lambda: emit_files(
            formulation, args.emit, Path(getattr(args, "out", ".") or "."), stem=Path(args.file).stem))
    if getattr(args, "json", False):
        data: dict[str, Any] = result_json(result, emitted) if result is not None else {"status": "error"}
        data.update({"formulation": json.loads(formulation.to_json()) if formulation else None,
                     "attempts": outcome.to_dict()["attempts"], "confidence": outcome.confidence,
                     "llm": outcome.llm, "error": outcome.error if not solved else None})
        print(json.dumps(data))
    else:
        if formulation is not None:
            print_formulation(formulation)
        if result is not None:
            print_human(formulation, result, emitted)
        print_attempts(outcome)
    if not solved:
        reason = outcome.error or (f"no optimal solution (status {result.status.value})" if result else "no answer")
        print(f"error: {reason}", file=sys.stderr)
        exit_after_local_timeout(outcome)
        return EXIT_FAIL
    return write_error or exit_code(result)  # type: ignore[arg-type]  # solved: result is set
