"""Shared CLI plumbing: exit codes, the one-line error contract, reading model files."""

from __future__ import annotations

from pathlib import Path

from optcopilot.ir.model import Formulation, formulation_from_text

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
MODEL_SUFFIXES = (".mps", ".mps.gz", ".lp", ".lp.gz", ".json")
MAX_INPUT_BYTES = 50_000_000


class UsageError(Exception):
    """Bad input: main() prints `error: <message>` on one line and exits with code 2."""


def is_model_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in MODEL_SUFFIXES)


def check_input_file(path: str | Path, max_bytes: int, what: str) -> Path:
    """The path of an existing, non-empty regular file within `max_bytes`, or UsageError saying which."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, expected a {what}")
    size = p.stat().st_size
    if size == 0:
        raise UsageError(f"{p}: file is empty")
    if size > max_bytes:
        raise UsageError(f"{p}: file is {size} bytes, larger than the {max_bytes}-byte limit for a {what}")
    return p


def load_model_file(path: str | Path) -> Formulation:
    """Read an IR `.json` or an MPS/LP file into a validated Formulation, or raise UsageError."""
    p = check_input_file(path, MAX_INPUT_BYTES, "model file")
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
        return formulation_from_text(text)
    except ValueError as exc:
        raise UsageError(f"{p}: {exc}") from None


NO_CACHE_HELP = "generate every LLM answer afresh instead of reusing cached answers to the same request"
