"""The benchmark problem schema (`Problem`) and the generic record loader every dataset goes through.

A loader reads a JSON / JSON-Lines file record by record with a `Builder` (see `builders.py`), skips bad
records with a reason (`SkipRecord`) and returns a `ProblemSet`: a list of `Problem` whose `report` says how
many records were read, loaded and skipped, and why.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcopilot.io.data_dir import DatasetError

log = logging.getLogger(__name__)

OBJECTIVE_KEY = "objective"


@dataclass
class Problem:
    """One benchmark problem with its reference answer(s)."""

    id: str
    text: str
    tables: dict[str, str] = field(default_factory=dict)
    answers: dict[str, float | None] = field(default_factory=dict)
    objective_key: str | None = OBJECTIVE_KEY
    infeasible: bool = False
    ptype: str = "unknown-notable"
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skip:
    """A record that was not loaded."""

    ref: str
    reason: str
    detail: str = ""


@dataclass
class LoadReport:
    """What a loader read, loaded and skipped."""

    dataset: str
    files: list[str] = field(default_factory=list)
    records: int = 0
    loaded: int = 0
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, ref: str, reason: str, detail: str = "") -> None:
        """Record one skipped record."""
        self.skipped.append(Skip(ref, reason, detail))

    def skip_counts(self) -> dict[str, int]:
        """Number of skipped records per reason."""
        return dict(Counter(s.reason for s in self.skipped))

    def summary(self) -> str:
        """One line: dataset, loaded/read counts and skip reasons."""
        reasons = ", ".join(f"{r}: {n}" for r, n in self.skip_counts().items()) or "none"
        return f"{self.dataset}: loaded {self.loaded}/{self.records}, skipped {len(self.skipped)} ({reasons})"


class ProblemSet(list[Problem]):
    """A list of problems that also carries the ``LoadReport``."""

    def __init__(self, problems: Iterable[Problem], report: LoadReport) -> None:
        super().__init__(problems)
        self.report = report


class SkipRecord(Exception):
    """Raised by a record builder to skip the record with a reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


Builder = Callable[[str, int, dict[str, Any]], Problem]


# --------------------------------------------------------------------------- reading


def read_json_records(path: Path, report: LoadReport) -> list[tuple[int, Any]]:
    """Read a JSON array/object or JSON-Lines file as (1-based record number, record)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    else:
        items = data if isinstance(data, list) else [data]
        return list(enumerate(items, start=1))
    out: list[tuple[int, Any]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((line_no, json.loads(line)))
        except json.JSONDecodeError as exc:
            report.records += 1
            report.skip(f"{path.name}:{line_no}", "bad json", str(exc))
    if out:
        report.notes.append(f"{path.name} read as JSON-Lines")
    return out


def require_file(path: Path) -> Path:
    if not path.exists():
        raise DatasetError(f"benchmark file missing: {path} (is the shared data directory complete?)")
    return path


def load_records(dataset: str, path: Path, build: Builder) -> ProblemSet:
    """Read one file with ``build`` per record; skip and report bad records."""
    report = LoadReport(dataset=dataset, files=[str(path)])
    problems: list[Problem] = []
    seen: Counter[str] = Counter()
    for rec_no, rec in read_json_records(require_file(path), report):
        report.records += 1
        ref = f"{path.name}:{rec_no}"
        if not isinstance(rec, dict):
            report.skip(ref, "not an object", type(rec).__name__)
            continue
        try:
            problem = build(dataset, rec_no, rec)
        except SkipRecord as skip:
            report.skip(ref, skip.reason, skip.detail)
            continue
        seen[problem.id] += 1
        if seen[problem.id] > 1:
            report.notes.append(f"duplicate id {problem.id} renamed")
            problem.id = f"{problem.id}#{seen[problem.id]}"
        problem.extra.setdefault("record", ref)
        problems.append(problem)
    report.loaded = len(problems)
    if report.skipped:
        log.warning("%s", report.summary())
    return ProblemSet(problems, report)


@dataclass(frozen=True)
class Loader:
    """A registered dataset: where it lives and how to read it."""

    name: str
    relpath: str
    description: str
    build: Builder | None = None
    custom: Callable[[Loader, Path], ProblemSet] | None = None

    def __call__(self, data_dir: Path) -> ProblemSet:
        """Load the dataset from the resolved data directory."""
        if self.custom is not None:
            return self.custom(self, data_dir)
        assert self.build is not None
        return load_records(self.name, data_dir / self.relpath, self.build)


