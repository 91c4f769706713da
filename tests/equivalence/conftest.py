"""Fixtures of the equivalence tests."""

from __future__ import annotations

import pytest

from optcopilot.equivalence.solving import clear_cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()
