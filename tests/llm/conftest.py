"""Shared fixtures for the LLM layer tests: every test gets its own cache dir and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_CACHE_DIR = os.environ.get("OPTCOPILOT_CACHE_DIR")
"""The cache dir outside the tests (the slow test reuses the real joined model from there)."""

_ENV_VARS = (
    "OPTCOPILOT_LLM",
    "OPTCOPILOT_MODEL_PATH",
    "OPTCOPILOT_LLM_THREADS",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPTCOPILOT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def real_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the real cache dir, so the joined embedded model is shared with normal runs."""
    if REAL_CACHE_DIR is None:
        monkeypatch.delenv("OPTCOPILOT_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("OPTCOPILOT_CACHE_DIR", REAL_CACHE_DIR)
