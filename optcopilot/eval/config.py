"""The settings of one evaluation run and its ``config.json`` (settings + the selected problem ids)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
RESUME_KEYS = ("dataset", "mode", "llm_spec", "techniques", "switches")
"""Settings a resumed run must share with the records already in its directory."""


@dataclass(frozen=True)
class EvalConfig:
    """Settings shared by every problem of one run (stored in ``config.json``).

    ``mode`` is the requested mode; a dataset with a forced mode (MIPLIB MPS) is evaluated in that mode
    whatever is requested (see `optcopilot.eval.modes.mode_for`).
    """

    dataset: str
    mode: str = "pipeline"
    llm_spec: str = "local"
    samples: int = 1
    time_limit: float = 60.0
    llm_timeout: float = 300.0
    rule: str = ""
    techniques: str = "default"  # the pipeline's accuracy techniques (`optcopilot.formulate.techniques`)
    switches: str = ""  # what `techniques` turned on when the run started ("default" changed meaning in session 11)


def write_config(out_dir: Path, cfg: EvalConfig, ids: list[str], resume: bool) -> None:
    """Store the run's settings and problem ids; a resumed run must not change dataset, mode or LLM."""
    path = out_dir / CONFIG_FILE
    if resume and path.exists():
        try:
            old = json.loads(path.read_text())["config"]
        except (ValueError, KeyError, TypeError):
            old = {}
        for key in RESUME_KEYS:
            if old.get(key) not in (None, getattr(cfg, key)):
                raise ValueError(
                    f"{out_dir} holds a run with {key}={old.get(key)!r}, not {getattr(cfg, key)!r}; "
                    "use another --out directory or --no-resume"
                )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"config": asdict(cfg), "ids": ids}, indent=2))
    os.replace(tmp, path)


def load_config(out_dir: str | Path) -> dict[str, Any]:
    """The stored ``config.json`` of a run directory (``{}`` when absent)."""
    path = Path(out_dir) / CONFIG_FILE
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}
