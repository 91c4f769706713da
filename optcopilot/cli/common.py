"""Shared CLI plumbing: exit codes, the one-line error contract, reading input files as usage errors."""

from __future__ import annotations

from pathlib import Path

from optcopilot.io import model_files
from optcopilot.io.model_files import MODEL_SUFFIXES, is_model_file
from optcopilot.ir.model import Formulation

__all__ = ["EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "MODEL_SUFFIXES", "NO_CACHE_HELP", "UsageError",
           "check_input_file", "is_model_file", "load_model_file"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
NO_CACHE_HELP = "generate every LLM answer afresh instead of reusing cached answers to the same request"


class UsageError(Exception):
    """Bad input: main() prints `error: <message>` on one line and exits with code 2."""


def check_input_file(path: str | Path, max_bytes: int, what: str) -> Path:
    """`io.model_files.check_input_file`, its errors as UsageError."""
    try:
        return model_files.check_input_file(path, max_bytes, what)
    except model_files.InputFileError as exc:
        raise UsageError(str(exc)) from None


def load_model_file(path: str | Path) -> Formulation:
    """`io.model_files.load_model_file`, its errors as UsageError."""
    try:
        return model_files.load_model_file(path)
    except model_files.InputFileError as exc:
        raise UsageError(str(exc)) from None
