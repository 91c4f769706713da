"""Shared pieces of the reliability tests: small models, the memory baseline, the hostile inputs of issue 15."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.io.miplib import miplib_path
from tests.reliability.cli_run import GIB_KB, run_cli, write_model

MIPLIB = miplib_path() / "instances"


def knapsack(**changes: Any) -> dict[str, Any]:
    """The issue's running example: max 5a + 9b with 15a + 20b <= 450, 0 <= a, b <= 100 (optimum 202.5)."""
    model: dict[str, Any] = {
        "sets": [{"name": "P", "elements": ["a", "b"]}],
        "parameters": [{"name": "w", "index": ["P"], "value": [15, 20]},
                       {"name": "p", "index": ["P"], "value": [5, 9]}],
        "variables": [{"name": "x", "index": ["P"], "ub": 100}],
        "objective": {"sense": "maximize", "expression": "sum(p[i]*x[i] for i in P)"},
        "constraints": [{"name": "cap", "expression": "sum(w[i]*x[i] for i in P) <= 450"}],
    }
    model.update(changes)
    return model


@pytest.fixture(scope="session")
def memory_bound_kb(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak RSS allowed for a blow-up: the baseline (solving a two-variable model) plus 1 GiB."""
    path = write_model(tmp_path_factory.mktemp("baseline") / "small.json", knapsack())
    run = run_cli("solve", str(path))
    assert run.code == 0, run.err
    return run.peak_kb + GIB_KB


@pytest.fixture()
def model_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`model_file(dict or text, name)` writes an input file and returns its path as a string."""

    def write(content: dict[str, Any] | str, name: str = "model.json") -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)

    return write
