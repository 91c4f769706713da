"""Reference formulations printed as DSL text, verified to read back to the same model.

The accuracy work uses imported references as worked examples; an example the DSL reader would misread
teaches the wrong thing, so `reference_dsl` prints with `optcopilot.formulate.dsl.to_dsl`, reads the text back
with `parse_dsl` and compares the two models element by element (expressions compared in our canonical
spelling, descriptions ignored: the DSL printer does not carry parameter and set descriptions).
"""

from __future__ import annotations

from typing import Any

from optcopilot.formulate.dsl import DSLError, parse_dsl, to_dsl
from optcopilot.ir.expr import ExprSyntaxError, domain_to_text, parse_domain, parse_expression, to_text
from optcopilot.ir.model import Formulation


class DSLRoundTripError(ValueError):
    """The printed DSL does not read back to the same model; the message names the first difference."""


def _canonical_expr(text: str) -> str:
    try:
        return to_text(parse_expression(text))
    except ExprSyntaxError:
        return text


def _canonical_domain(text: str | None) -> str:
    if not text:
        return ""
    try:
        return domain_to_text(parse_domain(text))
    except ExprSyntaxError:
        return text


def canonical_model(f: Formulation) -> dict[str, Any]:
    """The parts of a model that carry meaning, expressions in canonical spelling, descriptions dropped."""
    data = f.model_dump()
    out: dict[str, Any] = {}
    for group in ("sets", "parameters", "variables"):
        out[group] = [{k: v for k, v in item.items() if k != "description"} for item in data[group]]
    for var in out["variables"]:
        for key in ("lb", "ub"):
            if isinstance(var[key], str):
                var[key] = _canonical_expr(var[key])
            elif isinstance(var[key], int):
                var[key] = float(var[key])
    out["objective"] = {"sense": f.objective.sense, "expression": _canonical_expr(f.objective.expression)}
    out["constraints"] = [{"name": c.name, "expression": _canonical_expr(c.expression),
                           "forall": _canonical_domain(c.forall)} for c in f.constraints]
    return out


def first_difference(a: Any, b: Any, where: str = "model") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key} is missing on one side"
            diff = first_difference(a[key], b[key], f"{where}.{key}")
            if diff:
                return diff
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = first_difference(x, y, f"{where}[{n}]")
            if diff:
                return diff
        return None
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return None if float(a) == float(b) else f"{where}: {a!r} vs {b!r}"
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def reference_dsl(formulation: Formulation) -> str:
    """The formulation as DSL text; DSLRoundTripError if reading the text back gives another model."""
    text = to_dsl(formulation)
    try:
        back = parse_dsl(text)
    except DSLError as exc:
        raise DSLRoundTripError(f"the printed DSL does not parse: {exc}") from None
    diff = first_difference(canonical_model(formulation), canonical_model(back))
    if diff:
        raise DSLRoundTripError(f"the printed DSL reads back differently at {diff}")
    return text
