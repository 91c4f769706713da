"""What the LLM sees: compact instructions, our own worked examples, the LLM-facing JSON schema, repair text.

Two surfaces: ``json`` (schema-constrained JSON close to the IR) and ``dsl`` (the restricted modelling
language of :mod:`optcopilot.formulate.dsl`). The system prompt is fixed per surface so the backend's prompt
cache can reuse it; the problem text always comes last.
"""

from __future__ import annotations

import json
import re
from typing import Any

from optcopilot.ir.model import Formulation

SURFACES = ("json", "dsl")
_NAME = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,40}$"}
_NUM = {"type": "number"}
_ELEM = {"anyOf": [{"type": "string"}, {"type": "integer"}]}

LLM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sets": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": _NAME, "elements": {"type": "array", "items": _ELEM, "minItems": 1}},
            "required": ["name", "elements"], "additionalProperties": False}},
        "parameters": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": _NAME, "index": {"type": "array", "items": _NAME},
                           "value": {"anyOf": [_NUM, {"type": "array", "items": {
                               "anyOf": [_NUM, {"type": "array", "items": _NUM}]}}]}},
            "required": ["name", "index", "value"], "additionalProperties": False}},
        "variables": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {"name": _NAME, "description": {"type": "string"},
                           "index": {"type": "array", "items": _NAME},
                           "type": {"enum": ["continuous", "integer", "binary"]},
                           "lb": {"type": ["number", "null"]}, "ub": {"type": ["number", "null"]}},
            "required": ["name", "description", "index", "type", "lb", "ub"], "additionalProperties": False}},
        "objective": {"type": "object",
                      "properties": {"sense": {"enum": ["maximize", "minimize"]}, "expression": {"type": "string"}},
                      "required": ["sense", "expression"], "additionalProperties": False},
        "constraints": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": _NAME, "expression": {"type": "string"}, "forall": {"type": "string"}},
            "required": ["name", "expression", "forall"], "additionalProperties": False}},
    },
    "required": ["sets", "parameters", "variables", "objective", "constraints"],
    "additionalProperties": False,
}

_COMMON = """Rules:
- Every number in the problem goes into parameters or directly into expressions; read them carefully.
- Variables are >= 0 by default. Use "integer" for counts of whole things (people, items, trucks,\
 vehicles), "binary" for yes/no choices.
- Expressions use + - * / ** , sum(a[i]*x[i] for i in I), min, max, abs, exp, log, sqrt.
- Constraints are comparisons with <=, >= or ==. A constraint with forall "i in I" repeats for every i.
- Percentages: "at least 30% of total" is x >= 0.3*(x + y).
- Give each variable a short description that repeats the problem's wording."""

_JSON_RULES = """You turn an optimization word problem into a model in JSON with five parts:
sets (finite index sets), parameters (named data), variables, objective, constraints.
""" + _COMMON + """
- Small problems need no sets and no parameters: one scalar variable per decision (index []) and the
  numbers written directly in the expressions. Parameters are only for data indexed by sets.
- Parameter values: a number (index []), or a list aligned with the elements of its index sets.
- forall is "" when the constraint is not repeated."""

_DSL_RULES = """You turn an optimization word problem into a model written in a small modelling language:
  I = set("a", "b")          index set      budget = 450                 number
  c = param([3, 4], I)       data over I    x = var(integer, desc="...")  variable (integer/binary/continuous)
  y = var(I, lb=0, ub=10)    indexed var    maximize(...) or minimize(...)
  subject_to(expr <= rhs, name="...")       constraint; inside "for i in I:" it repeats for every i
Write only these statements (no imports, no other Python), one per line, inside a ```python block.
""" + _COMMON + """
- Small problems need no sets: use one scalar variable per decision."""

_EX1_TEXT = ("A bakery makes bread and cakes. A loaf of bread uses 2 kg of flour and 1 hour of oven time; a cake "
             "uses 1 kg of flour and 3 hours. 100 kg of flour and 120 oven hours are available. Profit is $3 per "
             "loaf and $5 per cake. At most 30 cakes can be sold. How many of each should be made to maximize "
             "profit?")
_EX1: dict[str, Any] = {
    "sets": [], "parameters": [],
    "variables": [
        {"name": "bread", "description": "number of loaves of bread", "index": [], "type": "integer",
         "lb": 0, "ub": None},
        {"name": "cake", "description": "number of cakes", "index": [], "type": "integer", "lb": 0, "ub": None}],
    "objective": {"sense": "maximize", "expression": "3*bread + 5*cake"},
    "constraints": [
        {"name": "flour", "expression": "2*bread + 1*cake <= 100", "forall": ""},
        {"name": "oven", "expression": "1*bread + 3*cake <= 120", "forall": ""},
        {"name": "cake_demand", "expression": "cake <= 30", "forall": ""}],
}
_EX2_TEXT = ("Warehouses W1, W2 hold 40 and 60 tons. Stores S1, S2 need 30 and 50 tons. Cost per ton from W1 is "
             "4 and 6, from W2 is 5 and 3 to S1, S2. Minimize the shipping cost.")
