"""Where the LLM layer keeps its files (joined model, response cache)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_DIR_ENV = "OPTCOPILOT_CACHE_DIR"


def cache_dir() -> Path:
    """The optcopilot cache directory: env ``OPTCOPILOT_CACHE_DIR`` or the platform user cache dir."""
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(override).expanduser() if override else Path(platformdirs.user_cache_dir("optcopilot"))
