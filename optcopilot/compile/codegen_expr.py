"""Expression source for the script emitters: our parsed tree, node by node, as Python for a `Dialect`.

Data-only subexpressions become plain Python (`sum`, `math.exp`, builtin `min`, ...); expressions over
decision variables use the dialect's functions (see `codegen_common` for the conventions of the data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from optcopilot.compile.codegen_common import CodegenError, Namer, number_literal
from optcopilot.ir.data import ModelData
from optcopilot.ir.expr import (
    Aggregate,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Generator,
    IfExp,
    Index,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
    TupleNode,
    walk,
)
from optcopilot.ir.validate import ParsedFormulation


@dataclass
class Dialect:
    """What differs between emitters. `functions` maps exp/log/log10/sqrt/sin/cos/abs/min/max/pow to
    callables for decision-variable arguments (missing -> CodegenError); min/max get one list, `pow`
    (base, exponent) is used only when the exponent mentions a variable."""

    var_ref: Callable[[str], str]  # Python name of a variable family -> source, e.g. "model.x"
    sum: str = "sum"
    prod: str = "math.prod"
    functions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Loop:
    """A loop index in scope: its Python name and how many components its value has."""

    name: str
    dimen: int = 1


Scope = dict[str, Loop]

_DATA_FUNCS = {"exp": "math.exp", "log": "math.log", "log10": "math.log10", "sqrt": "math.sqrt", "sin": "math.sin",
               "cos": "math.cos", "abs": "abs", "min": "min", "max": "max"}
_PREC = {"if": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "+": 10, "-": 10, "*": 11, "/": 11, "neg": 12, "**": 13}
ATOM = 20


class ExprWriter:
    """Translate parsed expressions of one formulation to Python source for a given dialect."""

    def __init__(self, parsed: ParsedFormulation, data: ModelData, names: Namer, dialect: Dialect) -> None:
        self.parsed = parsed
        self.data = data
        self.names = names
        self.dialect = dialect
        f = parsed.formulation
        self.variables = {v.name: v for v in f.variables}
        self.params = {p.name: p for p in f.parameters}
        self.used_functions: set[str] = set()  # dialect functions the emitted code calls

    # -- public API --
    def expr(self, node: Node, scope: Scope) -> str:
        """Python source for a value expression (data or decision-variable)."""
        return self._src(node, scope)[0]

    def operand(self, node: Node, scope: Scope) -> str:
        """Source for one side of a comparison (parenthesised when it binds more loosely, e.g. `a if c else b`)."""
        return self._src(node, scope, _PREC["cmp"] + 1)[0]

    def has_vars(self, node: Node, scope: Scope) -> bool:
        """Whether the expression mentions a decision variable."""
        for sub in walk(node):
            if isinstance(sub, Name) and sub.id not in scope and sub.id in self.variables:
                return True
            if isinstance(sub, Index) and sub.base in self.variables:
                return True
        return False

    def generators(self, gens: tuple[Generator, ...], scope: Scope) -> tuple[str, Scope]:
        """`for i in I for j in S[i] if cond` clauses, and the scope inside them."""
        inner = dict(scope)
        clauses = []
        for g in gens:
            dom, dimen = self._domain(g.domain, inner)
            if len(g.targets) == 1:
                loop = Loop(self.names(g.targets[0]), dimen)
                inner[g.targets[0]] = loop
                target = loop.name
            else:
                names = []
                for t in g.targets:
                    inner[t] = Loop(self.names(t), 1)
                    names.append(inner[t].name)
                target = ", ".join(names)
            clause = f"for {target} in {dom}"
            for cond in g.conditions:
                clause += f" if {self._src(cond, inner, _PREC['if'] + 1)[0]}"
            clauses.append(clause)
        return " ".join(clauses), inner

    def key_source(self, gens: tuple[Generator, ...], inner: Scope) -> str:
        """The flat key of a domain's element, e.g. `i`, `(i, j)` or `(*a, k)`."""
        parts = [self._component(inner[t]) for g in gens for t in g.targets]
        return _key_from_parts(parts)

    def flat_targets(self, gens: tuple[Generator, ...], inner: Scope) -> tuple[list[str], list[str]]:
        """Flat argument names for a rule receiving the key components, plus lines rebuilding tuples."""
        args: list[str] = []
        lines: list[str] = []
        for g in gens:
            for t in g.targets:
                loop = inner[t]
                if loop.dimen == 1:
                    args.append(loop.name)
                    continue
                comps = [self.names.local(f"{loop.name}_{k + 1}") for k in range(loop.dimen)]
                args.extend(comps)
                lines.append(f"{loop.name} = ({', '.join(comps)})")
        return args, lines

    def index_dimen(self, index: list[str]) -> int:
        return sum(self.data.sets[s].dimen for s in index)

    def param_lookup(self, name: str, key_src: str) -> str:
        """`p[key]`, or `p.get(key, default)` when the table has gaps filled by a default."""
        p = self.data.params[name]
        py = self.names(name)
        if p.default is not None and len(p.table) < len(self.data.product(p.index)):
            return f"{py}.get({_as_value(key_src)}, {number_literal(p.default)})"
        return f"{py}[{key_src}]"

    # -- translation --
    def _call(self, func: str, args: list[str]) -> str:
        target = self.dialect.functions.get(func)
        if target is None:
            raise CodegenError(f"{func}() of a decision-variable expression is not supported by this target")
        self.used_functions.add(func)
        if func in ("min", "max"):
            return f"{target}([{', '.join(args)}])"
        return f"{target}({', '.join(args)})"

    def _src(self, node: Node, scope: Scope, outer: int = 0) -> tuple[str, int]:
        text, prec = self._node(node, scope)
        return (f"({text})", ATOM) if prec < outer else (text, prec)

    def _node(self, node: Node, scope: Scope) -> tuple[str, int]:
        match node:
            case Num(value=v):
                text = number_literal(v)
                return text, (_PREC["neg"] if text.startswith("-") else ATOM)
            case Str(value=v):
                return repr(v), ATOM
            case Name(id=name):
                if name in scope:
                    return scope[name].name, ATOM
                if name in self.variables:
                    return self.dialect.var_ref(self.names(name)), ATOM
                if name in self.params:
                    return self.names(name), ATOM
                if name in ("inf", "pi", "e"):
                    return f"math.{name}", ATOM
                if name in self.data.sets:
                    return self.names(name), ATOM
                raise CodegenError(f"unknown symbol {name!r}")
            case Index(base=base, indices=ix):
                key = _key_from_parts([p for i in ix for p in self._index_parts(i, scope)], bracket=True)
                if base in self.variables:
                    return f"{self.dialect.var_ref(self.names(base))}[{key}]", ATOM
                if base in self.params:
                    return self.param_lookup(base, key), ATOM
                if base in self.data.sets:
                    return f"{self.names(base)}[{key}]", ATOM
                raise CodegenError(f"unknown symbol {base!r}")
            case BinOp(op=op, left=a, right=b):
                p = _PREC[op]
                if op == "**" and self.has_vars(b, scope):  # variable exponent: the dialect's `pow`
                    return self._call("pow", [self._src(a, scope)[0], self._src(b, scope)[0]]), ATOM
                if op == "**":
                    return f"{self._src(a, scope, ATOM)[0]}**{self._src(b, scope, p)[0]}", p
                right = p + 1 if op in "-/" else p
                return f"{self._src(a, scope, p)[0]} {op} {self._src(b, scope, right)[0]}", p
            case Neg(operand=a):
                return f"-{self._src(a, scope, _PREC['neg'])[0]}", _PREC["neg"]
            case Not(operand=a):
                return f"not {self._src(a, scope, _PREC['not'])[0]}", _PREC["not"]
            case BoolOp(op=op, values=vals):
                p = _PREC[op]
                return f" {op} ".join(self._src(v, scope, p + 1)[0] for v in vals), p
            case Compare(ops=ops, operands=operands):
                p = _PREC["cmp"]
                parts = [self._src(operands[0], scope, p + 1)[0]]
                for op, rhs in zip(ops, operands[1:], strict=True):
                    if op in ("in", "not in"):
                        parts.append(f"{op} {self._domain(rhs, scope)[0]}")
                    else:
                        parts.append(f"{op} {self._src(rhs, scope, p + 1)[0]}")
                return " ".join(parts), p
            case IfExp(test=t, body=b, orelse=o):
                p = _PREC["if"]
                return (f"{self._src(b, scope, p + 1)[0]} if {self._src(t, scope, p + 1)[0]} "
                        f"else {self._src(o, scope, p)[0]}"), p
            case TupleNode(items=items):
                return _key_from_parts([p for i in items for p in self._index_parts(i, scope)], force=True), ATOM
            case Call():
                return self._call_node(node, scope)
            case Aggregate():
                return self._aggregate(node, scope), ATOM
        raise CodegenError(f"cannot translate {type(node).__name__}")

    def _call_node(self, node: Call, scope: Scope) -> tuple[str, int]:
        func, args = node.func, node.args
        if func in ("len", "card"):
            return f"len({self._src(args[0], scope)[0]})", ATOM
        if func in ("ord", "range"):
            raise CodegenError(f"{func}() is not supported in expressions")
        if func in ("sum", "prod"):
            if not args:
                return ("0" if func == "sum" else "1"), ATOM
            op = "+" if func == "sum" else "*"
            p = _PREC[op]
            return f"({f' {op} '.join(self._src(a, scope, p + 1)[0] for a in args)})", ATOM
        if func in ("min", "max") and len(args) == 1:
            return self._src(args[0], scope)
        sources = [self._src(a, scope)[0] for a in args]
        if any(self.has_vars(a, scope) for a in args):
            return self._call(func, sources), ATOM
        if func in ("floor", "ceil"):
            return f"float(math.{func}({sources[0]}))", ATOM
        return f"{_DATA_FUNCS[func]}({', '.join(sources)})", ATOM

    def _aggregate(self, node: Aggregate, scope: Scope) -> str:
        clauses, inner = self.generators(node.generators, scope)
        body = self._src(node.body, inner, _PREC["if"] + 1)[0]
        comprehension = f"{body} {clauses}"
        if not self.has_vars(node.body, inner):
            data_fn = {"sum": "sum", "prod": "math.prod", "min": "min", "max": "max"}[node.func]
            return f"{data_fn}({comprehension})"
        if node.func == "sum":
            return f"{self.dialect.sum}({comprehension})"
        if node.func == "prod":
            return f"{self.dialect.prod}({comprehension})"
        target = self.dialect.functions.get(node.func)
        if target is None:
            raise CodegenError(f"{node.func}() of a decision-variable expression is not supported by this target")
        self.used_functions.add(node.func)
        return f"{target}([{comprehension}])"

    def _index_parts(self, node: Node, scope: Scope) -> list[str]:
        """Key components of one index expression (a k-D loop index contributes `*a`)."""
        if isinstance(node, Name) and node.id in scope and scope[node.id].dimen > 1:
            return [f"*{scope[node.id].name}"]
        if isinstance(node, TupleNode):
            return [p for item in node.items for p in self._index_parts(item, scope)]
        return [self._src(node, scope, _PREC["if"] + 1)[0]]

    def _component(self, loop: Loop) -> str:
        return f"*{loop.name}" if loop.dimen > 1 else loop.name

    def _domain(self, node: Node, scope: Scope) -> tuple[str, int]:
        match node:
            case Name(id=name) if name in self.data.sets:
                return self.names(name), self.data.sets[name].dimen
            case Index(base=base) if base in self.data.sets:
                return self._src(node, scope)[0], self.data.sets[base].dimen
            case Call(func="range", args=args) if 1 <= len(args) <= 2:
                bounds = [self._int_src(a, scope) for a in args]
                return f"range({', '.join(bounds)})", 1
        raise CodegenError("a loop must run over a set, an indexed set S[i] or range(a, b)")

    def _int_src(self, node: Node, scope: Scope) -> str:
        if isinstance(node, Num) and float(node.value).is_integer():
            return str(int(node.value))
        return f"int({self._src(node, scope)[0]})"


def _key_from_parts(parts: list[str], bracket: bool = False, force: bool = False) -> str:
    """Join key components: `i` / `i, j` inside brackets, `(i, j)` / `(*a, k)` as a value."""
    starred = any(p.startswith("*") for p in parts)
    if len(parts) == 1 and not force:
        return parts[0][1:] if starred else parts[0]
    if bracket and not starred:
        return ", ".join(parts)
    return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"


def _as_value(key_src: str) -> str:
    """A bracket key (`i, j`) as a value expression (`(i, j)`)."""
    depth = 0
    for ch in key_src:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return f"({key_src})"
    return key_src
