"""Cheap verifiers of a formulation against the problem text (no LLM): each failed check is a repair message.

Hard checks refuse an answer outright: numbers that do not come from the problem (the model copied a worked
example or invented data), variables about things only a shown worked example talks about (a copy with the
numbers changed), a model with neither a constraint nor a declared bound for a problem that states limits. Soft checks ask for one repair (with `soft_repairs`) and keep the earlier answer if the repair is no
better: problem numbers the model never used, an objective sense against the question's wording, counts
declared continuous, a limit written against the direction the text states ("at least 10" as `x <= 10`). Three
soft checks are *urgent* (they always ask for their repair): a number the problem gives only as a percentage
(40%) used as a plain number (40), a solution that is all zeros, and parameters filled with copies of one list
of numbers that the problem states only once. On the final answers of the OptiBench 150 and NL4Opt 60 runs of
session 4: 0 of the 8 with a percentage as a number were right, 1 of the 12 all-zero ones, 0 of the 9 without
constraints; none of the 197 bank references trips these. Copied data (session 11): on every attempt of the 33
committed runs it trips on 20 answers of 8 problems (1 to 3 per run), every one a problem that ended wrong, and
on none of the 199 bank and fixed worked examples.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from optcopilot.formulate.sections import default_description
from optcopilot.ir.model import Formulation, VarDef

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
_COUNT_DESC = re.compile(r"\s*(?:the\s+)?(?:total\s+)?(?:number|count)\s+of\s+(?:the\s+)?([A-Za-z]+)", re.IGNORECASE)
_MEASURE_WORDS = (
    "hour hours minute minutes second seconds day days week weeks month months year years acre acres hectare "
    "hectares kg kilogram kilograms kilo kilos gram grams g pound pounds lb lbs ton tons tonne tonnes liter liters "
    "litre litres ml milliliters millilitres gallon gallons ounce ounces oz cup cups square cubic feet foot meter "
    "meters metre metres mile miles km kilometers kilometres dollars dollar euros money kwh kw mw megawatts "
    "barrels barrel calories percent percentage fraction proportion share amount")
_MEASURES = frozenset(_MEASURE_WORDS.split())  # "the number of <unit>" measures, it does not count
REL = 1e-6
ALIEN_SHARE = 0.25  # refuse a model when at least this share of its distinct numbers are foreign


@dataclass(frozen=True)
class Finding:
    """One failed check: a stable code, the repair message, and whether it refuses the answer."""

    code: str  # alien-numbers, copied-example, no-constraints, percent-as-number, missing-numbers, ...
    message: str
    hard: bool
    section: str  # the first section a repair should rewrite
    urgent: bool = False  # soft, but so rarely right that it asks for a repair even with soft repairs off


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


def _value_numbers(value: object) -> list[float]:
    """The numbers of a parameter value (a number or nested lists/dicts of numbers)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [n for v in items for n in _value_numbers(v)]


def _parameter_numbers(f: Formulation) -> list[float]:
    return [n for p in f.parameters for n in _value_numbers(p.value)]


def formulation_numbers(f: Formulation) -> list[float]:
    """Every number a formulation states: parameter values, numbers in expressions, numeric bounds."""
    out = _parameter_numbers(f)
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


_NAME_STOPWORDS_TEXT = (
    "the and for with from that this these those each every per total number numbers amount amounts quantity "
    "quantities units unit count used using produced produce made make making whether binary integer variable "
    "variables value values many much their which item items index")
_NAME_STOPWORDS = frozenset(_NAME_STOPWORDS_TEXT.split())