_EX2: dict[str, Any] = {
    "sets": [{"name": "W", "elements": ["W1", "W2"]}, {"name": "S", "elements": ["S1", "S2"]}],
    "parameters": [
        {"name": "supply", "index": ["W"], "value": [40, 60]},
        {"name": "demand", "index": ["S"], "value": [30, 50]},
        {"name": "cost", "index": ["W", "S"], "value": [[4, 6], [5, 3]]}],
    "variables": [{"name": "ship", "description": "tons shipped from w to s", "index": ["W", "S"],
                   "type": "continuous", "lb": 0, "ub": None}],
    "objective": {"sense": "minimize", "expression": "sum(cost[w,s]*ship[w,s] for w in W for s in S)"},
    "constraints": [
        {"name": "supply_limit", "expression": "sum(ship[w,s] for s in S) <= supply[w]", "forall": "w in W"},
        {"name": "meet_demand", "expression": "sum(ship[w,s] for w in W) >= demand[s]", "forall": "s in S"}],
}
_EX1_DSL = """bread = var(integer, desc="number of loaves of bread")
cake = var(integer, desc="number of cakes")
maximize(3*bread + 5*cake)
subject_to(2*bread + 1*cake <= 100, name="flour")
subject_to(1*bread + 3*cake <= 120, name="oven")
subject_to(cake <= 30, name="cake_demand")"""
_EX2_DSL = """W = set("W1", "W2")
S = set("S1", "S2")
supply = param([40, 60], W)
demand = param([30, 50], S)
cost = param([[4, 6], [5, 3]], W, S)
ship = var(W, S, desc="tons shipped from w to s")
minimize(sum(cost[w,s]*ship[w,s] for w in W for s in S))
for w in W:
    subject_to(sum(ship[w,s] for s in S) <= supply[w], name="supply_limit")
for s in S:
    subject_to(sum(ship[w,s] for w in W) >= demand[s], name="meet_demand")"""


def legacy_examples() -> list[tuple[str, str]]:
    """The legacy pipeline's two fixed worked examples as (problem, DSL answer) pairs."""
    return [(_EX1_TEXT, f"```python\n{_EX1_DSL}\n```"), (_EX2_TEXT, f"```python\n{_EX2_DSL}\n```")]


def system_prompt(surface: str) -> str:
    """The fixed instructions for a surface."""
    return _JSON_RULES if surface == "json" else _DSL_RULES


def example_messages(surface: str) -> list[dict[str, str]]:
    """Two worked examples as user/assistant turns (ours, not from any benchmark)."""
    if surface == "json":
        answers = [json.dumps(_EX1, separators=(",", ":")), json.dumps(_EX2, separators=(",", ":"))]
    else:
        answers = [f"```python\n{_EX1_DSL}\n```", f"```python\n{_EX2_DSL}\n```"]
    return [{"role": "user", "content": _EX1_TEXT}, {"role": "assistant", "content": answers[0]},
            {"role": "user", "content": _EX2_TEXT}, {"role": "assistant", "content": answers[1]}]


def problem_message(text: str, data_lines: str = "") -> str:
    """The user turn: the problem, plus the names and shapes of data we loaded from tables."""
    if not data_lines:
        return text.strip()
    return (text.strip() + "\n\nThese sets and parameters are ALREADY DEFINED from the data tables; use them by "
            "name and do not define them again:\n" + data_lines)


def repair_message(error: str, surface: str) -> str:
    """The follow-up turn asking for a corrected model."""
    form = "the corrected complete JSON model" if surface == "json" else "the corrected complete model in a ```python block"
    return f"Your model has a problem:\n{error}\nFix it and reply with {form}."


def llm_json_to_formulation(data: Any) -> Formulation:
    """Convert the LLM-facing JSON (``LLM_SCHEMA``, leniently) to the IR."""
    if not isinstance(data, dict):
        raise ValueError("the answer must be a JSON object with sets, parameters, variables, objective, constraints")
    out: dict[str, Any] = {"sets": [], "parameters": [], "variables": [], "constraints": []}
    for s in data.get("sets") or []:
        if isinstance(s, dict):
            out["sets"].append({k: v for k, v in s.items() if k in ("name", "elements", "range", "description")})
    for p in data.get("parameters") or []:
        if isinstance(p, dict):
            out["parameters"].append({k: v for k, v in p.items()
                                      if k in ("name", "index", "value", "default", "description")})
    for v in data.get("variables") or []:
        if isinstance(v, dict):
            item = {k: val for k, val in v.items() if k in ("name", "description", "index", "lb", "ub")}
            item["domain"] = v.get("type", v.get("domain", "continuous"))
            if "lb" not in v:
                item["lb"] = 0.0
            out["variables"].append(item)
    taken: set[str] = set()
    for n, c in enumerate(data.get("constraints") or [], start=1):
        if isinstance(c, dict):
            item = {k: val for k, val in c.items() if k in ("name", "expression", "forall", "description")}
            if not item.get("forall"):
                item["forall"] = None
            name = str(item.get("name") or f"c{n}")
            base, k = name, 2
            while name in taken:  # repeated names are a slip, not a modelling error
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            item["name"] = name
            out["constraints"].append(item)
    obj = data.get("objective")
    if isinstance(obj, dict):
        out["objective"] = {k: v for k, v in obj.items() if k in ("sense", "expression", "name", "description")}
    return Formulation.model_validate(out)


