"""Fixtures for the formulate tests: an isolated cache dir and no LLM env settings."""

from __future__ import annotations

import os

import pytest

REAL_CACHE_DIR = os.environ.get("OPTCOPILOT_CACHE_DIR")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPTCOPILOT_LLM", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    if not os.environ.get("OPTCOPILOT_FORMULATE_REAL_CACHE"):
        monkeypatch.setenv("OPTCOPILOT_CACHE_DIR", str(tmp_path / "cache"))
