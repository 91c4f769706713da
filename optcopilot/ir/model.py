"""The five-element formulation (sets, parameters, variables, objective, constraints).

This is the one shared currency between stages: the LLM writes it, compilers read it,
the equivalence checker compares two of them. Pure data; no behaviour beyond (de)serialisation.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Element = str | int
"""One element of a set. Tuple-valued elements (multi-index sets) are lists of these."""

ParamValue = float | int | str | list[Any] | dict[str, Any] | None
"""A scalar, or values laid out along the parameter's index sets (list, nested list or dict)."""

Domain = Literal["continuous", "integer", "binary"]
Sense = Literal["minimize", "maximize"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SetDef(_Strict):
    """A finite set: explicit `elements`, or an integer `range` [start, end] (inclusive).

    An indexed set (`index` given) holds one member list per element of its index sets, in
    `members`, keyed by the element (multi-dimensional keys joined with a comma).
    """

    name: str
    description: str = ""
    elements: list[Element | list[Element]] | None = None
    range: list[int] | None = Field(default=None, description="[start, end], both included")
    index: list[str] = Field(default_factory=list)
    members: dict[str, list[Element | list[Element]]] | None = None


class ParamDef(_Strict):
    """A constant: a scalar `value`, or values indexed by `index` sets.

    Indexed values may be a list aligned with the set's elements (nested for several sets), or a
    dict keyed by element (nested, or flat with comma-joined keys). Missing entries take `default`.
    The strings "inf" and "-inf" stand for infinities.
    """

    name: str
    description: str = ""
    index: list[str] = Field(default_factory=list)
    value: ParamValue = None
    default: float | None = None


class VarDef(_Strict):
    """A decision variable (family). `lb`/`ub` are numbers, expressions of the index, or null (infinite)."""

    name: str
    description: str = ""
    index: list[str] = Field(default_factory=list)
    domain: Domain = "continuous"
    lb: float | str | None = 0.0
    ub: float | str | None = None

    @field_validator("domain", mode="before")
    @classmethod
    def _normalise_domain(cls, value: Any) -> Any:
        aliases = {"real": "continuous", "reals": "continuous", "float": "continuous", "int": "integer",
                   "integers": "integer", "bool": "binary", "boolean": "binary", "binaries": "binary"}
        if isinstance(value, str):
            low = value.strip().lower()
            return aliases.get(low, low)
        return value


class ObjectiveDef(_Strict):
    sense: Sense
    expression: str
    name: str = "objective"
    description: str = ""

    @field_validator("sense", mode="before")
    @classmethod
    def _normalise_sense(cls, value: Any) -> Any:
        if isinstance(value, str):
            low = value.strip().lower()
            return {"min": "minimize", "max": "maximize", "minimise": "minimize", "maximise": "maximize"}.get(low, low)
        return value


class ConstraintDef(_Strict):
    """`expression` holds a comparison (`<=`, `>=`, `==`, or `lo <= e <= hi`), repeated over `forall`."""

    name: str
    expression: str
    forall: str | None = Field(default=None, description="e.g. 'i in I, j in J if i != j'")
    description: str = ""


class Formulation(_Strict):
    """A complete optimization model in five elements."""

    name: str = "model"
    description: str = ""
    sets: list[SetDef] = Field(default_factory=list)
    parameters: list[ParamDef] = Field(default_factory=list)
    variables: list[VarDef] = Field(default_factory=list)
    objective: ObjectiveDef
    constraints: list[ConstraintDef] = Field(default_factory=list)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(_finite(self.model_dump(exclude_defaults=False)), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Formulation:
        return cls.model_validate(json.loads(text))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.model_json_schema()

    def symbol(self, name: str) -> SetDef | ParamDef | VarDef | None:
        for group in (self.sets, self.parameters, self.variables):
            for item in group:
                if item.name == name:
                    return item
        return None


def formulation_from_text(text: str) -> Formulation:
    """Parse IR JSON text; ValueError with a one-line reason (malformed JSON, not an object, first schema error)."""
    from pydantic import ValidationError

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValueError("JSON nests too deeply to be a formulation") from None
    except ValueError as exc:  # e.g. an integer literal with thousands of digits
        raise ValueError(f"unreadable JSON: {str(exc).splitlines()[0][:120]}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object with the five elements")
    try:
        return Formulation.model_validate(data)
    except RecursionError:
        raise ValueError("JSON nests too deeply to be a formulation") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ValueError(f"invalid formulation at {loc}: {first['msg']}") from None


def _finite(obj: Any) -> Any:
    """Replace float infinities (not JSON) by the strings the IR accepts for them."""
    if isinstance(obj, float) and math.isinf(obj):
        return "inf" if obj > 0 else "-inf"
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
