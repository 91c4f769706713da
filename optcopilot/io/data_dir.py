"""Locate the shared benchmark data directory (never copied into the repository)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "OPTCOPILOT_DATA_DIR"
DEFAULT_RELATIVE = Path("..") / "shared" / "datasets"


class DatasetError(RuntimeError):
    """Benchmark data is missing or unreadable."""


def repo_root() -> Path:
    """Repository root: two levels above this package (``optcopilot/io`` -> root)."""
    return Path(__file__).resolve().parents[2]


def _missing(where: Path, how: str) -> DatasetError:
    return DatasetError(
        f"benchmark data not found at {where} ({how}); put the shared datasets in "
        f"../shared/datasets next to the repository, or pass data_dir / --data-dir, "
        f"or set {ENV_VAR}"
    )


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """Return the benchmark data directory.

    Order: ``explicit`` argument, env ``OPTCOPILOT_DATA_DIR``, ``../shared/datasets``
    relative to the current directory, then relative to the repository root.
    An explicit or env path that does not exist is an error (no silent fallback).
    """
    if explicit is not None and str(explicit) != "":
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise _missing(path, "explicit data_dir")
        return path.resolve()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise _missing(path, f"from {ENV_VAR}")
        return path.resolve()
    candidates = [Path.cwd() / DEFAULT_RELATIVE, repo_root() / DEFAULT_RELATIVE]
    for cand in candidates:
        if cand.is_dir():
            return cand.resolve()
    raise _missing(candidates[0].resolve(), "default location")
