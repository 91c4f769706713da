"""The algebraic expression language: text parsed with `ast` into our own small tree.

Only whitelisted Python syntax is accepted; nothing is ever evaluated or executed. The tree
is what compilers, the validator and the renderers walk.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from optcopilot.ir.numbers import NumberError, checked_int

MAX_EXPR_CHARS = 20_000
MAX_NODES = 5_000
MAX_DEPTH = 60

FUNCTIONS = frozenset({"abs", "min", "max", "exp", "log", "sqrt", "sin", "cos", "log10", "floor", "ceil"})
AGGREGATES = frozenset({"sum", "prod", "min", "max"})
SET_FUNCTIONS = frozenset({"len", "range", "ord", "card"})
BUILTIN_NAMES = FUNCTIONS | AGGREGATES | SET_FUNCTIONS | {"inf", "pi", "e"}

_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS: dict[type, str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in",
}


# `ast.parse` warns (on stderr) about odd literals such as `1if`; text we only read is no place for warnings
warnings.filterwarnings("ignore", category=SyntaxWarning, module="<unknown>")


class ExprSyntaxError(ValueError):
    """The text is not a valid expression of our language; the message says where and why."""


@dataclass(frozen=True)
class Node:
    """Base class of every expression node."""


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Index(Node):
    """`base[i, j]`: a parameter, variable or indexed set looked up at the given indices."""

    base: str
    indices: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    """A scalar function (`exp(x)`, `max(a, b)`) or a set function (`len(I)`)."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Generator:
    """`for targets in domain if conds`; `domain` is a set name, an indexed set or `range(..)`."""

    targets: tuple[str, ...]
    domain: Node
    conditions: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Aggregate(Node):
    """`sum(body for ...)`, also `prod`, `min`, `max` over a comprehension."""

    func: str
    body: Node
    generators: tuple[Generator, ...]


@dataclass(frozen=True)
class Compare(Node):
    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class IfExp(Node):
    test: Node
    body: Node
    orelse: Node


@dataclass(frozen=True)
class TupleNode(Node):
    items: tuple[Node, ...]


def parse_expression(text: str) -> Node:
    """Parse one expression (possibly a comparison chain) into our tree."""
    tree = _parse(text, mode="eval")
    return _Converter(text).convert(tree.body, depth=0)


def parse_domain(text: str) -> tuple[Generator, ...]:
    """Parse a `forall` domain: `i in I, j in J if i != j` or `for i in I for j in J if ...`."""
    src = text.strip()
    if not src:
        return ()
    if not src.startswith("for "):
        src = " ".join("for " + part.strip() for part in _split_top_level(src))
    tree = _parse(f"[0 {src}]", mode="eval", shown=text)
    body = tree.body
    if not isinstance(body, ast.ListComp):
        raise ExprSyntaxError(f"domain {text!r}: expected clauses like 'i in I, j in J if cond'")
    return _Converter(text).generators(body.generators, depth=0)


def _parse(text: str, mode: str, shown: str | None = None) -> ast.Expression:
    shown = text if shown is None else shown
    if not isinstance(text, str):
        raise ExprSyntaxError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > MAX_EXPR_CHARS:
        raise ExprSyntaxError(f"expression is {len(text)} characters long (limit {MAX_EXPR_CHARS})")
    if not text.strip():
        raise ExprSyntaxError("empty expression")
    try:
        tree = ast.parse(text.strip(), mode=mode)
    except SyntaxError as exc:
        raise ExprSyntaxError(f"syntax error in {shown!r}: {exc.msg} (column {exc.offset})") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprSyntaxError(f"cannot parse {shown[:80]!r}") from None
    assert isinstance(tree, ast.Expression)
    return tree


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for pos, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:pos])
            start = pos + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


