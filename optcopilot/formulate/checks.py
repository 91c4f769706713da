"""Cheap verifiers of a formulation against the problem text (no LLM): each failed check is a repair message.

Hard checks refuse an answer outright: numbers that do not come from the problem (the model copied a worked
example or invented data). Soft checks ask for one repair and keep the earlier answer if the repair is no
better: problem numbers the model never used, an objective sense against the question's wording, counts
declared continuous, a solution that is all zeros.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from optcopilot.ir.model import Formulation

_NUMBER = re.compile(r"(?<![A-Za-z_\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(\s*%|\s*percent)?")
_WORDS = {"half": 0.5, "twice": 2, "double": 2, "triple": 3, "thrice": 3, "third": 1 / 3, "quarter": 0.25,
          "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50,
          "hundred": 100, "thousand": 1000, "dozen": 12, "million": 1e6}
_LABEL_BEFORE = re.compile(r"(?:[A-Z][a-z]*|type|product|plant|factory|warehouse|item|machine|period|week|day|"
                           r"month|year|stage|line|shift|route|option|model|project|region|zone|site|store)\s*$",
                           re.IGNORECASE)
_MAX_WORDS = ("maximi", "maximum", "most ", "highest", "largest", "greatest", "as much", "as many")
_MIN_WORDS = ("minimi", "minimum", "least", "lowest", "smallest", "fewest", "cheapest", "as little", "as few")
_COUNT_DESC = re.compile(r"^\s*(number|count|how many)\b", re.IGNORECASE)
REL = 1e-6
ALIEN_SHARE = 0.25  # refuse a model when at least this share of its distinct numbers are foreign


@dataclass(frozen=True)
class Finding:
    """One failed check: a stable code, the repair message, and whether it refuses the answer."""

    code: str  # alien-numbers, copied-example, missing-numbers, objective-sense, continuous-count, all-zero
    message: str
    hard: bool
    section: str  # the first section a repair should rewrite


@dataclass(frozen=True)
class TextNumbers:
    """The numbers of a problem text: every one, and those that look like data (not labels or years)."""

    all: tuple[float, ...]
    data: tuple[float, ...]


def text_numbers(text: str) -> TextNumbers:
    found: list[float] = []
    data: list[float] = []
    for m in _NUMBER.finditer(text):
        value = float(m.group(1).replace(",", ""))
        found.append(value)
        if m.group(2):
            found.append(value / 100)
        before = text[max(0, m.start() - 12):m.start()]
        is_label = value.is_integer() and value <= 20 and bool(_LABEL_BEFORE.search(before))
        is_year = value.is_integer() and 1900 <= value <= 2100
        if not (is_label or is_year):
            data.append(value / 100 if m.group(2) else value)
    lowered = text.lower()
    for word, value in _WORDS.items():
        if re.search(rf"\b{word}\b", lowered):
            found.append(value)
    return TextNumbers(tuple(found), tuple(data))


def _trivial(v: float) -> bool:
    a = abs(v)
    if a in (0, 0.5, 1, 2, 3, 4, 12, 24, 60, 100, 365, 1000):
        return True
    return a >= 10 and math.log10(a).is_integer()  # 10, 1e4, 1e6: units and big-M constants


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b)) or abs(a - b) <= 1e-9


def derivable(value: float, pool: Iterable[float]) -> bool:
    """A model number comes from the text: equal to a text number, its percent form, or one product/quotient/
    sum/difference of two text numbers (unit conversions, per-unit rates)."""
    v = abs(value)
    if _trivial(v):
        return True
    nums = sorted({abs(p) for p in pool if p != 0})
    for a in nums:
        if _close(v, a) or _close(v, a / 100) or _close(v, a * 100) or _close(v * a, 1):
            return True
    for i, a in enumerate(nums):
        for b in nums[i:]:
            if _close(v, a * b) or _close(v, a + b) or _close(v, abs(a - b)) or _close(v, a / b) or _close(v, b / a):
                return True
    return False


def formulation_numbers(f: Formulation) -> list[float]:
    """Every number a formulation states: parameter values, numbers in expressions, numeric bounds."""
    out: list[float] = []

    def walk_value(value: object) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            out.append(float(value))
        elif isinstance(value, list):
            for v in value:
                walk_value(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk_value(v)

    for p in f.parameters:
        walk_value(p.value)
    texts = [f.objective.expression, *(c.expression for c in f.constraints)]
    for v in f.variables:
        for bound in (v.lb, v.ub):
            if isinstance(bound, int | float) and not math.isinf(bound):
                out.append(float(bound))
            elif isinstance(bound, str):
                texts.append(bound)
    for text in texts:
        out.extend(_expression_numbers(text))
    return [v for v in out if math.isfinite(v)]


def _expression_numbers(text: str) -> list[float]:
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    powers = {id(n.right) for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)}
    return [float(n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, int | float) and not isinstance(n.value, bool) and id(n) not in powers]


def _stated(value: float, pool: Iterable[float]) -> bool:
    """The value is a text number as written, in percent form, or its reciprocal (no arithmetic between two)."""
    v = abs(value)
    return _trivial(v) or any(_close(v, a) or _close(v, a / 100) or _close(v, a * 100) or _close(v * a, 1)
                              for a in (abs(p) for p in pool if p != 0))


def copied_example(answer: str, examples: Iterable[str]) -> bool:
    """Most lines of the answer's model are lines of a shown worked example's answer."""
    lines = _model_lines(answer)
    if len(lines) < 3:
        return False
    for example in examples:
        shown = set(_model_lines(example))
        if shown and sum(line in shown for line in lines) >= 0.6 * len(lines):
            return True
    return False


def _model_lines(text: str) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in text.splitlines()
            if line.strip() and not line.strip().startswith(("#", "```"))]


def check_numbers(f: Formulation, problem: str, examples: Iterable[tuple[str, str]] = (),
                  extra: Iterable[float] = (), answer: str = "") -> list[Finding]:
    """Hard: a copied worked example, or numbers not from the problem; soft: problem numbers left unused.

    `examples` are the (problem, answer) pairs the model was shown; `extra` numbers from data tables.
    """
    numbers = text_numbers(problem)
    pool = [*numbers.all, *extra]
    if not pool:
        return []  # a problem that states no numbers gives the check nothing to compare with
    model = formulation_numbers(f)
    distinct = {round(v, 9) for v in model}
    alien = sorted({v for v in distinct if not derivable(v, pool)})
    findings: list[Finding] = []
    examples = list(examples)
    copy = "This model is a worked example's model, not a model of this problem"
    if answer and copied_example(answer, [a for _, a in examples]):
        return [Finding("copied-example", copy + ". Write the model of THIS problem with its own numbers.",
                        True, "parameters")]
    for example_text, _ in examples:
        ex = {round(v, 9) for v in text_numbers(example_text).data if not _trivial(v)}
        foreign = {v for v in ex if not _stated(v, pool)}
        if len(foreign) >= 2 and len(foreign & distinct) >= max(2, len(foreign) // 2):
            return [Finding("copied-example", f"{copy}: it uses the example's numbers ("
                            + ", ".join(_fmt(v) for v in sorted(foreign & distinct)[:8])
                            + "). Write the model of THIS problem with its own numbers.", True, "parameters")]
    if alien:
        # many foreign numbers: invented data, refused; one or a few: possibly a derivation we cannot see
        hard = len(alien) >= 2 and len(alien) >= ALIEN_SHARE * len(distinct)
        findings.append(Finding("alien-numbers", "These numbers are not in the problem: "
                                + ", ".join(_fmt(v) for v in alien[:8])
                                + ". Use only the numbers the problem gives.", hard, "parameters"))
    used = [*model]
    # small counts are usually the number of things (two products, three plants): sets or variables say them
    counts = {0.0, 1.0, 100.0, float(len(f.variables))} | {float(len(s.elements or [])) for s in f.sets} | {
        float(s.range[1] - s.range[0] + 1) for s in f.sets if s.range}
    missing = sorted({v for v in numbers.data if v not in counts and not (v >= 10 and _trivial(v)) and not any(
        _close(v, u) or _close(v / 100, u) or _close(v * 100, u) for u in used)})
    if missing and not findings:
        findings.append(Finding("missing-numbers", "These numbers of the problem are not used in the model: "
                                + ", ".join(_fmt(v) for v in missing[:10])
                                + ". Check whether a parameter or constraint that uses them is missing.",
                                False, "parameters"))
    return findings


def check_sense(f: Formulation, problem: str) -> list[Finding]:
    """Soft: the objective sense contradicts the question's wording (the last goal word decides)."""
    lowered = problem.lower()
    last_max = max((lowered.rfind(w) for w in _MAX_WORDS), default=-1)
    last_min = max((lowered.rfind(w) for w in _MIN_WORDS), default=-1)
    explicit_max = max(lowered.rfind("maximi"), lowered.rfind("maximum"))
    explicit_min = max(lowered.rfind("minimi"), lowered.rfind("minimum"))
    if explicit_max >= 0 or explicit_min >= 0:
        wanted = "max" if explicit_max > explicit_min else "min"
    elif last_max >= 0 or last_min >= 0:
        wanted = "max" if last_max > last_min else "min"
    else:
        return []
    if str(f.objective.sense).startswith(wanted):
        return []
    word = "maximize" if wanted == "max" else "minimize"
    return [Finding("objective-sense", f"The problem asks to {word}, but the model does the opposite. "
                    "Check the objective.", False, "objective")]


def check_counts(f: Formulation) -> list[Finding]:
    """Soft: a variable described as a number of things is continuous."""
    names = [v.name for v in f.variables if v.domain == "continuous" and _COUNT_DESC.search(v.description or "")]
    if not names:
        return []
    return [Finding("continuous-count", "These variables count whole things but are continuous: "
                    + ", ".join(names[:8]) + ". Declare them integer unless fractions make sense.",
                    False, "variables")]


def check_solution(values: dict[str, float], sense: str) -> list[Finding]:
    """Soft: every variable is zero in a maximization (a constraint direction is probably reversed)."""
    if sense == "max" and values and all(abs(v) <= 1e-9 for v in values.values()):
        return [Finding("all-zero", "Every variable is 0 at the optimum, so the model does nothing. Check the "
                        "direction (<= or >=) of each constraint against the problem.", False, "constraints")]
    return []


def _fmt(v: float) -> str:
    return f"{v:g}"
