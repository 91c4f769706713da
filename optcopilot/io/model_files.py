"""Reading a model file the user gives us: IR `.json`, or MPS/LP (optionally gzipped), size-checked first.

Every problem with the file is an `InputFileError` with a one-line message naming the file (the CLI turns
it into exit code 2, the app into a message); a readable file with an invalid model raises the IR's
`FormulationError`.
"""

from __future__ import annotations

from pathlib import Path

from optcopilot.io.mps import ModelFileError, read_model_file
from optcopilot.ir.model import Formulation, formulation_from_text

MODEL_SUFFIXES = (".mps", ".mps.gz", ".lp", ".lp.gz", ".json")
MAX_INPUT_BYTES = 50_000_000


class InputFileError(ValueError):
    """A file that cannot be used as input; the message is one line and names the file."""


def is_model_file(path: Path) -> bool:
    """The name ends in one of `MODEL_SUFFIXES` (anything else is a problem text)."""
    name = path.name.lower()
    return any(name.endswith(s) for s in MODEL_SUFFIXES)


def check_input_file(path: str | Path, max_bytes: int, what: str) -> Path:
    """The path of an existing, non-empty regular file within `max_bytes`, or InputFileError saying which."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: no such file")
    if p.is_dir():
        raise InputFileError(f"{p}: is a directory, expected a {what}")
    size = p.stat().st_size
    if size == 0:
        raise InputFileError(f"{p}: file is empty")
    if size > max_bytes:
        raise InputFileError(f"{p}: file is {size} bytes, larger than the {max_bytes}-byte limit for a {what}")
    return p


def load_model_file(path: str | Path) -> Formulation:
    """Read an IR `.json` or an MPS/LP file into a validated Formulation, or raise InputFileError."""
    p = check_input_file(path, MAX_INPUT_BYTES, "model file")
    if p.name.lower().endswith(".json"):
        return _load_ir_json(p)
    try:
        return read_model_file(p)
    except ModelFileError as exc:
        raise InputFileError(str(exc)) from None


def _load_ir_json(p: Path) -> Formulation:
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{p}: not UTF-8 text (binary file?)") from None
    try:
        return formulation_from_text(text)
    except ValueError as exc:
        raise InputFileError(f"{p}: {exc}") from None
