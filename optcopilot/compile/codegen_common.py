"""Shared pieces of the script emitters (Pyomo, OR-Tools): names, data literals, expression source.

Generated scripts never contain text copied from a formulation as code. Names of sets, parameters,
variables and loop indices are checked identifiers (renamed if they would clash with Python or the
script's own names, see `Namer`); data become Python literals via `py_literal` (strings with
`repr`); expressions are translated node by node from our parsed tree by `codegen_expr.ExprWriter`.

Conventions of the emitted data (the same as `optcopilot.ir.data`, keys flattened):
- a set is a list of its elements: scalars for a 1-D set, tuples for a k-D set; an indexed set is a
  dict from its index key to such a list;
- an indexed parameter is a dict keyed like sets (scalar key when its index has one component,
  tuple otherwise); a scalar parameter is a number;
- a loop index bound to a k-D element (k > 1) without unpacking holds a tuple.

Emitter-specific parts go in a `Dialect`: how a variable family is referenced and which functions
handle decision-variable expressions (sum over a generator, prod, exp, log, ..., abs, min, max; min
and max are called with one list argument). Data-only subexpressions always use plain Python
(`sum`, `math.exp`, builtin `min`, ...).
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from optcopilot.ir.data import Key, ModelData, ResolvedParam, ResolvedSet
from optcopilot.ir.validate import ParsedFormulation

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # used with fullmatch: `$` would accept a final "\n"

SCRIPT_NAMES = frozenset({
    "math", "json", "pyo", "model", "solver", "results", "status", "objective_value", "variables", "condition",
    "has_solution", "component", "key", "var", "name", "value", "flat_name", "key_text", "SOLVER", "TIME_LIMIT",
    "STATUS", "LIMITS", "VARIABLES", "SolverFactory", "identify_variables", "UnaryFunctionExpression", "RelationalExpression",
    "cp_model", "solution", "sys",
})
"""Names the emitted scripts use for themselves; IR symbols with these names are renamed."""

PY_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | SCRIPT_NAMES

FLAT_NAME_SOURCE = '''\
def key_text(key):
    """Index components joined by commas, as optcopilot names flat variables."""
    parts = key if isinstance(key, tuple) else (key,)
    return ",".join(str(c) for c in parts)


def flat_name(name, key):
    """`x` for a scalar variable, `x[1,a]` for an indexed one."""
    return name if key is None or key == () else f"{name}[{key_text(key)}]"
'''
"""Source of `key_text`/`flat_name` for scripts; equal to `ir.data.key_text` and `compile.instance.var_label`."""


class CodegenError(ValueError):
    """The formulation uses something the target script language cannot express."""


def check_identifier(name: str) -> str:
    """Return `name` if it is a plain identifier (letters, digits, underscores); raise otherwise."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise CodegenError(f"{name!r} is not a valid identifier")
    return name


def safe_identifier(text: str, fallback: str = "item") -> str:
    """An identifier made from free text (`cap-1 a` -> `cap_1_a`), or `fallback` if nothing is left."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", str(text)).strip("_")
    if not name or not name[0].isalpha():
        name = f"{fallback}_{name}" if name else fallback
    return name[:60]


class Namer:
    """Stable, unique Python identifiers for IR names (renamed with trailing `_` when reserved)."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.reserved = set(PY_RESERVED) | set(reserved)
        self.assigned: dict[str, str] = {}
        self.used: set[str] = set()

    def __call__(self, ir_name: str) -> str:
        if ir_name not in self.assigned:
            self.assigned[ir_name] = self.fresh(check_identifier(ir_name))
        return self.assigned[ir_name]

    def local(self, base: str) -> str:
        """A function-local name clashing with nothing handed out (not recorded: locals may repeat)."""
        name = check_identifier(base)
        while name in self.reserved or name in self.used:
            name += "_"
        return name

    def fresh(self, base: str) -> str:
        """A new identifier derived from `base`, never handed out before."""
        name = check_identifier(base)
        while name in self.reserved or name in self.used:
            name += "_"
        self.used.add(name)
        return name


# ---- data literals -----------------------------------------------------------------------------

def py_literal(value: Any) -> str:
    """Python source for a data value: numbers, strings (repr), None, bools, tuples, lists, dicts."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return "math.inf" if value > 0 else "-math.inf"
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise CodegenError(f"cannot write a literal for {type(value).__name__}")


def number_literal(value: float) -> str:
    """A number as short source: integral values as ints (exact keys and ranges), others as floats."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return py_literal(float(value))


def data_key(key: Key) -> Any:
    """How a key appears in emitted data: the component itself for 1-component keys, else the tuple."""
    return key[0] if len(key) == 1 else tuple(key)


def wrap_lines(items: list[str], indent: str = "    ", width: int = 100) -> str:
    """Comma-separated items over several lines when long (for big literals)."""
    text = ", ".join(items)
    if len(text) <= width:
        return text
    lines, cur = [], ""
    for item in items:
        piece = item + ", "
        if cur and len(cur) + len(piece) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += piece
    if cur:
        lines.append(cur.rstrip())
    return "\n" + "\n".join(indent + line for line in lines) + "\n"


def elements_source(rs: ResolvedSet) -> str:
    """A list literal of all elements (for an indexed set: the union of its member lists)."""
    return "[" + wrap_lines([py_literal(data_key(e)) for e in rs.elements]) + "]"


def set_source(rs: ResolvedSet) -> str:
    """A list literal of the elements, or for an indexed set a dict literal of member lists."""
    if rs.members is not None:
        items = [f"{py_literal(data_key(k))}: [{', '.join(py_literal(data_key(e)) for e in v)}]"
                 for k, v in rs.members.items()]
        return "{" + wrap_lines(items) + "}"
    return elements_source(rs)


def param_source(rp: ResolvedParam) -> str:
    """A number for a scalar parameter, else a dict literal keyed like `data_key`."""
    if not rp.index:
        return number_literal(float(rp.scalar if rp.scalar is not None else math.nan))
    items = [f"{py_literal(data_key(k))}: {number_literal(v)}" for k, v in rp.table.items()]
    return "{" + wrap_lines(items) + "}"


def comment(text: str, limit: int = 200) -> str:
    """Text made safe for one `#` comment line (no newlines or control characters)."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text))
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def data_section(parsed: ParsedFormulation, data: ModelData, names: Callable[[str], str]) -> list[str]:
    """The `# ---- data ----` block both emitters share: one literal per set and parameter, with its description."""
    f = parsed.formulation
    lines = ["# ---- data ----"]
    for s in f.sets:
        if s.description:
            lines.append(f"# {comment(s.description)}")
        lines.append(f"{names(s.name)} = {set_source(data.sets[s.name])}")
    for p in f.parameters:
        if p.description:
            lines.append(f"# {comment(p.description)}")
        lines.append(f"{names(p.name)} = {param_source(data.params[p.name])}")
    return lines
