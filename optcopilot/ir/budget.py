"""One budget for the whole path (reading, parsing, grounding, solving, checking): a wall-clock deadline and
size limits.

The active budget lives in a context variable, so deep code (the grounder, the algebra, the model
builders) reads it without every caller threading it through: the CLI opens one with `--time-limit` before
the first byte is read, `solve()` opens one for its own `time_limit` (the earlier deadline wins), and
code that runs with none gets the default limits and `OPTCOPILOT_BUILD_SECONDS` for building.

Going over a size limit raises `FormulationError` (code `size-limit`), a normal, repairable error that
names the limit and the setting that raises it; running out of time raises `BuildTimeout`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields

from optcopilot.ir.errors import BuildTimeout, FormulationError, Issue

BUILD_SECONDS_ENV = "OPTCOPILOT_BUILD_SECONDS"
DEFAULT_BUILD_SECONDS = 60.0
CHECK_EVERY = 1024  # ticks between two looks at the clock


@dataclass(frozen=True)
class Limit:
    """One size limit: its default and the environment setting that changes it."""

    env: str
    default: int
    what: str  # "grounded variables", used in messages


# Defaults keep the worst case (every limit reached at once, then solved by HiGHS) within about 1 GB of memory.
LIMITS: dict[str, Limit] = {
    "set_size": Limit("OPTCOPILOT_MAX_SET_SIZE", 1_000_000, "elements in a set or index product"),
    "data_entries": Limit("OPTCOPILOT_MAX_DATA_ENTRIES", 2_000_000, "set elements and parameter values together"),
    "variables": Limit("OPTCOPILOT_MAX_VARIABLES", 400_000, "grounded scalar variables"),
    "rows": Limit("OPTCOPILOT_MAX_ROWS", 200_000, "grounded constraint rows"),
    "terms_per_row": Limit("OPTCOPILOT_MAX_ROW_TERMS", 1_000_000, "terms in one row or the objective"),
    "nonzeros": Limit("OPTCOPILOT_MAX_NONZEROS", 1_500_000, "terms in all rows and the objective together"),
    "expression_nodes": Limit("OPTCOPILOT_MAX_EXPRESSION_NODES", 200_000, "nonlinear expression nodes in a row"),
    "expression_depth": Limit("OPTCOPILOT_MAX_EXPRESSION_DEPTH", 200, "levels of nested nonlinear operations"),
    "degree": Limit("OPTCOPILOT_MAX_DEGREE", 64, "polynomial degree"),
    "expansion": Limit("OPTCOPILOT_MAX_EXPANSION", 200_000, "terms of an expanded power or product"),
}


@dataclass(frozen=True)
class Limits:
    set_size: int
    data_entries: int
    variables: int
    rows: int
    terms_per_row: int
    nonzeros: int
    expression_nodes: int
    expression_depth: int
    degree: int
    expansion: int

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, each overridden by its `OPTCOPILOT_MAX_*` environment variable when that is set."""
        values: dict[str, int] = {}
        for f in fields(cls):
            spec = LIMITS[f.name]
            raw = os.environ.get(spec.env, "").strip()
            values[f.name] = _positive_int(raw, spec.env) if raw else spec.default
        return cls(**values)


