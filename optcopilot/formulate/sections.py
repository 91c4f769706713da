"""Print a formulation as a five-section DSL answer, in the exact shape the section grammars write.

Used for worked examples (the bank) and to show a model back. Returns None for what the section grammars
cannot write (indexed sets, conditional loops, parameters over more than two sets, dict-valued data), so an
example never teaches a shape the model is then not allowed to produce.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from optcopilot.formulate.grammar import FENCE_CLOSE, FENCE_OPEN, header
from optcopilot.ir.model import Formulation

_LOOP = re.compile(r"^\s*([a-z][a-z0-9_]{0,3})\s+in\s+([A-Za-z][A-Za-z0-9_]*)\s*$")


class _SumOfTerms(ast.NodeTransformer):
    """`sum(a, b, c)` (several plain arguments) → `a + b + c`, the only sum shape the grammar does not write."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "sum" and len(node.args) > 1 and not node.keywords:
            total: ast.expr = node.args[0]
            for arg in node.args[1:]:
                total = ast.BinOp(left=total, op=ast.Add(), right=arg)
            return total
        return node


class _Inline(ast.NodeTransformer):
    """Scalar parameters replaced by their numbers (worked examples write numbers where they are used)."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.values and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Constant(self.values[node.id]), node)
        return node


def _expr(text: str, scalars: dict[str, float] | None = None) -> str | None:
    try:
        tree = _SumOfTerms().visit(ast.parse(text, mode="eval"))
        if scalars:
            tree = _Inline(scalars).visit(tree)
        text = ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        return None
    while (fixed := _single_generator_parens(text)) != text:
        text = fixed
    return text



def _single_generator_parens(text: str) -> str:
    """`sum((e for i in I))` → `sum(e for i in I)` (ast.unparse keeps a generator's own parentheses)."""
    out, i = [], 0
    while i < len(text):
        j = text.find("((", i)
        if j < 0 or j == 0 or not (text[j - 1].isalnum() or text[j - 1] == "_"):
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j + 1])
            i = j + 1
            continue
        depth, k = 0, j + 1
        while k < len(text):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        if k + 1 < len(text) and text[k + 1] == ")" and " for " in text[j + 2:k]:
            out.append(text[i:j + 1] + text[j + 2:k])
            i = k + 1
        else:
            out.append(text[i:j + 1])
            i = j + 1
    return "".join(out)


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _list(value: Any) -> str | None:
    if isinstance(value, list):
        parts = [_list(v) for v in value]
        return None if any(p is None for p in parts) else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _num(value)
    return None


def _element(e: Any) -> str | None:
    if isinstance(e, int) and not isinstance(e, bool):
        return str(e)
    if isinstance(e, str) and re.fullmatch(r"[A-Za-z0-9_ .&'/-]{1,30}", e):
        return '"' + e + '"'
    return None


def _clean_number(v: float) -> float | int:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v


def default_description(name: str) -> str:
    """`NumSandwiches` / `num_sandwiches` → "num sandwiches" (for a variable without a description)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")
    return " ".join(words.lower().split())


def to_sectioned_dsl(f: Formulation, *, inline_scalars: bool = True) -> str | None:
    """The formulation as a fenced five-section answer, or None if a section grammar could not write it.

    With `inline_scalars` numbers are written where they are used and the parameters section holds only
    data indexed by sets (tables), the compact shape small models get right most often; every variable
    carries a description (the variable's own, else one made from its name).
    """
    scalars = {p.name: _clean_number(float(p.value)) for p in f.parameters
               if inline_scalars and not p.index and isinstance(p.value, int | float) and not isinstance(p.value, bool)}
    lines = [FENCE_OPEN + header("sets").rstrip("\n")]
    for s in f.sets:
        if s.index or s.members:
            return None
        if s.range is not None:
            lines.append(f"{s.name} = range({s.range[0]}, {s.range[1] + 1})")
            continue
        elems = [_element(e) for e in s.elements or []]
        if not elems or any(e is None for e in elems):
            return None
        lines.append(f"{s.name} = set({', '.join(elems)})")  # type: ignore[arg-type]
    lines.append(header("parameters").rstrip("\n"))
    for p in f.parameters:
        if p.name in scalars:
            continue
        if len(p.index) > 2 or p.default is not None:
            return None
        value = _list(p.value) if p.index else (_num(p.value) if isinstance(p.value, int | float) else None)
        if value is None:
            return None
        lines.append(f"{p.name} = {value}" if not p.index else f"{p.name} = param({value}, {', '.join(p.index)})")
    lines.append(header("variables").rstrip("\n"))
    for v in f.variables:
        args = [*v.index, v.domain]
        if v.domain != "binary":
            named = {p.name for p in f.parameters if not p.index}
            for key, bound in (("lb", v.lb), ("ub", v.ub)):
                if isinstance(bound, str) and bound not in named:
                    return None  # an expression bound: the grammar only takes a number or a scalar parameter
                if isinstance(bound, str) and bound in scalars:
                    bound = float(scalars[bound])
                if key == "lb" and bound is None:
                    args.append("lb=None")
                elif bound is not None and not (key == "lb" and bound == 0):
                    args.append(f"{key}={bound if isinstance(bound, str) else _num(bound)}")
        desc = re.sub(r'["\\\n]', "", v.description or default_description(v.name))[:80].strip()
        args.append(f'desc="{desc or v.name}"')
        lines.append(f"{v.name} = var({', '.join(args)})")
    lines.append(header("objective").rstrip("\n"))
    objective = _expr(f.objective.expression, scalars)
    if objective is None:
        return None
    lines.append(f"{f.objective.sense}({objective})")
    lines.append(header("constraints").rstrip("\n"))
    for c in f.constraints:
        body = _expr(c.expression, scalars)
        if body is None:
            return None
        loops = [] if not c.forall else [_LOOP.match(part) for part in c.forall.split(",")]
        if any(m is None for m in loops):
            return None
        pad = ""
        for m in loops:
            lines.append(f"{pad}for {m.group(1)} in {m.group(2)}:")  # type: ignore[union-attr]
            pad += "    "
        lines.append(f'{pad}subject_to({body}, name="{c.name}")')
    return "\n".join(lines) + "\n" + FENCE_CLOSE
