"""Map a solver prediction onto a benchmark's human-labelled reference keys, without an LLM.

OptiBench-style references are labels such as ``"Quantity of Laptop"`` or
``"The maximum profit you can get"``. A prediction is an objective value plus variable
values keyed by code names (``x``, ``x[1]``, ``num_laptops``) with optional human
descriptions. The objective key goes to the objective; every other key is matched to a
variable by token similarity and a one-to-one greedy assignment above a minimum score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

OBJECTIVE = "<objective>"
DEFAULT_MIN_SCORE = 0.34

_STOPWORDS_TEXT = """
a an the of to in on for by and or is are be been being should would could can will
that this these those with at from as each per its it their there we you your our
how many much what which who whom get got do does did has have had if then than
number numbers num nbr no quantity quantities qty amount amounts count value values
val var variable variables decision optimal
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
IRREGULAR = {
    "built": "build",
    "sold": "sell",
    "bought": "buy",
    "made": "make",
    "grown": "grow",
    "grew": "grow",
    "spent": "spend",
    "sent": "send",
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "cordinate": "coordinate",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?")
_PARTIAL_CREDIT = 0.8
_NUMBER_MISMATCH = 0.5
_EXTRA_NUMBER = 0.85


def stem(word: str) -> str:
    """Tiny suffix stemmer: plurals, -ing/-ed, trailing e, doubled consonants."""
    w = IRREGULAR.get(word, word)
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or re.search(r"(x|ch|sh)es$", w):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    stripped = False
    if w.endswith("ied") and len(w) > 4:
        w, stripped = w[:-3] + "y", True
    elif w.endswith("ing") and len(w) > 5:
        w, stripped = w[:-3], True
    elif w.endswith("ed") and len(w) > 4:
        w, stripped = w[:-2], True
    if stripped and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouslz":
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Normalised content tokens: camel/snake split, lower case, stemmed, stopwords removed."""
    words = _WORD.findall(_CAMEL.sub(" ", text.replace("_", " ")))
    out = []
    for raw in words:
        word = raw.lower()
        if word in STOPWORDS:
            continue
        out.append(stem(word))
    return out


def _token_match(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a.replace(".", "").isdigit() or b.replace(".", "").isdigit():
        return 0.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return _PARTIAL_CREDIT
    return 0.0


def _dice(key: Sequence[str], cand: Sequence[str]) -> float:
    if not key or not cand:
        return 0.0
    free = list(dict.fromkeys(cand))
    matched = 0.0
    for tok in dict.fromkeys(key):
        best, best_i = 0.0, -1
        for i, other in enumerate(free):
            m = _token_match(tok, other)
            if m > best:
                best, best_i = m, i
        if best_i >= 0:
            matched += best
            free.pop(best_i)
    n_key, n_cand = len(set(key)), len(set(cand))
    return 2.0 * matched / (n_key + n_cand)


def _numbers(toks: Iterable[str]) -> set[str]:
    return {t for t in toks if t.replace(".", "").isdigit()}


def similarity(key: str, name: str, description: str = "") -> float:
    """Score in [0, 1] between a reference label and a variable name + description."""
    key_t = tokens(key)
    name_t, desc_t = tokens(name), tokens(description)
    score = max(_dice(key_t, name_t), _dice(key_t, desc_t), _dice(key_t, name_t + desc_t))
    key_nums = _numbers(key_t)
    cand_nums = _numbers(name_t) or _numbers(desc_t)  # an index in the name wins
    if key_nums and cand_nums and not key_nums & cand_nums:
        score *= _NUMBER_MISMATCH
    elif cand_nums and not key_nums:
        score *= _EXTRA_NUMBER
    return score


@dataclass
class Prediction:
    """What a solved model reports: objective, variable values, optional descriptions."""

    objective: float | None
    values: dict[str, float] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    objective_description: str = ""


@dataclass
class KeyMapping:
    """Reference key -> prediction source (variable name or ``OBJECTIVE``) and value."""

    mapping: dict[str, str]
    values: dict[str, float]
    scores: dict[str, float]
    unmapped: list[str]


def _candidates(pred: Prediction, with_objective: bool) -> dict[str, tuple[str, str, float]]:
    cands = {name: (name, pred.descriptions.get(name, ""), val) for name, val in pred.values.items()}
    if with_objective and pred.objective is not None:
        desc = pred.objective_description or "objective total optimal value"
        cands[OBJECTIVE] = ("objective", desc, pred.objective)
    return cands


def _greedy(
    keys: Sequence[str], cands: Mapping[str, tuple[str, str, float]], min_score: float
) -> dict[str, tuple[str, float]]:
    pairs = []
    for ki, key in enumerate(keys):
        for cname, (name, desc, _) in cands.items():
            s = similarity(key, name, desc)
            if s >= min_score:
                pairs.append((-s, ki, cname))
    pairs.sort()
    used_keys: set[str] = set()
    used_cands: set[str] = set()
    out: dict[str, tuple[str, float]] = {}
    for neg, ki, cname in pairs:
        key = keys[ki]
        if key in used_keys or cname in used_cands:
            continue
        used_keys.add(key)
        used_cands.add(cname)
        out[key] = (cname, -neg)
    return out


def map_keys(
    reference_keys: Sequence[str],
    prediction: Prediction,
    objective_key: str | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> KeyMapping:
    """Map every reference key to a prediction value; keys below ``min_score`` stay unmapped."""
    mapping: dict[str, str] = {}
    values: dict[str, float] = {}
    scores: dict[str, float] = {}
    rest = list(reference_keys)
    if objective_key is not None and objective_key in rest and prediction.objective is not None:
        mapping[objective_key], values[objective_key] = OBJECTIVE, float(prediction.objective)
        scores[objective_key] = 1.0
        rest.remove(objective_key)
    cands = _candidates(prediction, with_objective=objective_key is None)
    for key, (cname, s) in _greedy(rest, cands, min_score).items():
        mapping[key], values[key], scores[key] = cname, float(cands[cname][2]), round(s, 4)
    unmapped = [k for k in reference_keys if k not in mapping]
    return KeyMapping(mapping=mapping, values=values, scores=scores, unmapped=unmapped)
