"""`optcopilot formulate PROBLEM.txt` and the text route of `optcopilot solve`: words → model (→ answer)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from optcopilot.cli.common import EXIT_FAIL, EXIT_OK, NO_CACHE_HELP, UsageError, check_input_file
from optcopilot.cli.guards import check_fits_context, check_llm_spec, positive_seconds, write_after_answer
from optcopilot.cli.output import print_attempts, print_formulation
from optcopilot.formulate.events import FailureKind, ProgressEvent
from optcopilot.formulate.pipeline import DEFAULT_SURFACE, Outcome, formulate_and_solve, formulate_only
from optcopilot.formulate.prompts import SURFACES
from optcopilot.formulate.techniques import Techniques
from optcopilot.ir.model import Formulation
from optcopilot.llm.base import LLMBackend, LLMError

MAX_PROBLEM_BYTES = 1_000_000
TIMEOUT_ENV = "OPTCOPILOT_LLM_TIMEOUT"


def llm_timeout(args: argparse.Namespace) -> float:
    """Seconds per LLM call: --llm-timeout, else env OPTCOPILOT_LLM_TIMEOUT, else 300."""
    value = getattr(args, "llm_timeout", None)
    if value is None:
        try:
            value = float(os.environ.get(TIMEOUT_ENV, "") or 300.0)
        except ValueError:
            raise UsageError(f"{TIMEOUT_ENV} must be a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError("the LLM timeout must be a positive, finite number of seconds")
    return float(value)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("formulate", help="write the five-element model for a word problem (no solve)")
    p.add_argument("file", help="problem text file (UTF-8)")
    p.add_argument("--data", action="append", default=[], help="CSV table (repeatable)")
    p.add_argument("--llm", default=None, help="local | local:/path.gguf | openai:MODEL | scripted:/path.json")
    p.add_argument("--surface", choices=SURFACES, default=DEFAULT_SURFACE, help="what the LLM writes")
    p.add_argument("--max-repairs", type=int, default=2, help="repair rounds after an error")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--llm-timeout", type=positive_seconds, default=None, help="seconds per LLM call (default 300)")
    p.add_argument("-o", "--output", default=None, help="write the IR JSON here")
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    add_techniques_option(p)
    p.set_defaults(func=run)


TECHNIQUES_HELP = ("accuracy techniques: default (= fast: shorter prompts and answers), accurate (two worked examples, "
                   "described variables: slower, a few points more accurate), legacy, or a +-list (PRESET+NAME "
                   "switches one on over a preset)")


def add_techniques_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--techniques", default="default", help=TECHNIQUES_HELP)


def techniques_of(args: argparse.Namespace) -> Techniques:
    """The `--techniques` value, or UsageError."""
    try:
        return Techniques.parse(getattr(args, "techniques", None) or "default")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def read_problem(path: str | Path) -> str:
    """The problem text, or UsageError (missing, directory, empty, > 1 MB, not UTF-8)."""
    p = check_input_file(path, MAX_PROBLEM_BYTES, "problem text")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{p}: not UTF-8 text") from None
    if not text.strip():
        raise UsageError(f"{p}: file is empty")
    return text


def read_tables(paths: list[str] | None) -> dict[str, str | Path]:
    """`--data` CSV files keyed by stem; UsageError for missing files."""
    tables: dict[str, str | Path] = {}
    for raw in paths or []:
        p = Path(raw)
        if not p.is_file():
            raise UsageError(f"{p}: no such data file")
        tables[p.stem] = p
    return tables


def make_llm(spec: str | None, cache: bool = True) -> LLMBackend:
    """The backend for `spec` (with the response cache unless `cache` is False); the embedded model
    announces its one-time preparation on stderr."""
    from optcopilot.llm import PREPARE_MESSAGE, make_backend, parse_spec

    try:
        options: dict[str, Any] = {}
        if parse_spec(spec).kind == "local":
            options["on_prepare"] = lambda: print(PREPARE_MESSAGE, file=sys.stderr, flush=True)
        return make_backend(spec, cache=cache, **options)
    except LLMError as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def spinner(enabled: bool = True) -> Iterator[Callable[[ProgressEvent], None]]:
    """A rich status line on stderr (only on a terminal); yields the progress callback."""
    from rich.console import Console

    console = Console(file=sys.stderr)
    if not enabled or not console.is_terminal:
        yield lambda _event: None
        return
    with console.status("Formulating…") as status:
        yield lambda event: status.update(str(event))


def exit_after_local_timeout(outcome: Outcome) -> None:
    """After a local-model timeout the llama.cpp worker thread may still be busy; leave at once with 1.

    (A normal interpreter shutdown would abort inside that native thread and exit with 134.)
    """
    if outcome.llm.get("backend") == "local" and outcome.error_kind == FailureKind.LLM_TIMEOUT:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_FAIL)


def run_pipeline(args: argparse.Namespace, *, solve: bool) -> Outcome:
    """Run the pipeline on the problem file of `formulate` / `solve` with their flags."""
    text = read_problem(args.file)
    tables = read_tables(getattr(args, "data", None))
    max_repairs = getattr(args, "max_repairs", 2)
    if max_repairs is None or max_repairs < 0:
        raise UsageError("--max-repairs must be 0 or more")
    timeout = llm_timeout(args)
    techniques = techniques_of(args)
    check_llm_spec(getattr(args, "llm", None))
    check_fits_context(text, getattr(args, "llm", None),
                       extra_chars=sum(Path(t).stat().st_size for t in tables.values()))
    backend = make_llm(getattr(args, "llm", None), cache=not getattr(args, "no_cache", False))
    surface = getattr(args, "surface", None) or DEFAULT_SURFACE
    with spinner() as progress:
        if solve:
            samples = getattr(args, "samples", 1) or 1
            if samples < 1:
                raise UsageError("--samples must be at least 1")
            return formulate_and_solve(text, backend, tables=tables, samples=samples, max_repairs=max_repairs,
                                       solver=getattr(args, "solver", "auto"),
                                       time_limit=getattr(args, "time_limit", 30.0), progress=progress,
                                       surface=surface, llm_timeout=timeout, techniques=techniques)
        return formulate_only(text, backend, tables=tables, max_repairs=max_repairs, progress=progress,
                              surface=surface, llm_timeout=timeout, techniques=techniques)


def run(args: argparse.Namespace) -> int:
    """`formulate`: print the model (or JSON) and write the IR with -o."""
    outcome = run_pipeline(args, solve=False)
    if outcome.formulation is None:
        print(f"error: {outcome.error}", file=sys.stderr)
        exit_after_local_timeout(outcome)
        return EXIT_FAIL
    formulation = outcome.formulation
    written, write_error = ({}, 0) if not args.output else write_after_answer(lambda: _write_ir(formulation,
                                                                                              args.output))
    if args.json:
        print(json.dumps(outcome.to_dict()))
    else:
        print_formulation(formulation)
        print_attempts(outcome)
        if written:
            print(f"wrote {args.output}")
    return write_error or EXIT_OK


def _write_ir(formulation: Formulation, path: str) -> dict[str, str]:
    Path(path).write_text(formulation.to_json(), encoding="utf-8")
    return {"ir": path}


