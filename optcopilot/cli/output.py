"""What the CLI prints and writes for a solved model: the result (human or JSON), the five elements, the
attempts, emitted scripts; and the exit code a result earns."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from optcopilot.cli.common import EXIT_FAIL, EXIT_OK, UsageError
from optcopilot.formulate.pipeline import Outcome
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Result

EMIT_CHOICES = ("pyomo", "ortools", "ir")


def exit_code(result: Result) -> int:
    """0 for a definitive answer (optimal, infeasible, unbounded), else 1."""
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


def print_formulation(f: Formulation) -> None:
    """The five elements, compactly."""
    from rich.console import Console
    from rich.markup import escape

    c = Console(file=sys.stdout, highlight=False)
    c.print("[bold]Sets[/bold]" + ("" if f.sets else ": —"))
    for s in f.sets:
        elems = s.elements if s.elements is not None else (f"{s.range[0]}..{s.range[1]}" if s.range else "")
        c.print(f"  {escape(s.name)} = {escape(str(elems))[:120]}")
    c.print("[bold]Parameters[/bold]" + ("" if f.parameters else ": —"))
    for p in f.parameters:
        idx = f"[{', '.join(p.index)}]" if p.index else ""
        c.print(f"  {escape(p.name + idx)} = {escape(str(p.value))[:120]}")
    c.print("[bold]Variables[/bold]")
    for v in f.variables:
        idx = f"[{', '.join(v.index)}]" if v.index else ""
        bounds = f"{'-inf' if v.lb is None else v.lb} ≤ · ≤ {'inf' if v.ub is None else v.ub}"
        desc = f"  — {v.description}" if v.description else ""
        c.print(f"  {escape(v.name + idx)}: {v.domain}, {bounds}{escape(desc)}")
    c.print(f"[bold]Objective[/bold]: {f.objective.sense} {escape(f.objective.expression)}")
    c.print("[bold]Constraints[/bold]" + ("" if f.constraints else ": —"))
    for con in f.constraints:
        forall = f"   for {con.forall}" if con.forall else ""
        c.print(f"  {escape(con.name)}: {escape(con.expression)}{escape(forall)}")


def print_attempts(outcome: Outcome) -> None:
    """One line per LLM attempt, the vote share and the LLM cost."""
    from rich.console import Console
    from rich.markup import escape

    c = Console(file=sys.stdout, highlight=False)
    for a in outcome.attempts:
        what = a.error.splitlines()[0][:100] if a.error else (a.status or "ok")
        obj = f" objective {a.objective:.10g}" if a.objective is not None else ""
        c.print(f"attempt {a.index} ({a.stage}, {a.seconds:.1f}s): {escape(what)}{obj}")
    if outcome.confidence is not None and len({a.sample for a in outcome.attempts}) > 1:
        c.print(f"confidence (vote share): {outcome.confidence:.0%}")
    llm = outcome.llm
    c.print(f"LLM: {llm.get('backend')}/{llm.get('model')}, {llm.get('calls')} call(s), "
            f"{llm.get('prompt_tokens')}+{llm.get('completion_tokens')} tokens, {llm.get('seconds')}s")
