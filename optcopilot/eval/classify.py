"""What a problem's text says about it: its type (linear/nonlinear, table/no table) and, among OptiBench's
result labels, which one is the objective."""

from __future__ import annotations

import re
from typing import Any

from optcopilot.eval.keymap import tokens

OPTIBENCH_TYPES = frozenset({"linear-notable", "linear-table", "nonlinear-notable", "nonlinear-table"})
LINEARITY = {
    "lp": "linear",
    "ip": "linear",
    "ilp": "linear",
    "mip": "linear",
    "milp": "linear",
    "linear": "linear",
    "nlp": "nonlinear",
    "minlp": "nonlinear",
    "qp": "nonlinear",
    "nonlinear": "nonlinear",
}

_MD_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_TABLE_REFS = (
    re.compile(r"\bTable\s*(?:\d|:)"),  # "Table 6", "Table 1-18", "Table:"
    re.compile(r"\b(?:following|below|above|shown in the|given in the|in the)\s+tables?\b", re.IGNORECASE),
    re.compile(r"\btables?\s+(?:below|above|gives|shows|lists|contains)\b", re.IGNORECASE),
    re.compile(r"\\begin\{(?:tabular|array)\}"),
)


def has_table(text: str) -> bool:
    """Heuristic: the text embeds tabular data (markdown/LaTeX rows or a reference to a table).

    Furniture ("coffee tables") and seating ("at table 1") do not count.
    """
    return len(_MD_ROW.findall(text)) >= 2 or any(p.search(text) for p in _TABLE_REFS)


def linearity(label: Any) -> str:
    """Map a problem-type label (LP, MILP, NLP, ...) to linear / nonlinear / unknown."""
    return LINEARITY.get(str(label or "").strip().lower(), "unknown")


def make_ptype(lin: str, text: str) -> str:
    """OptiBench-style type: ``<linear|nonlinear|unknown>-<table|notable>``."""
    return f"{lin}-{'table' if has_table(text) else 'notable'}"


# --------------------------------------------------------------------------- objective key

_STRONG = re.compile(
    r"\b(total|maxim(?:um|ized|ised|al)|minim(?:um|ized|ised|al)|profit|cost|revenue|objective|optimum)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(optimal|largest|smallest|highest|lowest|greatest)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\s(?:that|to|for|which|so)\s.*$", re.IGNORECASE)
_PHRASE = r"([^.,;?!\n]{0,100})"
_GOAL_PATTERNS = (
    re.compile(r"\b(?:maximi[sz]\w*|minimi[sz]\w*|reduce|increase)\b" + _PHRASE, re.IGNORECASE),
    re.compile(
        r"(\w+)\s+(?:is|are)\s+(?:a\s+)?(?:maximum|minimum|maximi[sz]ed|minimi[sz]ed)\b", re.IGNORECASE
    ),
    re.compile(
        r"\b(?:smallest|largest|lowest|highest|fewest|greatest|maximum|minimum|(?<!at\s)least|(?<!at\s)most)\b"
        + _PHRASE,
        re.IGNORECASE,
    ),
)


def _keyword_score(key: str) -> int:
    # "radius of the cylinder that minimizes the cost" -> "radius of the cylinder"
    head = _CLAUSE.sub("", key)
    if _STRONG.search(head):
        return 2
    return 1 if _WEAK.search(head) else 0


def _goal_phrase(question: str) -> list[str]:
    for pattern in _GOAL_PATTERNS:
        matches = pattern.findall(question)
        if matches:
            return tokens(matches[-1])
    return []


def _phrase_score(key: str, goal: set[str]) -> int:
    key_t = list(dict.fromkeys(tokens(key)))
    overlap = len(goal & set(key_t))
    head_ok = bool(key_t) and key_t[0] in goal  # "length of the rope" -> "length"
    return overlap if head_ok or overlap * 2 > len(key_t) else 0


def _phrase_choice(question: str, keys: list[str]) -> str | None:
    goal = set(_goal_phrase(question))
    if not goal:
        return None
    scored = [_phrase_score(k, goal) for k in keys]
    best = max(scored)
    if best == 0:
        return None
    tied = [k for k, s in zip(keys, scored, strict=True) if s == best]
    if len(tied) == 1:
        return tied[0]
    return keys[-1] if keys[-1] in tied and len(keys) >= 3 else None


def guess_objective_key(question: str, keys: list[str]) -> str | None:
    """Pick the objective among OptiBench result labels; None when it cannot be told.

    1. a single key is the objective; 2. labels whose head (before a that/to/for clause)
    says total/maximum/minimum/profit/cost/... win, ties -> the last; 3. otherwise match
    the goal phrase of the question ("maximize the number of meals delivered").
    """
    if not keys:
        return None
    if len(keys) == 1:
        return keys[0]
    scores = [_keyword_score(k) for k in keys]
    best = max(scores)
    if best > 0:
        return [k for k, s in zip(keys, scores, strict=True) if s == best][-1]
    return _phrase_choice(question, keys)

