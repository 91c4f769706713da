"""`optcopilot equiv CANDIDATE REFERENCE`: are two model files equivalent? Prints the map and the evidence."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from optcopilot.cli.common import EXIT_FAIL, EXIT_OK, UsageError, load_model_file
from optcopilot.solve.result import json_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("equiv", help="check whether two models (IR JSON, MPS, LP) are equivalent")
    p.add_argument("candidate", help="candidate model: IR .json, .mps, .mps.gz or .lp")
    p.add_argument("reference", help="reference model: IR .json, .mps, .mps.gz or .lp")
    p.add_argument("--no-llm", action="store_true", help="structural map discovery only")
    p.add_argument("--llm", default=None, help="LLM spec for the fallback (local, openai:MODEL, scripted:FILE)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds for the whole check (default 60)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from optcopilot.equivalence import EquivalenceInputError, check_equivalence

    if not args.time_limit > 0 or math.isinf(args.time_limit):
        raise UsageError("--time-limit must be a positive number of seconds")
    from optcopilot.ir import budget

    with budget.within(args.time_limit):  # reading and grounding both models count against the limit
        candidate = load_model_file(args.candidate)
        reference = load_model_file(args.reference)
        try:
            report = check_equivalence(candidate, reference, llm=args.llm, use_llm=not args.no_llm,
                                       time_limit=args.time_limit)
        except EquivalenceInputError as exc:
            raise UsageError(str(exc)) from None
    data = report.to_dict()
    if args.json:
        print(json.dumps(json_safe(data)))
    else:
        _print_human(data, args.candidate, args.reference)
    return EXIT_OK if report.equivalent is not None else EXIT_FAIL


def _print_human(data: dict[str, Any], cand: str, ref: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    verdict = _WORDS[data["equivalent"]]
    console.print(f"{cand} vs {ref}: {verdict}  (method {data['method']}, {data['seconds']:.2f} s)")
    _print_levels(console, data)
    ev = data["evidence"]
    for key in ("candidate_objective", "reference_objective", "direction", "check", "reason", "status"):
        if key in ev:
            console.print(f"  {key.replace('_', ' ')}: {ev[key]}")
    if "objective" in ev:
        console.print(f"  objective at the mapped point {ev['objective']['mapped']} vs optimum "
                      f"{ev['objective']['optimal']}")
    if ev.get("violated"):
        table = Table("violated constraint", "amount", "activity", "lower", "upper", title="witness")
        for v in ev["violated"]:
            table.add_row(str(v["constraint"]), f"{v['amount']:.6g}", f"{v['activity']:.6g}", str(v["lower"]),
                          str(v["upper"]))
        console.print(table)
    for key in ("integrality", "bounds"):
        for item in ev.get(key, []):
            console.print(f"  {key}: {item}")
    variables = data["mapping"].get("variables", {})
    if variables:
        table = Table("reference variable" if data["mapping"]["direction"].startswith("reference") else "variable",
                      "= combination", title=f"map ({data['mapping']['direction']})")
        for name, entry in list(variables.items())[:20]:
            terms = " + ".join(f"{c:g}*{v}" for v, c in entry["terms"].items()) or "0"
            if entry["constant"]:
                terms += f" + {entry['constant']:g}"
            table.add_row(name, terms)
        console.print(table)
        if len(variables) > 20:
            console.print(f"  ... {len(variables) - 20} more (use --json for all)")


_WORDS = {True: "[green]equivalent[/green]", False: "[red]not equivalent[/red]", None: "[yellow]undecided[/yellow]"}


def _print_levels(console: Any, data: dict[str, Any]) -> None:
    """Both verdict levels, each with its certificate (the class of maps it rules out) or its reason."""
    levels = data.get("levels") or {}
    meaning = {"optimal": "optima map to optima", "feasible": "feasible sets correspond, objective kept"}
    for level in ("optimal", "feasible"):
        entry = levels.get(level)
        if not entry:
            continue
        console.print(f"  {level} level ({meaning[level]}): {_WORDS[entry.get('equivalent')]}")
        cert = entry.get("certificate")
        if cert:
            console.print(f"    certificate ({cert['kind']}): {cert.get('reason', '')}")
            console.print(f"    rules out: {cert['class']}")
        elif level == "feasible" and entry.get("equivalent") and "objective_factor" in entry:
            console.print(f"    proved both ways ({entry.get('method')}); objective factor {entry['objective_factor']:.6g}")
        elif entry.get("equivalent") is None and entry.get("reason"):
            console.print(f"    {entry['reason']}")
    if "equivamap_convention" in data:
        word = "equivalent" if data["equivamap_convention"] else "not equivalent"
        console.print(f"  EquivaMap convention (no verified map = not equivalent): {word}")
