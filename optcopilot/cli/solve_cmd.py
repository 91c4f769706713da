"""`optcopilot solve FILE`: model files (IR JSON, MPS, LP) directly; text files through the LLM."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from optcopilot.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    NO_CACHE_HELP,
    UsageError,
    is_model_file,
    load_model_file,
)
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Result

EMIT_CHOICES = ("pyomo", "ortools", "ir")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve a problem text, an IR JSON, or an MPS/LP file")
    p.add_argument("file", help="problem .txt, IR .json, or .mps/.mps.gz/.lp")
    p.add_argument("--solver", default="auto", help="auto | highs | scip | cpsat | mathopt | pyomo:NAME")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--emit", action="append", choices=EMIT_CHOICES, default=[],
                   help="also write a standalone script or the IR (repeatable)")
    p.add_argument("--out", default=".", help="directory for --emit files (default .)")
    p.add_argument("--data", action="append", default=[], help="CSV table for a text problem (repeatable)")
    p.add_argument("--llm", default=None, help="local | local:/path.gguf | openai:MODEL | hf:/path")
    p.add_argument("--samples", type=int, default=1, help="formulations to sample and vote over")
    p.add_argument("--max-repairs", type=int, default=2, help="repair rounds after an error")
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p.add_argument("--llm-timeout", type=float, default=None,
                   help="seconds per LLM call (default: env OPTCOPILOT_LLM_TIMEOUT or 300)")
    p.add_argument("--surface", choices=("dsl", "json"), default=None,
                   help="what the LLM writes: the restricted DSL (default) or the JSON IR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")
    path = Path(args.file)
    if not is_model_file(path):
        from optcopilot.cli.formulate_cmd import solve_text

        return solve_text(args)
    formulation = load_model_file(path)
    from optcopilot.solve.api import UnknownSolverError, solve

    try:
        result = solve(formulation, solver=args.solver, time_limit=args.time_limit)
    except UnknownSolverError as exc:
        raise UsageError(str(exc)) from None
    emitted = emit_files(formulation, args.emit, Path(args.out), stem=_stem(path))
    if args.json:
        print(json.dumps(result_json(result, emitted)))
    else:
        print_human(formulation, result, emitted)
    return exit_code(result)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".mps", ".lp", ".json", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "model"


def exit_code(result: Result) -> int:
    return EXIT_OK if result.status.definitive else EXIT_FAIL


def result_json(result: Result, emitted: dict[str, str] | None = None) -> dict[str, Any]:
    out = result.to_dict()
    keep = ("status", "objective", "variables", "solver", "seconds", "problem_class", "bound", "message",
            "duals", "reduced_costs", "iis")
    data = {k: out[k] for k in keep if out.get(k) is not None}
    data["time"] = out["seconds"]
    if emitted:
        data["emitted"] = emitted
    return data


def emit_files(formulation: Formulation, kinds: list[str], out_dir: Path, stem: str) -> dict[str, str]:
    """Write the requested scripts / IR; return kind -> path. Unsupported targets raise UsageError."""
    if not kinds:
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    for kind in dict.fromkeys(kinds):
        if kind == "ir":
            target = out_dir / f"{stem}.ir.json"
            target.write_text(formulation.to_json(), encoding="utf-8")
        elif kind == "pyomo":
            from optcopilot.compile.codegen_pyomo import emit_pyomo

            target = out_dir / f"{stem}_pyomo.py"
            target.write_text(emit_pyomo(formulation), encoding="utf-8")
        else:
            from optcopilot.compile.codegen_ortools import emit_ortools

            target = out_dir / f"{stem}_ortools.py"
            try:
                target.write_text(emit_ortools(formulation), encoding="utf-8")
            except ValueError as exc:
                raise UsageError(f"cannot emit an OR-Tools script: {exc}") from None
        written[kind] = str(target)
    return written


def print_human(formulation: Formulation | None, result: Result, emitted: dict[str, str] | None = None,
                max_rows: int = 25) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=sys.stdout)
    console.print(f"[bold]Status[/bold]: {result.status.value}   [bold]Objective[/bold]: "
                  f"{'—' if result.objective is None else f'{result.objective:.10g}'}   "
                  f"[bold]Solver[/bold]: {result.solver} ({result.problem_class})   {result.seconds:.2f}s")
    if result.message and not result.status.has_solution:
        console.print(f"  {escape(result.message)}")
    if result.variables:
        nonzero = sorted(result.variables.items(), key=lambda kv: (abs(kv[1]) < 1e-9,))
        table = Table("variable", "value", title=f"Solution: {len(result.variables)} variables")
        for name, value in nonzero[:max_rows]:
            table.add_row(escape(name), f"{value:.10g}")
        if len(nonzero) > max_rows:
            table.add_row("…", f"{len(nonzero) - max_rows} more (use --json)")
        console.print(table)
    if result.iis:
        console.print("[bold red]Irreducible infeasible subset[/bold red]: " + escape(", ".join(result.iis[:30])))
    for kind, path in (emitted or {}).items():
        console.print(f"wrote {kind}: {escape(path)}")
