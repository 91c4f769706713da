"""Resolve the data of a formulation: set elements and parameter tables as Python values.

Keys of indexed data are always tuples of set-element components (a 2-D set contributes two).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from optcopilot.ir import budget
from optcopilot.ir.errors import FormulationError, Issue
from optcopilot.ir.model import Formulation, ParamDef, SetDef
from optcopilot.ir.numbers import NumberError, as_number

__all__ = ["Key", "ModelData", "ResolvedParam", "ResolvedSet", "as_number", "key_text", "max_set_size",
           "resolve_data"]

Key = tuple[Any, ...]


def max_set_size() -> int:
    """Largest set (or index product) we agree to build: the active budget's limit (OPTCOPILOT_MAX_SET_SIZE)."""
    return budget.current().limits.set_size


@dataclass
class ResolvedSet:
    name: str
    dimen: int
    elements: list[Key]  # each element as a tuple of components, in declaration order
    members: dict[Key, list[Key]] | None = None  # for indexed sets
    index: list[str] = field(default_factory=list)
    _lookup: set[Key] | None = None
    _by_text: dict[str, Key] | None = None

    def by_text(self) -> dict[str, Key]:
        """Elements keyed by their text form (`a`, `1,b`), as JSON keys name them."""
        if self._by_text is None:
            self._by_text = {key_text(e): e for e in self.elements}
        return self._by_text

    def __contains__(self, key: Key) -> bool:
        if self._lookup is None:
            self._lookup = set(self.elements)
        return key in self._lookup

    def describe(self, limit: int = 6) -> str:
        shown = [_fmt(e) for e in self.elements[:limit]]
        more = ", …" if len(self.elements) > limit else ""
        return "{" + ", ".join(shown) + more + "}"


@dataclass
class ResolvedParam:
    name: str
    index: list[str]
    scalar: float | None = None
    table: dict[Key, float] = field(default_factory=dict)
    default: float | None = None


@dataclass
class ModelData:
    sets: dict[str, ResolvedSet]
    params: dict[str, ResolvedParam]

    def index_dimen(self, index: list[str]) -> int:
        return sum(self.sets[s].dimen for s in index)

    def product(self, index: list[str]) -> list[Key]:
        """All keys of the cartesian product of the index sets, in order."""
        keys: list[Key] = [()]
        limit = max_set_size()
        for name in index:
            elements = self.sets[name].elements
            if len(keys) * max(len(elements), 1) > limit:
                raise budget.size_error("set_size", limit, f"index {index}", len(keys) * len(elements))
            keys = [k + e for k in keys for e in elements]
        return keys


def _fmt(key: Key) -> str:
    return str(key[0]) if len(key) == 1 else "(" + ", ".join(str(c) for c in key) + ")"


def key_text(key: Key) -> str:
    """How a key is shown inside brackets: `1,a`."""
    return ",".join(str(c) for c in key)


