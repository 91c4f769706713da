"""Locate the shared MIPLIB subset: env OPTCOPILOT_DATA_DIR, else <repo>/../shared/datasets."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """Where the shared datasets live (the directory may be absent)."""
    env = os.environ.get("OPTCOPILOT_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else REPO.parent / "shared" / "datasets"


def miplib_path() -> Path:
    return data_root() / "miplib"




def rel_close(value: float | None, reference: float, tol: float = 1e-6) -> bool:
    return value is not None and abs(value - reference) <= tol * max(1.0, abs(reference))