class _Converter:
    def __init__(self, text: str) -> None:
        self.text = text
        self.nodes = 0

    def _fail(self, node: ast.AST, why: str) -> ExprSyntaxError:
        try:
            snippet = ast.unparse(node)
        except Exception:  # pragma: no cover - unparse of a valid AST does not fail in practice
            snippet = type(node).__name__
        return ExprSyntaxError(f"{why}: {snippet!r} in {self.text[:120]!r}")

    def convert(self, node: ast.AST, depth: int) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprSyntaxError(f"expression has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise ExprSyntaxError(f"expression nests deeper than {MAX_DEPTH} levels")
        d = depth + 1
        match node:
            case ast.Constant(value=bool()):
                return Num(1.0 if node.value else 0.0)
            case ast.Constant(value=int() | float()):
                return Num(self.number(node))
            case ast.Constant(value=str(text)):
                return Str(text)
            case ast.Name(id=name):
                if name.startswith("_"):
                    raise self._fail(node, "names may not start with an underscore")
                return Name(name)
            case ast.Subscript(value=ast.Name(id=base), slice=index):
                items = index.elts if isinstance(index, ast.Tuple) else [index]
                if not items:
                    raise self._fail(node, "empty index")
                return Index(base, tuple(self.convert(i, d) for i in items))
            case ast.Subscript():
                raise self._fail(node, "only a plain name can be indexed")
            case ast.BinOp(op=ast.Add() | ast.Sub()) if _chain_length(node) > LONG_CHAIN:
                return self.chain(node, d)
            case ast.BinOp(op=op, left=left, right=right) if type(op) in _BINOPS:
                return BinOp(_BINOPS[type(op)], self.convert(left, d), self.convert(right, d))
            case ast.BinOp():
                raise self._fail(node, "unsupported operator (use + - * / **)")
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                inner = self.convert(operand, d)
                return Num(-inner.value) if isinstance(inner, Num) else Neg(inner)
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self.convert(operand, d)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return Not(self.convert(operand, d))
            case ast.BoolOp(op=op, values=values):
                return BoolOp("and" if isinstance(op, ast.And) else "or", tuple(self.convert(v, d) for v in values))
            case ast.Compare(left=left, ops=ops, comparators=comps):
                if any(type(o) not in _CMPOPS for o in ops):
                    raise self._fail(node, "unsupported comparison (use <= >= == < > != in)")
                operands = (self.convert(left, d), *(self.convert(c, d) for c in comps))
                return Compare(tuple(_CMPOPS[type(o)] for o in ops), operands)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return IfExp(self.convert(test, d), self.convert(body, d), self.convert(orelse, d))
            case ast.Tuple(elts=elts):
                return TupleNode(tuple(self.convert(e, d) for e in elts))
            case ast.Call():
                return self.call(node, d)
        raise self._fail(node, f"{type(node).__name__} is not allowed in expressions")

    def number(self, node: ast.Constant) -> float:
        """A numeric literal: integers beyond MAX_INT_DIGITS digits and literals that overflow are refused."""
        raw = node.value
        if not isinstance(raw, int | float):
            raise ExprSyntaxError(f"{raw!r} is not a number in {self.text[:80]!r}")
        try:
            if isinstance(raw, int):
                return checked_int(raw)
            value = float(raw)
        except NumberError as exc:
            raise ExprSyntaxError(f"{exc} in {self.text[:80]!r}") from None
        if not math.isfinite(value):
            raise ExprSyntaxError(f"number literal out of range in {self.text[:80]!r} (write inf for no bound)")
        return value

    def chain(self, node: ast.BinOp, depth: int) -> Node:
        """A long `a + b - c ...` becomes one n-ary sum, so long written-out sums stay shallow."""
        terms: list[Node] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Add | ast.Sub):
            right = self.convert(cur.right, depth)
            terms.append(right if isinstance(cur.op, ast.Add) else Neg(right))
            cur = cur.left
        terms.append(self.convert(cur, depth))
        return Call("sum", tuple(reversed(terms)))

    def call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self._fail(node, "only plain function names can be called (no attributes or methods)")
        func = node.func.id
        if node.keywords:
            raise self._fail(node, "keyword arguments are not allowed")
        if func not in FUNCTIONS | AGGREGATES | SET_FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS | AGGREGATES | SET_FUNCTIONS))
            raise self._fail(node, f"unknown function {func!r} (allowed: {allowed})")
        args = node.args
        if len(args) == 1 and isinstance(args[0], ast.GeneratorExp | ast.ListComp):
            if func not in AGGREGATES:
                raise self._fail(node, f"{func}() does not take a comprehension")
            comp = args[0]
            gens = self.generators(comp.generators, depth)
            return Aggregate(func, self.convert(comp.elt, depth), gens)
        if any(isinstance(a, ast.Starred | ast.GeneratorExp | ast.ListComp) for a in args):
            raise self._fail(node, "unsupported argument form")
        if func in ("sum", "prod"):
            if len(args) == 1 and isinstance(args[0], ast.List | ast.Tuple):
                items = tuple(self.convert(a, depth) for a in args[0].elts)
            else:
                items = tuple(self.convert(a, depth) for a in args)
            return Call(func, items)
        if not args:
            raise self._fail(node, f"{func}() needs arguments")
        return Call(func, tuple(self.convert(a, depth) for a in args))

    def generators(self, comps: list[ast.comprehension], depth: int) -> tuple[Generator, ...]:
        out = []
        for comp in comps:
            if comp.is_async:
                raise self._fail(comp.target, "async comprehensions are not allowed")
            match comp.target:
                case ast.Name(id=name):
                    targets: tuple[str, ...] = (name,)
                case ast.Tuple(elts=elts) if all(isinstance(e, ast.Name) for e in elts):
                    targets = tuple(e.id for e in elts)  # type: ignore[attr-defined]
                case _:
                    raise self._fail(comp.target, "loop targets must be names or a tuple of names")
            for t in targets:
                if t.startswith("_"):
                    raise self._fail(comp.target, "names may not start with an underscore")
            domain = self.convert(comp.iter, depth + 1)
            conds = tuple(self.convert(c, depth + 1) for c in comp.ifs)
            out.append(Generator(targets, domain, conds))
        return tuple(out)


