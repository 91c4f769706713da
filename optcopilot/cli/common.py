"""Shared CLI plumbing: exit codes, the one-line error contract, reading model files."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
MODEL_SUFFIXES = (".mps", ".mps.gz", ".lp", ".lp.gz", ".json")
MAX_INPUT_BYTES = 50_000_000


class UsageError(Exception):
    """Bad input: main() prints `error: <message>` on one line and exits with code 2."""


def is_model_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in MODEL_SUFFIXES)


def load_model_file(path: str | Path) -> Formulation:
    """Read an IR `.json` or an MPS/LP file into a validated Formulation, or raise UsageError."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, expected a model file")
    size = p.stat().st_size
    if size == 0:
        raise UsageError(f"{p}: file is empty")
    if size > MAX_INPUT_BYTES:
        raise UsageError(f"{p}: file is {size} bytes, larger than the {MAX_INPUT_BYTES}-byte limit")
    if p.name.lower().endswith(".json"):
        return _load_ir_json(p)
    from optcopilot.io.mps import ModelFileError, read_model_file

    try:
        return read_model_file(p)
    except ModelFileError as exc:
        raise UsageError(str(exc)) from None


def _load_ir_json(p: Path) -> Formulation:
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{p}: not UTF-8 text (binary file?)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{p}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{p}: expected a JSON object with the five elements")
    try:
        return Formulation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise UsageError(f"{p}: invalid formulation at {loc}: {first['msg']}") from None


def formulation_error_line(exc: FormulationError) -> str:
    return f"invalid formulation: {exc}"
