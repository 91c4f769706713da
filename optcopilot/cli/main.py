"""`optcopilot` command line: subcommands are registered from their own modules."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from optcopilot.cli.common import EXIT_FAIL, EXIT_USAGE, UsageError
from optcopilot.ir.errors import BuildTimeout, FormulationError

# each module exposes register(subparsers); a missing optional module is skipped
COMMAND_MODULES = (
    "optcopilot.cli.solve_cmd",
    "optcopilot.cli.formulate_cmd",
    "optcopilot.cli.equiv_cmd",
    "optcopilot.cli.eval_cmd",
    "optcopilot.cli.app_cmd",
    "optcopilot.cli.examples_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="optcopilot", description="Optimization-modeling copilot: words → model → answer.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args))
    except UsageError as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    except BuildTimeout as exc:  # the time budget ran out while building: a failure, not bad input
        return _fail(f"error: {exc}", EXIT_FAIL)
    except FormulationError as exc:
        return _fail(f"error: invalid formulation: {exc}", EXIT_USAGE)
    except RecursionError:
        return _fail("error: the input nests too deeply to be read", EXIT_USAGE)
    except OverflowError as exc:
        return _fail(f"error: a number in the input is out of range ({exc})", EXIT_USAGE)
    except MemoryError:
        return _fail("error: out of memory: the input is too large (lower its size or the OPTCOPILOT_MAX_* "
                     "limits)", EXIT_USAGE)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_FAIL


def _fail(line: str, code: int) -> int:
    print(line.splitlines()[0] if line.strip() else "error", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
