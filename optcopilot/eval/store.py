"""The crash-safe JSONL store behind ``results.jsonl``.

Each line is written with a single ``write``, flushed and fsynced under an exclusive ``flock``, so a
``kill -9`` leaves only whole lines plus at most one trailing partial line. Reading ignores that partial
line; ``repair=True`` (used when a run resumes) also cuts it off. A corrupt line in the middle is skipped,
so its problem is simply run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from optcopilot.eval.records import EvalRecord
from optcopilot.solve.result import json_safe

RESULTS_FILE = "results.jsonl"


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_json_line(path: str | Path, obj: Mapping[str, Any]) -> None:
    """Append ``obj`` as one JSON line: one ``write`` + fsync under an exclusive ``flock``."""
    line = (json.dumps(json_safe(obj), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _locked(fd):
            written = os.write(fd, line)
            while written < len(line):  # regular files write fully; be safe anyway
                written += os.write(fd, line[written:])
            os.fsync(fd)
    finally:
        os.close(fd)


def read_json_lines(path: str | Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """The whole JSON-object lines that carry an ``id``; a trailing partial line is ignored (cut when ``repair``)."""
    p = Path(path)
    if not p.exists():
        return []
    fd = os.open(p, os.O_RDWR if repair else os.O_RDONLY)
    try:
        with _locked(fd) if repair else contextlib.nullcontext():
            with os.fdopen(os.dup(fd), "rb") as fh:
                data = fh.read()
            end = data.rfind(b"\n") + 1
            if repair and end < len(data):
                os.ftruncate(fd, end)
                os.fsync(fd)
    finally:
        os.close(fd)
    objects = []
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            continue  # a corrupt line in the middle: not counted, the problem is re-run
        if isinstance(obj, dict) and "id" in obj:
            objects.append(obj)
    return objects


def append_record(path: str | Path, record: EvalRecord) -> None:
    """Append one record to a ``results.jsonl``."""
    append_json_line(path, record.to_json())


def read_records(path: str | Path, *, repair: bool = False) -> list[EvalRecord]:
    """Every whole record of a ``results.jsonl`` (any schema version), in file order."""
    return [EvalRecord.from_json(obj) for obj in read_json_lines(path, repair=repair)]


def unique_records(records: Sequence[EvalRecord]) -> dict[str, EvalRecord]:
    """First record per id, in file order."""
    out: dict[str, EvalRecord] = {}
    for rec in records:
        out.setdefault(rec.id, rec)
    return out