def _content_words(text: str) -> list[str]:
    """Lower-case words of a name or description (camelCase split), without short and generic ones."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [w for w in (m.lower() for m in re.findall(r"[A-Za-z]+", spaced)) if len(w) >= 4
            and w not in _NAME_STOPWORDS]


def _mentions(words: Iterable[str], text_words: set[str]) -> bool:
    """Some word shares its first five letters (the whole word if shorter) with a word of the text."""
    return any(any(t[:len(w[:5])] == w[:5] for t in text_words if len(t) >= len(w[:5])) for w in words)


def borrowed_variables(f: Formulation, problem: str, example_texts: Iterable[str]) -> list[str]:
    """Variables about things only a shown example talks about: no content word of the variable's name or
    description is in the problem text, and one is in an example's text ("NumPigeons" in a busing problem)."""
    problem_words = {w.lower() for w in re.findall(r"[A-Za-z]+", problem)}
    examples = [{w.lower() for w in re.findall(r"[A-Za-z]+", t)} for t in example_texts]
    out = []
    for v in f.variables:
        words = _content_words(v.name) + _content_words(v.description or "")
        if words and not _mentions(words, problem_words) and any(_mentions(words, e) for e in examples):
            out.append(v.name)
    return out


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
    borrowed = borrowed_variables(f, problem, [t for t, _ in examples])
    if len(borrowed) >= 2 and len(borrowed) == len(f.variables):
        return [Finding("copied-example", f"{copy}: its variables ({', '.join(borrowed[:4])}) are about things "
                        "only the worked example talks about. Write the model of THIS problem with its own "
                        "variables and numbers.", True, "sets")]
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


_LIMIT_WORDS = re.compile(r"\b(at (?:least|most)|no (?:more|less|fewer) than|exceed|must|minimum|maximum|up to|"
                          r"limit\w*|budget|capacity|available|requir\w*|demand\w*|only|cannot|can't)\b",
                          re.IGNORECASE)


# Soft findings that, standing on a final answer, mostly mark a wrong model. Final answers of the session-5
# OptiBench 150 / NL4Opt 60 runs: unused problem numbers 3 right of 33, foreign numbers 2/10, all zero 1/8, a
# reversed limit or objective sense 0/4, a percentage as a number 0/1; counts declared continuous 10/21 (no better than any answer: excluded).
TELLING = frozenset({"missing-numbers", "alien-numbers", "all-zero", "limit-direction", "objective-sense",
                     "percent-as-number", "copied-data"})


def telling(findings: Iterable[Finding]) -> int:
    """How many of the findings are telling ones (see TELLING)."""
    return sum(f.code in TELLING for f in findings)


def declares_bound(v: VarDef) -> bool:
    """The variable states a limit in `var(...)`: an upper bound, or a lower bound other than 0."""
    return v.ub is not None or (v.lb is not None and v.lb != 0)


def check_structure(f: Formulation, problem: str) -> list[Finding]:
    """Hard: no constraint at all although the problem states limits (e.g. a repair that deleted them).

    Limits: a limit word ("at most", "budget", ...) or a number of the text that the model does not use. A model
    whose variables declare bounds (`ub=3`, `lb=10`) may state its limits there and is not refused.
    """
    if f.constraints or any(declares_bound(v) for v in f.variables):
        return []
    used = formulation_numbers(f)
    unused = [v for v in text_numbers(problem).data if not _trivial(v) and not any(_close(v, u) for u in used)]
    if not _LIMIT_WORDS.search(problem) and not unused:
        return []
    return [Finding("no-constraints", "The model has no constraints, but the problem states limits. Write one "
                    "subject_to(...) line for each limit the problem states (at least, at most, budget, capacity, "
                    "demand).", True, "constraints")]


def percent_only_numbers(problem: str) -> list[float]:
    """Numbers the text gives only as percentages ("40%", "40 percent"), never as plain numbers."""
    percent: set[float] = set()
    plain: set[float] = set()
    for m in _NUMBER.finditer(problem):
        value = float(m.group(1).replace(",", ""))
        (percent if m.group(2) else plain).add(value)
    return sorted(v for v in percent - plain if v > 1 and not _trivial(v))


def check_percents(f: Formulation, problem: str) -> list[Finding]:
    """Urgent soft: a number given only as a percentage (40%) is used as a plain number (40), not as 0.4."""
    wanted = percent_only_numbers(problem)
    if not wanted:
        return []
    texts = [f.objective.expression, *(c.expression for c in f.constraints)]
    if any(re.search(r"/\s*100(?:\.0*)?(?![\d.])|\*\s*0?\.01(?![\d])", t) for t in texts):
        return []  # the model converts percentages itself
    used = formulation_numbers(f)
    misused = [v for v in wanted if any(_close(v, u) for u in used) and not any(_close(v / 100, u) for u in used)]
    if not misused:
        return []
    shown = ", ".join(f"{_fmt(v)}% as {_fmt(v)}" for v in misused[:4])
    share = _fmt(misused[0] / 100)
    return [Finding("percent-as-number", f"The model uses {shown}: a percentage is a share, so "
                    f"{_fmt(misused[0])}% is {share}. For example 'at most {_fmt(misused[0])}% of all items are X' "
                    f"is X <= {share} * (the total of all items).", False, _section_of_numbers(f, misused),
                    urgent=True)]