def _positive_int(raw: str, env: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise FormulationError([Issue("settings", f"{env}={raw!r} is not a whole number", "bad-value")]) from None
    if value < 1:
        raise FormulationError([Issue("settings", f"{env} must be at least 1", "bad-value")])
    return value


class Budget:
    """A deadline (monotonic clock; None for none) and the size limits of one run."""

    def __init__(self, seconds: float | None = None, limits: Limits | None = None,
                 setting: str = "--time-limit") -> None:
        self.deadline = None if seconds is None else time.monotonic() + max(0.0, float(seconds))
        self.limits = limits or Limits.from_env()
        self.setting = setting  # what the user changes to get more time
        self._ticks = 0

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def check_time(self, where: str) -> None:
        """Raise BuildTimeout when the deadline has passed."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BuildTimeout([Issue(where, f"time limit reached while building the model (raise {self.setting})",
                                      "time-limit")])

    def tick(self, where: str) -> None:
        """Cheap call for hot loops: looks at the clock every CHECK_EVERY calls."""
        self._ticks += 1
        if self._ticks % CHECK_EVERY == 0:
            self.check_time(where)

    def check_size(self, name: str, count: int, where: str) -> None:
        """Raise FormulationError (code size-limit) when `count` exceeds the limit `name`."""
        limit = getattr(self.limits, name)
        if count > limit:
            raise size_error(name, limit, where, count)


class LimitExceeded(FormulationError):
    """A size limit was passed (issue code `size-limit`); `located` puts it where the grounder was."""

    def __init__(self, name: str, limit: int, where: str, count: int | None = None) -> None:
        self.limit_name, self.limit, self.count = name, limit, count
        spec = LIMITS[name]
        found = "" if count is None else f" ({count} found)" if count < 10**7 else (
            f" (about {float(count):.3g} found)" if count < 10**300 else " (over 1e300 found)")
        super().__init__([Issue(where, f"more than {limit} {spec.what}{found}; make the model smaller, or raise "
                                f"the limit with {spec.env}", "size-limit")])

    def located(self, where: str) -> LimitExceeded:
        if self.issues[0].where != EXPRESSION or not where:
            return self
        return LimitExceeded(self.limit_name, self.limit, where, self.count)


EXPRESSION = "expression"  # where the algebra reports a limit; the grounder knows the row


def size_error(name: str, limit: int, where: str = EXPRESSION, count: int | None = None) -> LimitExceeded:
    return LimitExceeded(name, limit, where, count)


def limits_now() -> Limits:
    """The active budget's limits, else the defaults (cheap enough for the algebra's rare expensive paths)."""
    active_budget = _ACTIVE.get()
    return active_budget.limits if active_budget is not None else Limits.from_env()


_ACTIVE: ContextVar[Budget | None] = ContextVar("optcopilot_budget", default=None)
_BUILD_SECONDS: ContextVar[tuple[float, str] | None] = ContextVar("optcopilot_build_seconds", default=None)


def current() -> Budget:
    """The active budget, or a fresh default one (env limits; building gets OPTCOPILOT_BUILD_SECONDS)."""
    active_budget = _ACTIVE.get()
    if active_budget is not None:
        return active_budget
    seconds, setting = _BUILD_SECONDS.get() or (default_build_seconds(), BUILD_SECONDS_ENV)
    return Budget(seconds, setting=setting)


@contextmanager
def build_time(seconds: float, setting: str = "--time-limit") -> Iterator[None]:
    """Within this block each build that runs outside a budget (a formulation loop grounding one answer after
    another, say) gets `seconds` from its own start instead of OPTCOPILOT_BUILD_SECONDS."""
    token = _BUILD_SECONDS.set((seconds, setting))
    try:
        yield
    finally:
        _BUILD_SECONDS.reset(token)


def default_build_seconds() -> float:
    return env_positive(BUILD_SECONDS_ENV, DEFAULT_BUILD_SECONDS)


def env_positive(name: str, default: float) -> float:
    """A positive finite number from the environment variable `name`; `default` when unset or unusable."""
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default


@contextmanager
def active(budget: Budget) -> Iterator[Budget]:
    """Make `budget` the active one; inside an outer budget the earlier deadline wins."""
    outer = _ACTIVE.get()
    if outer is not None and outer.deadline is not None and (budget.deadline is None
                                                             or outer.deadline < budget.deadline):
        budget.deadline = outer.deadline
        budget.setting = outer.setting
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def within(seconds: float | None, setting: str = "--time-limit") -> AbstractContextManager[Budget]:
    """`with within(T):` a budget of T seconds from now (the limits from the environment, or the outer ones)."""
    outer = _ACTIVE.get()
    return active(Budget(seconds, outer.limits if outer is not None else None, setting))
