"""Fixtures for the model-file tests; MIPLIB tests skip with the reason when the data are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from optcopilot.eval.datasets import solu_optima as read_solu
from tests.io.miplib import miplib_path


@pytest.fixture(scope="session")
def miplib_dir() -> Path:
    """The MIPLIB subset (instances/*.mps.gz, selected.solu), or skip."""
    path = miplib_path()
    if not (path / "instances").is_dir() or not (path / "selected.solu").is_file():
        pytest.skip(f"MIPLIB data not found at {path} (set OPTCOPILOT_DATA_DIR or put the shared datasets "
                    "in ../shared/datasets next to the repository)")
    return path


@pytest.fixture(scope="session")
def solu(miplib_dir: Path) -> dict[str, float | None]:
    return read_solu(miplib_dir / "selected.solu")