def check_copied_data(f: Formulation, problem: str, extra: Iterable[float] = ()) -> list[Finding]:
    """Urgent soft: several parameters hold the same list of numbers, more often than the problem states them.

    The model filled one parameter and copied it into the next ones (polishing times = crafting times). A
    problem that really gives the same numbers twice ("5 units of minerals ... 5 grams of sugar") states
    each of them as often as the model uses the list, and passes. `extra`: numbers of the data tables.
    """
    stated = [*text_numbers(problem).all, *extra]
    groups: dict[tuple[float, ...], list[str]] = {}
    for p in f.parameters:
        values = tuple(round(v, 9) for v in _value_numbers(p.value))
        if len(values) >= 2:
            groups.setdefault(values, []).append(p.name)
    for values, names in groups.items():
        if len(names) < 2:
            continue
        times = {v: sum(_close(v, s) for s in stated) for v in values if abs(v) not in (0, 1)}  # 0/1: membership
        short = [v for v, n in times.items() if n < len(names)]
        if short:
            shown = ", ".join(_fmt(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
            return [Finding("copied-data", f"The parameters {', '.join(names[:4])} hold the same numbers ({shown}), "
                            f"but the problem states {_fmt(short[0])} only "
                            f"{'once' if times[short[0]] <= 1 else 'fewer times'}. "
                            "Give each parameter the numbers the problem states for it.", False, "parameters",
                            urgent=True)]
    return []


def _section_of_numbers(f: Formulation, values: list[float]) -> str:
    """The first section that states one of `values` (a repair rewrites from there on)."""
    def has(numbers: Iterable[float]) -> bool:
        return any(_close(v, u) for v in values for u in numbers)

    if has(_parameter_numbers(f)):
        return "parameters"
    bounds = [float(b) for v in f.variables for b in (v.lb, v.ub) if isinstance(b, int | float)]
    if has(bounds):
        return "variables"
    if has(_expression_numbers(f.objective.expression)):
        return "objective"
    return "constraints"


_LOWER_BEFORE = re.compile(r"(?:at least|minimum of|a minimum|no less than|not less than|no fewer than|not fewer than)"
                           r"\s*\$?\s*$", re.IGNORECASE)
_UPPER_BEFORE = re.compile(r"(?:at most|maximum of|a maximum|no more than|not more than|up to|exceed|only|limit of|"
                           r"budget of)\s*\$?\s*$", re.IGNORECASE)
_COMPARATIVE = re.compile(r"\b(more|greater|larger|less|fewer|smaller) than\s*\$?\s*$", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|never|cannot)\b|n't", re.IGNORECASE)
_LOWER_AFTER = re.compile(r"^\s*(?:\w+\s+){0,2}or more\b", re.IGNORECASE)
_UPPER_AFTER = re.compile(r"^\s*(?:\w+\s+){0,2}or (?:less|fewer)\b", re.IGNORECASE)


def _direction(before: str, after: str) -> str | None:
    """"lower", "upper" or None: the kind of limit the words around a number state."""
    if _LOWER_BEFORE.search(before) or _LOWER_AFTER.search(after):
        return "lower"
    if _UPPER_BEFORE.search(before) or _UPPER_AFTER.search(after):
        return "upper"
    m = _COMPARATIVE.search(before)
    if not m:
        return None
    lower = m.group(1).lower() in ("more", "greater", "larger")
    if _NEGATION.search(before[:m.start()]):  # "does not want to spend more than 400000"
        lower = not lower
    return "lower" if lower else "upper"


def directed_numbers(problem: str) -> dict[float, str]:
    """Numbers the text states only as a lower limit ("at least 10": "lower") or only as an upper one."""
    seen: dict[float, set[str | None]] = {}
    for m in _NUMBER.finditer(problem):
        if m.group(2):
            continue  # percentages are shares of something else
        kind = _direction(problem[max(0, m.start() - 40):m.start()], problem[m.end():m.end() + 30])
        seen.setdefault(float(m.group(1).replace(",", "")), set()).add(kind)
    return {v: kind for v, kinds in seen.items() if len(kinds) == 1 for kind in kinds if kind is not None}


def _constant(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _limit(expression: str) -> tuple[str, float] | None:
    """`expr <= 10` -> ("upper", 10); `10 <= expr` -> ("lower", 10); None when neither side is a bare number."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or not isinstance(tree.ops[0], ast.LtE | ast.GtE):
        return None
    upper = isinstance(tree.ops[0], ast.LtE)
    left, right = _constant(tree.left), _constant(tree.comparators[0])
    if right is not None and left is None:
        return ("upper" if upper else "lower"), right
    if left is not None and right is None:
        return ("lower" if upper else "upper"), left
    return None


def check_directions(f: Formulation, problem: str) -> list[Finding]:
    """Soft: a limit the text states one way ("at least 10") is written the other way (`x <= 10`, `ub=10`).

    Not urgent: on the final answers of session 4 it flagged 6 wrong answers but also 2 right ones (NL4Opt),
    whose reversed limit was a harmless extra bound, and 1 of the 197 bank references (a dirty text).
    """
    directed = directed_numbers(problem)
    if not directed:
        return []
    wrong: list[str] = []
    bounds = False
    for v in f.variables:
        for side, bound in (("upper", v.ub), ("lower", v.lb)):
            if isinstance(bound, int | float) and bound and directed.get(float(bound), side) != side:
                wrong.append(f"{'ub' if side == 'upper' else 'lb'}={_fmt(float(bound))} on {v.name}")
                bounds = True
    for c in f.constraints:
        limit = _limit(c.expression)
        if limit and directed.get(limit[1], limit[0]) != limit[0]:
            wrong.append(f"`{c.expression[:80]}`")
    if not wrong:
        return []
    says = {"lower": "a lower limit (at least, minimum)", "upper": "an upper limit (at most, maximum)"}
    numbers = sorted({v for v in directed if any(_fmt(v) in w for w in wrong)})
    told = "; ".join(f"{_fmt(v)} is {says[directed[v]]}" for v in numbers[:4])
    return [Finding("limit-direction", f"The problem states {told}, but the model writes it the other way: "
                    + ", ".join(wrong[:4]) + ". Write each limit in the direction the problem states, on the "
                    "quantity it limits.", False, "variables" if bounds else "constraints")]


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


def is_count(description: str) -> bool:
    """The description says the variable counts whole things ("the number of vans"), not a measure ("the number
    of hours", "the number of acres")."""
    if re.match(r"\s*how many\b", description, re.IGNORECASE):
        return True
    m = _COUNT_DESC.match(description)
    return m is not None and m.group(1).lower() not in _MEASURES


def check_counts(f: Formulation) -> list[Finding]:
    """Soft: a variable described as a number of things is continuous.

    Soft only: datasets disagree on such variables. Making them integer outright turned 6 session-4 answers
    right (OptiBench 150, NL4Opt 60) but changed 10 of the 43 NLP4LP reference optima whose descriptions count
    things (servings, batches): NLP4LP models those as continuous.
    """
    names = [v.name for v in f.variables
             if v.domain == "continuous" and is_count(v.description or default_description(v.name))]
    if not names:
        return []
    return [Finding("continuous-count", "These variables count whole things but are continuous: "
                    + ", ".join(names[:8]) + ". Declare them integer unless fractions make sense.",
                    False, "variables")]


def check_solution(values: dict[str, float], sense: str) -> list[Finding]:
    """Urgent soft: every variable is zero at the optimum, so the model does nothing.

    In a minimization that is a requirement left out or reversed ("at least 300" as `<= 300`); in a
    maximization a reversed limit. On the final answers of session 4 (OptiBench 150, NL4Opt 60), 11 of 12
    all-zero answers were wrong (the right one: one of OptiBench's 9/595 references whose optimum is 0).
    """
    if not values or any(abs(v) > 1e-9 for v in values.values()):
        return []
    if sense == "min":
        advice = ("A problem that asks to minimize always requires something: check that each requirement it "
                  "states (at least, must, demand, orders) is a constraint, written with >= for at least.")
    else:
        advice = "Check the direction (<= or >=) of each constraint against the problem."
    return [Finding("all-zero", "Every variable is 0 at the optimum, so the model does nothing. " + advice, False,
                    "constraints", urgent=True)]


def _fmt(v: float) -> str:
    return f"{v:g}"
