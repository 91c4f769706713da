"""Progress of a run on stderr: a rich bar on a terminal, else one plain line per finished problem."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from optcopilot.eval.records import Category, EvalRecord


@dataclass
class Tally:
    """Problems done so far and how many were right (thread-safe)."""

    done: int = 0
    correct: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rec: EvalRecord) -> None:
        with self.lock:
            self.done += 1
            self.correct += int(rec.category == Category.OK)

    @property
    def accuracy(self) -> str:
        return f"{100.0 * self.correct / self.done:.1f}%" if self.done else "-"


class Progress:
    """Progress with running accuracy and ETA: a rich bar on a terminal, else one plain line per problem
    (so a background run's log shows how far it is). No-op when disabled."""

    def __init__(self, enabled: bool, total: int, already: Tally, label: str) -> None:
        self.tally = already
        self.total = total
        self.label = label
        self._bar: Any = None
        self._plain = False
        self._start = time.monotonic()
        self._first = already.done
        if not enabled:
            return
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            self._plain = True
            return
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("acc {task.fields[acc]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False,
        )
        self._task = self._bar.add_task(escape(label), total=total, completed=already.done, acc=already.accuracy)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, rec: EvalRecord) -> None:
        self.tally.add(rec)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, acc=self.tally.accuracy)
        elif self._plain:
            print(self.line(rec), file=sys.stderr, flush=True)

    def line(self, rec: EvalRecord) -> str:
        """`label [done/total] id category (seconds) | acc A | ETA h:mm:ss` for one finished problem."""
        done_here = self.tally.done - self._first
        per = (time.monotonic() - self._start) / done_here if done_here else 0.0
        eta = int(per * max(0, self.total - self.tally.done))
        return (f"{self.label} [{self.tally.done}/{self.total}] {rec.id} {rec.category.value} "
                f"({rec.seconds:.1f} s) | acc {self.tally.accuracy} | "
                f"ETA {eta // 3600}:{eta % 3600 // 60:02d}:{eta % 60:02d}")
