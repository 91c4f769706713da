"""The data half of an NLP4LP reference: parameters with shapes become index sets and parameter tables.

A shape is a list of count-parameter names (`["NumIngredients", "NumSandwichTypes"]`); each count
parameter becomes a range set 0..N-1, because gurobipy code indexes with `range(N)`. A value whose nesting
disagrees with its shape, a shape naming something that is not an integer count, or a declared parameter
without data is an `ImportFailure` reason, never a repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from optcopilot.io.gurobipy_reader import Symbols
from optcopilot.ir.model import ParamDef, SetDef


class ImportFailure(ValueError):
    """A reference that cannot be imported without guessing; `reason` says where and why."""

    def __init__(self, item_id: str, reason: str) -> None:
        self.item_id = item_id
        self.reason = reason
        super().__init__(f"NLP4LP item {item_id}: {reason}")


@dataclass
class DataModel:
    """Sets, parameter definitions and the symbol table the gurobipy reader resolves names against."""

    sets: list[SetDef] = field(default_factory=list)
    params: list[ParamDef] = field(default_factory=list)
    symbols: Symbols = field(default_factory=Symbols)


_PREFIX = re.compile(r"^(NumberOf|NumOf|Number|Num|N|Total|Count)(?=[A-Z])")


def set_name_for(count_param: str, taken: set[str]) -> str:
    """`NumIngredients` -> `Ingredients`; falls back to `<name>_set` when the short name is taken."""
    short = _PREFIX.sub("", count_param)
    for candidate in (short, f"{count_param}_set", f"{count_param}_range"):
        if candidate and candidate != count_param and candidate not in taken and candidate[0].isalpha():
            return candidate
    raise ValueError(f"no free set name for {count_param!r}")


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_nesting(value: Any, sizes: list[int], name: str) -> str | None:
    """None when `value` is a nested list of numbers with exactly `sizes`, else why not."""
    if not sizes:
        return None if _number(value) else f"parameter {name!r}: expected a number, got {type(value).__name__}"
    if not isinstance(value, list):
        return f"parameter {name!r}: expected a list of {sizes[0]}, got {type(value).__name__}"
    if len(value) != sizes[0]:
        return f"parameter {name!r}: {len(value)} values but its shape says {sizes[0]}"
    for item in value:
        why = check_nesting(item, sizes[1:], name)
        if why:
            return why
    return None


def build_data(item_id: str, shapes: dict[str, list[Any]], data: dict[str, Any],
               descriptions: dict[str, str] | None = None, reserved: set[str] | None = None) -> DataModel:
    """Sets and parameters for `shapes` (name -> list of count-parameter names) filled from `data`."""
    descriptions = descriptions or {}
    out = DataModel()
    taken = set(shapes) | set(reserved or ())
    for name, shape in shapes.items():
        if name not in data:
            raise ImportFailure(item_id, f"parameter {name!r} is declared but has no data")
        for dim in shape:
            if not isinstance(dim, str) or dim not in data:
                raise ImportFailure(item_id, f"parameter {name!r}: shape entry {dim!r} is not a count parameter")
            if _count(data[dim]) is None or _count(data[dim]) < 0:  # type: ignore[operator]
                raise ImportFailure(item_id, f"parameter {name!r}: shape entry {dim!r} = {data[dim]!r} "
                                             "is not a non-negative integer")
            if dim not in out.symbols.dim_sets:
                set_name = set_name_for(dim, taken)
                taken.add(set_name)
                out.symbols.dim_sets[dim] = set_name
                out.sets.append(SetDef(name=set_name, range=[0, _count(data[dim]) - 1],  # type: ignore[operator]
                                       description=f"0 .. {dim} - 1"))
        why = check_nesting(data[name], [_count(data[d]) for d in shape], name)  # type: ignore[misc]
        if why:
            raise ImportFailure(item_id, why)
        out.params.append(ParamDef(name=name, description=descriptions.get(name, ""),
                                   index=[out.symbols.dim_sets[d] for d in shape], value=data[name]))
        out.symbols.params[name] = list(shape)
    return out


def add_count_set(out: DataModel, item_id: str, dim: str, data: dict[str, Any], taken: set[str]) -> str:
    """The index set of a count parameter first used by a variable's shape."""
    if dim in out.symbols.dim_sets:
        return out.symbols.dim_sets[dim]
    if dim not in out.symbols.params or out.symbols.params[dim] or _count(data.get(dim)) is None:
        raise ImportFailure(item_id, f"shape entry {dim!r} is not a count parameter")
    set_name = set_name_for(dim, taken | {s.name for s in out.sets})
    out.symbols.dim_sets[dim] = set_name
    out.sets.append(SetDef(name=set_name, range=[0, _count(data[dim]) - 1],  # type: ignore[operator]
                           description=f"0 .. {dim} - 1"))
    return set_name
