"""Reference answers as the datasets spell them: numbers with commas or `$`, infeasibility markers, dicts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from optcopilot.eval.problems import OBJECTIVE_KEY, SkipRecord

INFEASIBLE_SENTINELS = frozenset({-9999.0, -99999.0})
INFEASIBLE_TEXTS = frozenset(
    {"no best solution", "infeasible", "no feasible solution", "no solution", "infeasible or unbounded"}
)


@dataclass(frozen=True)
class ParsedAnswer:
    """A reference answer: value, infeasibility, or a parse error."""

    value: float | None
    infeasible: bool = False
    error: str | None = None


def parse_number(raw: Any) -> float | None:
    """Parse a finite number from int/float/str (commas, $, spaces tolerated); else None."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        cleaned = re.sub(r"[,$\s\u00a0]", "", raw)
        try:
            value = float(cleaned)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def parse_answer(raw: Any) -> ParsedAnswer:
    """Parse an objective reference: number, infeasible marker, or ``{status, obj}`` dict."""
    if isinstance(raw, dict):
        status = str(raw.get("status", "")).strip().lower()
        if status.startswith("infeasible"):
            return ParsedAnswer(None, infeasible=True)
        if raw.get("obj") is None:
            return ParsedAnswer(None, error="missing answer")
        return parse_answer(raw["obj"])
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ParsedAnswer(None, error="missing answer")
    if isinstance(raw, str) and raw.strip().lower() in INFEASIBLE_TEXTS:
        return ParsedAnswer(None, infeasible=True)
    value = parse_number(raw)
    if value is None:
        return ParsedAnswer(None, error="unparseable answer")
    if value in INFEASIBLE_SENTINELS:
        return ParsedAnswer(None, infeasible=True)
    return ParsedAnswer(value)


def objective_answers(raw: Any) -> tuple[dict[str, float | None], bool]:
    parsed = parse_answer(raw)
    if parsed.error:
        raise SkipRecord(parsed.error, repr(raw)[:80])
    return {OBJECTIVE_KEY: parsed.value}, parsed.infeasible

