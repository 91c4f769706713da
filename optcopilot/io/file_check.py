"""Is a model file whole? HiGHS reads a truncated file as a smaller model, so we look first.

One streaming pass (the file is never held in memory): a `.gz` must decompress to its end-of-stream
marker with a good CRC; an MPS file must have ROWS and COLUMNS sections and an ENDATA line; an LP file
must end with `end`. A file that fails says why in one line (`ModelFileError`, exit 2 in the CLI).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from optcopilot.ir import budget

MAX_UNPACKED_BYTES = 2_000_000_000  # a .gz that unpacks to more is refused (a "gzip bomb" or not a model)
_MPS_HEADER = re.compile(rb"(NAME|ROWS|COLUMNS|RHS|RANGES|BOUNDS|ENDATA|OBJSENSE|OBJNAME|QUADOBJ|QSECTION|"
                         rb"QMATRIX|QCMATRIX|SOS|INDICATORS|LAZYCONS|USERCUTS|CSECTION)\b")


class IncompleteFileError(ValueError):
    """The file is cut short or damaged; the message is one line."""


def check_readable(p: Path) -> None:
    """The file exists, is a file, is not empty and not binary (IncompleteFileError otherwise)."""
    if not p.exists():
        raise IncompleteFileError(f"model file not found: {p}")
    if not p.is_file():
        raise IncompleteFileError(f"not a file: {p}")
    try:
        if p.name.lower().endswith(".gz"):
            with gzip.open(p, "rb") as fh:
                head = fh.read(4096)
        else:
            with open(p, "rb") as fh:
                head = fh.read(4096)
    except (OSError, EOFError, zlib.error) as exc:
        raise IncompleteFileError(f"cannot read {p.name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if not head.strip():
        raise IncompleteFileError(f"{p.name} is empty")
    if b"\x00" in head:
        raise IncompleteFileError(f"{p.name} is a binary file, not a text model file")


def check_complete(path: Path, kind: str) -> None:
    """Raise IncompleteFileError unless `path` (kind "MPS" or "LP") is complete."""
    clock = budget.current()
    sections: set[bytes] = set()
    last = b""
    total = 0
    try:
        with (gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")) as fh:
            for count, line in enumerate(fh):
                total += len(line)
                if total > MAX_UNPACKED_BYTES:
                    raise IncompleteFileError(f"{path.name} unpacks to more than {MAX_UNPACKED_BYTES} bytes")
                if count % 65536 == 65535:
                    clock.check_time(f"reading {path.name}")
                stripped = line.strip()
                if not stripped or stripped.startswith((b"*", b"\\")):
                    continue
                last = stripped
                if kind == "MPS" and not line[:1].isspace():
                    match = _MPS_HEADER.match(line)
                    if match:
                        sections.add(match.group(1))
    except (EOFError, OSError, zlib.error) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IncompleteFileError(f"{path.name} is damaged or cut short ({reason})") from None
    if kind == "MPS":
        missing = [s.decode() for s in (b"ROWS", b"COLUMNS") if s not in sections]
        if missing:
            raise IncompleteFileError(f"{path.name} has no {' or '.join(missing)} section (not a complete MPS file)")
        if b"ENDATA" not in sections:  # (text after ENDATA, such as a MIPLIB 3 trailer, is ignored by readers)
            raise IncompleteFileError(f"{path.name} has no ENDATA line: the file is cut short")
    elif last.lower() != b"end":
        raise IncompleteFileError(f"{path.name} does not end with 'end': the file is cut short")
