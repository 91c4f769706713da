"""`optcopilot examples`: where the shipped examples are in the installed package, one path a line."""

from __future__ import annotations

import argparse

from optcopilot.cli.common import EXIT_OK
from optcopilot.examples import example_files


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("examples", help="list the shipped example problems and models (paths you can solve)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for path in example_files():
        print(path)
    return EXIT_OK