LONG_CHAIN = 16


def _chain_length(node: ast.AST) -> int:
    count = 1
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        count += 1
        node = node.left
    return count


def walk(node: Node) -> Iterator[Node]:
    """Yield every node of the tree, parents first, including generator domains and conditions."""
    stack: list[Node] = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(reversed(children(cur)))


def children(node: Node) -> list[Node]:
    match node:
        case Index(indices=ix):
            return list(ix)
        case BinOp(left=a, right=b):
            return [a, b]
        case Neg(operand=a) | Not(operand=a):
            return [a]
        case Call(args=args):
            return list(args)
        case Aggregate(body=body, generators=gens):
            out: list[Node] = []
            for g in gens:
                out.append(g.domain)
                out.extend(g.conditions)
            out.append(body)
            return out
        case Compare(operands=ops):
            return list(ops)
        case BoolOp(values=vals):
            return list(vals)
        case IfExp(test=t, body=b, orelse=o):
            return [t, b, o]
        case TupleNode(items=items):
            return list(items)
    return []


def to_text(node: Node) -> str:
    """Render a tree back to the expression language (canonical spacing)."""
    return _Printer().show(node, 0)


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "**": 8}


class _Printer:
    def show(self, node: Node, outer: int) -> str:
        text, prec = self._show(node)
        return f"({text})" if prec < outer else text

    def _show(self, node: Node) -> tuple[str, int]:
        match node:
            case Num(value=v):
                if v == int(v) and abs(v) < 1e15:
                    return str(int(v)), 99 if v >= 0 else _PREC["neg"]
                return repr(v), 99 if v >= 0 else _PREC["neg"]
            case Str(value=v):
                return repr(v), 99
            case Name(id=i):
                return i, 99
            case Index(base=b, indices=ix):
                return f"{b}[{', '.join(self.show(i, 0) for i in ix)}]", 99
            case BinOp(op=op, left=a, right=b):
                p = _PREC[op]
                if op == "**":
                    return f"{self.show(a, p + 1)}**{self.show(b, p)}", p
                right_p = p + 1 if op in "-/" else p
                return f"{self.show(a, p)} {op} {self.show(b, right_p)}", p
            case Neg(operand=a):
                return f"-{self.show(a, _PREC['neg'])}", _PREC["neg"]
            case Not(operand=a):
                return f"not {self.show(a, _PREC['not'])}", _PREC["not"]
            case Call(func=f, args=args):
                return f"{f}({', '.join(self.show(a, 0) for a in args)})", 99
            case Aggregate(func=f, body=body, generators=gens):
                return f"{f}({self.show(body, 0)} {self.generators(gens)})", 99
            case Compare(ops=ops, operands=operands):
                p = _PREC["cmp"]
                parts = [self.show(operands[0], p + 1)]
                for op, rhs in zip(ops, operands[1:], strict=True):
                    parts.append(f"{op} {self.show(rhs, p + 1)}")
                return " ".join(parts), p
            case BoolOp(op=op, values=vals):
                p = _PREC[op]
                return f" {op} ".join(self.show(v, p + 1) for v in vals), p
            case IfExp(test=t, body=b, orelse=o):
                return f"{self.show(b, 1)} if {self.show(t, 1)} else {self.show(o, 1)}", 0
            case TupleNode(items=items):
                return f"({', '.join(self.show(i, 0) for i in items)})", 99
        raise TypeError(f"unknown node {node!r}")

    def generators(self, gens: tuple[Generator, ...]) -> str:
        parts = []
        for g in gens:
            target = g.targets[0] if len(g.targets) == 1 else f"({', '.join(g.targets)})"
            clause = f"for {target} in {self.show(g.domain, 0)}"
            for c in g.conditions:
                clause += f" if {self.show(c, 1)}"
            parts.append(clause)
        return " ".join(parts)


def domain_to_text(gens: tuple[Generator, ...]) -> str:
    return _Printer().generators(gens)
