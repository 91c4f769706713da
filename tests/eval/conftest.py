"""Shared fixtures: the real benchmark data dir, skipped with a reason when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from optcopilot.io.data_dir import DatasetError, resolve_data_dir

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "datasets" / "optibench" / "sample.jsonl"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Resolved shared benchmark dir, or skip."""
    try:
        return resolve_data_dir(None)
    except DatasetError as exc:
        pytest.skip(f"shared benchmark data not available ({exc})")
