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


def read_solu(path: Path) -> dict[str, float | None]:
    """{instance: optimum} from a MIPLIB .solu file; None for `=inf=`."""
    out: dict[str, float | None] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "=opt=":
            out[parts[1]] = float(parts[2])
        elif len(parts) >= 2 and parts[0] == "=inf=":
            out[parts[1]] = None
    return out


def rel_close(value: float | None, reference: float, tol: float = 1e-6) -> bool:
    return value is not None and abs(value - reference) <= tol * max(1.0, abs(reference))
