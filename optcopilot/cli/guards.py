"""Argument checks that keep the exit-code contract: bad arguments are refused (exit 2) before any work.

- `--time-limit` / `--llm-timeout`: a positive, finite number of seconds (`nan` and `inf` are refused).
- `--solver`: a known route, and for `pyomo:NAME` one that Pyomo can find here.
- `--llm local:PATH`: the model file exists.
- A text problem must fit the embedded model's context (estimated at 3 characters a token), checked
  before the model is loaded.
- `--emit` / `--out` / `-o`: a failure to write is reported after the answer has been printed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from optcopilot.cli.common import UsageError

CHARS_PER_TOKEN = 3
RESERVED_TOKENS = 3072  # instructions, worked examples and the answer share the context with the problem


def positive_seconds(text: str) -> float:
    """argparse `type=` for seconds: a positive finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive, finite number of seconds")
    return value


def check_solver_name(name: str) -> None:
    """UsageError for an unknown route or a `pyomo:NAME` that Pyomo cannot find."""
    if name == "auto":
        return
    from optcopilot.compile.capabilities import UnknownSolverError, capabilities

    try:
        capabilities(name)
    except UnknownSolverError as exc:
        raise UsageError(str(exc)) from None
    if name.startswith("pyomo:"):
        from optcopilot.solve.pyomo_solver import PyomoSolver

        if not PyomoSolver(name.split(":", 1)[1]).available():
            raise UsageError(f"--solver {name}: Pyomo cannot find that solver here (unknown name, or not "
                             "installed/licensed)")


def check_llm_spec(spec: str | None) -> None:
    """UsageError for an unknown spec or a `local:PATH` whose model file does not exist."""
    from optcopilot.llm import LLMError, parse_spec

    try:
        parsed = parse_spec(spec)
    except LLMError as exc:
        raise UsageError(str(exc)) from None
    if parsed.kind == "local" and parsed.target:
        path = Path(parsed.target).expanduser()
        if not path.is_file():
            raise UsageError(f"--llm {spec}: model file {path} not found")


def check_fits_context(text: str, spec: str | None, extra_chars: int = 0) -> None:
    """UsageError when a problem (plus its tables) cannot fit the embedded model's context window."""
    from optcopilot.llm import LLMError, parse_spec

    try:
        if parse_spec(spec).kind != "local":
            return
    except LLMError:
        return
    from optcopilot.llm.embedded import DEFAULT_N_CTX

    tokens = (len(text) + extra_chars) // CHARS_PER_TOKEN
    room = DEFAULT_N_CTX - RESERVED_TOKENS
    if tokens > room:
        raise UsageError(f"the problem is about {tokens} tokens long; the embedded model's context holds "
                         f"{DEFAULT_N_CTX}, of which {room} are left for the problem: shorten it (or use --llm "
                         "openai:MODEL with a larger context)")


def write_after_answer(write: Callable[[], dict[str, str]]) -> tuple[dict[str, str], int]:
    """Run a writer of output files; on failure say why on stderr and return exit code 2 (the caller still
    prints the answer): `({kind: path}, 0)` or `({}, 2)`."""
    from optcopilot.cli.common import EXIT_USAGE

    try:
        return write(), 0
    except (OSError, UsageError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        target = f" {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        print(f"error: cannot write the requested files{target}: {reason}".splitlines()[0], file=sys.stderr)
        return {}, EXIT_USAGE
