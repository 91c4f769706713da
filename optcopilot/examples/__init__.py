"""Example problems shipped with the package: word problems (`*.txt`, with their `*.csv` tables) and a model
in our IR (`production.ir.json`) that solves without an LLM. Found from the installed package, so
`optcopilot examples` lists them and the app offers them wherever optcopilot is installed."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent


def example_files() -> list[Path]:
    """Every shipped example file (problem texts, tables, IR models), sorted by name."""
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix in (".txt", ".csv", ".json"))