# the staged surface: five sections, each written under its own grammar ------------------------------------
STAGED_RULES = """You write optimization models in a small modelling language, in five sections:
# sets          I = set("a", "b")   or   T = range(1, 5)   (elements 1..4)
# parameters    data given for each element of sets (tables): cost = param([3, 4], I), d = param([[1, 2], [3, 4]], I, J)
# variables     x = var(I, integer, desc="...")   types: integer, binary, continuous; lb=, ub= for bounds
# objective     maximize(expr)   or   minimize(expr)
# constraints   subject_to(lhs <= rhs, name="...")   repeated with: for i in I:
Expressions: + - * / **, sum(c[i] * x[i] for i in I), abs, min, max, exp, log, sqrt.
Rules:
- Write single numbers of the problem directly in the expressions; sets and parameters are for tables.
- A percentage is a fraction: 30% is 0.3. Variables are >= 0 unless lb= says otherwise.
- integer for counts of whole things (people, items, trucks), binary for yes/no choices, else continuous.
- Every variable gets a desc= in the problem's words.
- One constraint for each limit, requirement or relation the problem states."""

_EX1_STAGED = """```python
# sets
# parameters
# variables
bread = var(integer, desc="number of loaves of bread")
cake = var(integer, desc="number of cakes")
# objective
maximize(3 * bread + 5 * cake)
# constraints
subject_to(2 * bread + 1 * cake <= 100, name="flour")
subject_to(1 * bread + 3 * cake <= 120, name="oven")
subject_to(cake <= 30, name="cake_demand")
```"""
_EX2_STAGED = """```python
# sets
W = set("W1", "W2")
S = set("S1", "S2")
# parameters
supply = param([40, 60], W)
demand = param([30, 50], S)
cost = param([[4, 6], [5, 3]], W, S)
# variables
ship = var(W, S, continuous, desc="tons shipped from w to s")
# objective
minimize(sum(cost[w, s] * ship[w, s] for w in W for s in S))
# constraints
for w in W:
    subject_to(sum(ship[w, s] for s in S) <= supply[w], name="supply_limit")
for s in S:
    subject_to(sum(ship[w, s] for w in W) >= demand[s], name="meet_demand")
```"""
FIXED_STAGED_EXAMPLES: list[tuple[str, str]] = [(_EX1_TEXT, _EX1_STAGED), (_EX2_TEXT, _EX2_STAGED)]

# the compact surface (`Techniques.compact`): no descriptions, no generic constraint names
STAGED_RULES_COMPACT = (STAGED_RULES
                        .replace('x = var(I, integer, desc="...")', "x = var(I, integer)")
                        .replace('subject_to(lhs <= rhs, name="...")', "subject_to(lhs <= rhs)")
                        .replace("- Every variable gets a desc= in the problem's words.\n", ""))
_DESC = re.compile(r', desc="[^"\n]*"')
_GENERIC_NAME = re.compile(r', name="c\d+"')


def compact_answer(answer: str) -> str:
    """A worked example's answer without variable descriptions and generic constraint names (`name="c3"`)."""
    return _GENERIC_NAME.sub("", _DESC.sub("", answer))


def staged_messages(text: str, examples: list[tuple[str, str]], data_lines: str = "",
                    compact: bool = False) -> list[dict[str, str]]:
    """System rules (fixed, so the prompt cache reuses them), worked examples as turns, then the problem."""
    messages = [{"role": "system", "content": STAGED_RULES_COMPACT if compact else STAGED_RULES}]
    for problem, answer in examples:
        messages += [{"role": "user", "content": problem},
                     {"role": "assistant", "content": compact_answer(answer) if compact else answer}]
    messages.append({"role": "user", "content": problem_message(text, data_lines)})
    return messages


def staged_repair_messages(base: list[dict[str, str]], rejected: str, error: str) -> list[dict[str, str]]:
    """The conversation for a repair: the rejected answer, what is wrong with it, and a request to fix it."""
    return [*base, {"role": "assistant", "content": rejected},
            {"role": "user", "content": f"Your model has a problem:\n{error}\nWrite the corrected complete model."}]