def _element(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(f"{value} cannot be a set element")
        if value.is_integer():
            return int(value)
    return value


def _as_key(value: Any) -> Key:
    if isinstance(value, list | tuple):
        return tuple(_element(v) for v in value)
    return (_element(value),)


def resolve_data(f: Formulation) -> ModelData:
    """Resolve sets then parameters; collect every issue before raising."""
    issues: list[Issue] = []
    sets: dict[str, ResolvedSet] = {}
    clock = budget.current()
    entries = 0
    for s in f.sets:
        clock.check_time(f"set {s.name!r}")
        try:
            sets[s.name] = resolved = _resolve_set(s, sets)
        except FormulationError as exc:
            issues.extend(exc.issues)
            continue
        entries += len(resolved.elements) + sum(len(m) for m in (resolved.members or {}).values())
        clock.check_size("data_entries", entries, f"set {s.name!r}")
    data = ModelData(sets, {})
    for p in f.parameters:
        clock.check_time(f"parameter {p.name!r}")
        try:
            data.params[p.name] = resolved_param = _resolve_param(p, data)
        except FormulationError as exc:
            issues.extend(exc.issues)
            continue
        entries += len(resolved_param.table)
        clock.check_size("data_entries", entries, f"parameter {p.name!r}")
    if issues:
        raise FormulationError(issues)
    return data


def _resolve_set(s: SetDef, known: dict[str, ResolvedSet]) -> ResolvedSet:
    where = f"set {s.name!r}"
    if s.range is not None:
        if s.elements is not None:
            raise FormulationError([Issue(where, "give either 'elements' or 'range', not both", "bad-value")])
        if len(s.range) not in (1, 2):
            raise FormulationError([Issue(where, "range must be [start, end] (both included)", "bad-value")])
        start, end = (1, s.range[0]) if len(s.range) == 1 else (s.range[0], s.range[1])
        size = end - start + 1
        if size > max_set_size():
            raise budget.size_error("set_size", max_set_size(), where, size)
        return ResolvedSet(s.name, 1, [(i,) for i in range(start, end + 1)])
    if s.index:
        missing = [i for i in s.index if i not in known]
        if missing:
            raise FormulationError([Issue(where, f"index set {missing[0]!r} is not declared before it", "unknown-symbol")])
        return _resolve_indexed_set(s, known)
    if s.elements is None:
        raise FormulationError([Issue(where, "needs 'elements' (a list) or 'range' [start, end]", "missing")])
    if len(s.elements) > max_set_size():
        raise budget.size_error("set_size", max_set_size(), where, len(s.elements))
    try:
        elements = [_as_key(e) for e in s.elements]
    except NumberError as exc:
        raise FormulationError([Issue(where, str(exc), "bad-value")]) from None
    dims = {len(e) for e in elements}
    if len(dims) > 1:
        raise FormulationError([Issue(where, f"elements mix tuple lengths {sorted(dims)}", "bad-value")])
    if len(set(elements)) != len(elements):
        seen: set[Key] = set()
        dup = next(e for e in elements if e in seen or seen.add(e))  # type: ignore[func-returns-value]
        raise FormulationError([Issue(where, f"element {_fmt(dup)} appears twice", "bad-value")])
    return ResolvedSet(s.name, dims.pop() if dims else 1, elements)


def _resolve_indexed_set(s: SetDef, known: dict[str, ResolvedSet]) -> ResolvedSet:
    where = f"set {s.name!r}"
    outer = [k for k in _product(known, s.index)]
    by_text = {key_text(k): k for k in outer}
    members: dict[Key, list[Key]] = {k: [] for k in outer}
    dimen = 1
    for raw_key, items in (s.members or {}).items():
        key = by_text.get(str(raw_key).replace(" ", "").strip("()"))
        if key is None:
            raise FormulationError([Issue(where, f"member key {raw_key!r} is not an element of {s.index}",
                                          "index-out-of-set")])
        try:
            keys = [_as_key(e) for e in items]
        except NumberError as exc:
            raise FormulationError([Issue(where, str(exc), "bad-value")]) from None
        if keys:
            dimen = len(keys[0])
        members[key] = keys
    union: list[Key] = []
    seen: set[Key] = set()
    for keys in members.values():
        for k in keys:
            if k not in seen:
                seen.add(k)
                union.append(k)
    return ResolvedSet(s.name, dimen, union, members, list(s.index))


def _product(known: dict[str, ResolvedSet], index: list[str]) -> list[Key]:
    return ModelData(known, {}).product(index)


def _resolve_param(p: ParamDef, data: ModelData) -> ResolvedParam:
    where = f"parameter {p.name!r}"
    missing = [i for i in p.index if i not in data.sets]
    if missing:
        raise FormulationError([Issue(where, f"index set {missing[0]!r} is not a declared set", "unknown-symbol")])
    out = ResolvedParam(p.name, list(p.index), default=p.default)
    if p.default is not None:
        try:
            out.default = as_number(p.default)
        except NumberError as exc:
            raise FormulationError([Issue(where, f"default {_shown(p.default)}: {exc}", "bad-value")]) from None
    if not p.index:
        if p.value is None:
            raise FormulationError([Issue(where, "a scalar parameter needs a numeric 'value'", "missing")])
        try:
            out.scalar = as_number(p.value)
        except NumberError as exc:
            raise FormulationError([Issue(where, f"value {_shown(p.value)}: {exc}", "bad-value")]) from None
        return out
    levels = [data.sets[s] for s in p.index]
    issues: list[Issue] = []
    _fill(p.value, levels, (), out.table, where, issues)
    if issues:
        raise FormulationError(issues[:10])
    if p.default is None:
        expected = 1
        for lv in levels:
            expected *= len(lv.elements)
        if len(out.table) < expected and p.value is not None and not isinstance(p.value, dict):
            issues.append(Issue(where, f"has {len(out.table)} values but its index {p.index} has {expected} "
                                "elements", "bad-value"))
            raise FormulationError(issues)
    return out


def _fill(value: Any, levels: list[ResolvedSet], prefix: Key, table: dict[Key, float], where: str,
          issues: list[Issue]) -> None:
    if not levels:
        try:
            table[prefix] = as_number(value)
        except NumberError as exc:
            issues.append(Issue(where, f"value at [{key_text(prefix)}] is {_shown(value)}: {exc}", "bad-value"))
        return
    level, rest = levels[0], levels[1:]
    if value is None:
        return
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        for e in level.elements:  # broadcast a scalar over the remaining index
            _fill(value, rest, prefix + e, table, where, issues)
        return
    if isinstance(value, list):
        if len(value) != len(level.elements):
            issues.append(Issue(where, f"list at [{key_text(prefix) or 'top'}] has {len(value)} entries but set "
                                f"{level.name!r} has {len(level.elements)} elements {level.describe()}", "bad-value"))
            return
        for e, item in zip(level.elements, value, strict=True):
            _fill(item, rest, prefix + e, table, where, issues)
        return
    if isinstance(value, dict):
        by_text = level.by_text()
        for raw, item in value.items():
            text = str(raw).replace(" ", "").strip("()[]").replace("'", "").replace('"', "")
            element = by_text.get(text)
            if element is not None:
                _fill(item, rest, prefix + element, table, where, issues)
                continue
            flat = _match_flat(text, [level, *rest])
            if flat is None:
                issues.append(Issue(where, f"key {raw!r} is not an element of set {level.name!r} "
                                    f"{level.describe()}", "index-out-of-set"))
                continue
            _fill(item, [], prefix + flat, table, where, issues)
        return
    issues.append(Issue(where, f"cannot read values of type {type(value).__name__}", "bad-value"))


def _shown(value: Any) -> str:
    """A short quote of a data value (a 400-digit integer is shown by its length)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "a very long integer"
    return repr(str(value)[:40])


def _match_flat(text: str, levels: list[ResolvedSet]) -> Key | None:
    parts = text.split(",")
    if len(parts) != sum(lv.dimen for lv in levels):
        return None
    key: Key = ()
    pos = 0
    for lv in levels:
        chunk = ",".join(parts[pos:pos + lv.dimen])
        pos += lv.dimen
        match = lv.by_text().get(chunk)
        if match is None:
            return None
        key += match
    return key
