"""A restricted declarative modelling DSL, parsed with `ast` into the IR and never executed.

Statements (one per line, Python syntax)::

    P = set("chair", "table")            # or set(["a", "b"]) / range(1, 5) (1..4)
    profit = param([5, 4], P)            # or a dict {"chair": 5}, a number `budget = 450`
    x = var(P, integer, lb=0, ub=None, desc="units of each product")
    maximize(sum(profit[p] * x[p] for p in P))
    subject_to(15*x["chair"] + 20*x["table"] <= 450, name="wood")
    for p in P:                          # a loop only repeats constraints (becomes `forall`)
        subject_to(x[p] <= 100, name="cap")

Only literals, these calls and for-loops are accepted. Expressions are copied as text into the IR, where
`optcopilot.ir.expr` checks them against its whitelist; nothing here evaluates anything. Forgiven, because
small models write them often and they change no meaning: `import` lines (skipped; nothing is imported),
`obj = maximize(...)` / `cap = subject_to(...)` (the name becomes the constraint's name), and arithmetic on
number literals inside data, e.g. `param([50, 70/100*50], P)` (folded by our own arithmetic on the parsed
numbers, with size limits).

Why one module over 450 lines: the reader is the security boundary for LLM text, so the whole whitelist —
which statements, calls, literals and names are accepted, and the limits on each — stays in one place to be
read and reviewed together.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from typing import Any

from optcopilot.ir.model import ConstraintDef, Formulation, ObjectiveDef, ParamDef, SetDef, VarDef
from optcopilot.ir.numbers import MAX_INT_DIGITS

MAX_DSL_CHARS = 100_000
DOMAINS = {"continuous": "continuous", "integer": "integer", "binary": "binary", "real": "continuous",
           "int": "integer", "bool": "binary", "reals": "continuous", "integers": "integer"}
CONSTRAINT_CALLS = frozenset({"subject_to", "constraint", "st", "add_constraint"})
OBJECTIVE_CALLS = frozenset({"maximize", "minimize", "maximise", "minimise"})
_FOLD_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
             ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
MAX_FOLD_EXPONENT = 64
MAX_FOLD_MAGNITUDE = 1e300
MAX_INLINED_NODES = 20_000  # syntax nodes of an expression once named expressions are substituted
MAX_LOOP_DEPTH = 10  # nested for-loops (and generator clauses) around one constraint


class DSLError(ValueError):
    """The DSL text is not acceptable; the message gives the line and the reason."""


def extract_code(text: str) -> str:
    """The code inside a fenced block when there is one, else the text itself."""
    blocks = re.findall(r"```[a-zA-Z]*\n(.*?)```", text, flags=re.DOTALL)
    if blocks:
        return max(blocks, key=len)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("```"))


def parse_dsl(text: str) -> Formulation:
    """Parse DSL text (optionally inside a ``` fence) into a Formulation; DSLError on anything else."""
    code = extract_code(text).strip()
    if not code:
        raise DSLError("empty model: write sets, params, var(...), maximize/minimize(...) and subject_to(...)")
    if len(code) > MAX_DSL_CHARS:
        raise DSLError(f"model text is {len(code)} characters (limit {MAX_DSL_CHARS})")
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as exc:
        raise DSLError(f"line {exc.lineno}: syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise DSLError("cannot parse the model text") from None
    builder = _Builder()
    try:
        for stmt in tree.body:
            builder.statement(stmt, loops=[])
        return builder.build()
    except DSLError:
        raise
    except RecursionError:
        raise DSLError("the model nests too deeply to read") from None
    except (OverflowError, MemoryError):
        raise DSLError("a number or expression in the model is too large") from None
    except ValueError as exc:  # e.g. pydantic's check of a declaration
        raise DSLError(f"invalid model: {str(exc).splitlines()[0][:200]}") from None


def declared_names(code: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Set sizes and parameter/variable index arities declared by (possibly unfinished) DSL code.

    Used between the sections of a staged answer; statements after the declarations are not needed.
    """
    tree = ast.parse(code, mode="exec")
    builder = _Builder()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            builder.statement(stmt, loops=[])
    return ({s.name: len(_elements(s)) for s in builder.sets}, {p.name: len(p.index) for p in builder.params},
            {v.name: len(v.index) for v in builder.vars})


def _fail(node: ast.AST, why: str) -> DSLError:
    line = getattr(node, "lineno", "?")
    try:
        snippet = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of parsed code does not fail in practice
        snippet = type(node).__name__
    snippet = snippet.splitlines()[0][:100] if snippet else ""
    return DSLError(f"line {line}: {why}: {snippet!r}")


def _check_names(node: ast.AST) -> None:
    """Refuse dunder/private names and attribute access anywhere in a statement."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            raise _fail(sub, "attribute access is not allowed")
        if isinstance(sub, ast.Name) and sub.id.startswith("_"):
            raise _fail(sub, "names starting with '_' are not allowed")
        if isinstance(sub, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom | ast.Starred):
            raise _fail(sub, f"{type(sub).__name__.lower()} is not allowed")


def literal(node: ast.AST) -> Any:
    """A literal value (number, string, None, list/tuple/dict of literals) without evaluating code."""
    if (isinstance(node, ast.Constant) and isinstance(node.value, int | float | str)) or (
            isinstance(node, ast.Constant) and node.value is None):
        if isinstance(node.value, bool):
            return int(node.value)
        if isinstance(node.value, int) and abs(node.value) >= 10**MAX_INT_DIGITS:
            raise _fail(node, f"integer too large (limit {MAX_INT_DIGITS} digits)")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = literal(node.operand)
        if isinstance(inner, int | float):
            return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Name) and node.id in ("inf", "INF"):
        return "inf"
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD_OPS:
        return _fold(node)
    if isinstance(node, ast.List | ast.Tuple):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[str, Any] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise _fail(node, "'**' in a dict is not allowed")
            key = literal(k)
            key = ",".join(str(c) for c in key) if isinstance(key, list) else str(key)
            out[key] = literal(v)
        return out
    raise _fail(node, "expected a literal value (number, string, list or dict)")


def _fold(node: ast.BinOp) -> float | int:
    """Arithmetic on two number literals (`70/100*50`), computed by us on the parsed numbers."""
    left, right = literal(node.left), literal(node.right)
    if not (isinstance(left, int | float) and isinstance(right, int | float)):
        raise _fail(node, "arithmetic in data is only allowed on numbers")
    if isinstance(node.op, ast.Pow) and (abs(right) > MAX_FOLD_EXPONENT or abs(left) > MAX_FOLD_MAGNITUDE):
        raise _fail(node, f"exponent too large in data (limit {MAX_FOLD_EXPONENT})")
    if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
        raise _fail(node, "division by zero in data")
    try:
        value = _FOLD_OPS[type(node.op)](left, right)
    except (ArithmeticError, ValueError):
        raise _fail(node, "arithmetic in data does not give a number") from None
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_FOLD_MAGNITUDE:
        raise _fail(node, "arithmetic in data does not give a finite number")
    return value


class _Builder:
    def __init__(self) -> None:
        self.sets: list[SetDef] = []
        self.params: list[ParamDef] = []
        self.vars: list[VarDef] = []
        self.objective: ObjectiveDef | None = None
        self.constraints: list[ConstraintDef] = []
        self.names: set[str] = set()
        self.aliases: dict[str, ast.expr] = {}
        self.alias_sizes: dict[str, int] = {}  # syntax nodes of each alias, substituted

    def build(self) -> Formulation:
        if self.objective is None:
            raise DSLError("no objective: add maximize(...) or minimize(...)")
        if not self.vars:
            raise DSLError("no variables: declare them with name = var(...)")
        return Formulation(sets=self.sets, parameters=self.params, variables=self.vars,
                           objective=self.objective, constraints=self.constraints)

    # statements -----------------------------------------------------------------------------------------
    def statement(self, stmt: ast.stmt, loops: list[str]) -> None:
        _check_names(stmt)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            return  # a docstring / comment string
        if isinstance(stmt, ast.Pass | ast.Import | ast.ImportFrom):
            return  # nothing is ever imported or run; an import line changes no meaning
        if isinstance(stmt, ast.Assign) and self._named_statement(stmt, loops):
            return
        if isinstance(stmt, ast.For):
            self.loop(stmt, loops)
            return
        if isinstance(stmt, ast.If) and loops and not stmt.orelse:
            cond = ast.unparse(stmt.test)
            for sub in stmt.body:
                self.statement(sub, [*loops[:-1], f"{loops[-1]} if {cond}"])
            return
        if loops and not (isinstance(stmt, ast.Expr) and (self._is_constraint(stmt.value))):
            raise _fail(stmt, "inside a for-loop only subject_to(...) constraints are allowed")
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            self.assign(stmt)
            return
        if isinstance(stmt, ast.Expr):
            self.expression(stmt.value, loops)
            return
        raise _fail(stmt, "only set/param/var assignments, maximize/minimize, subject_to and for-loops are allowed")

    def _named_statement(self, stmt: ast.Assign, loops: list[str]) -> bool:
        """`obj = maximize(...)` / `cap = subject_to(...)`: the statement, the target naming the constraint."""
        value = stmt.value
        if not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name) and value.func.id in OBJECTIVE_CALLS | CONSTRAINT_CALLS):
            return False
        if value.func.id in CONSTRAINT_CALLS and not any(kw.arg == "name" for kw in value.keywords):
            value = ast.Call(func=value.func, args=value.args, keywords=[
                *value.keywords, ast.keyword(arg="name", value=ast.Constant(stmt.targets[0].id))])
            ast.copy_location(value, stmt.value)
        self.expression(value, loops)
        return True

    def _is_constraint(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Compare) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CONSTRAINT_CALLS)

    def loop(self, stmt: ast.For, loops: list[str]) -> None:
        if stmt.orelse:
            raise _fail(stmt, "for-else is not allowed")
        if len(loops) >= MAX_LOOP_DEPTH:
            raise _fail(stmt, f"for-loops nest deeper than {MAX_LOOP_DEPTH} levels")
        target = ast.unparse(stmt.target)
        if not re.fullmatch(r"\(?[A-Za-z]\w*(\s*,\s*[A-Za-z]\w*)*\)?", target):
            raise _fail(stmt.target, "loop targets must be plain names")
        clause = f"{target.strip('()')} in {ast.unparse(stmt.iter)}"
        for sub in stmt.body:
            self.statement(sub, [*loops, clause])

    def _claim(self, node: ast.AST, name: str) -> None:
        if name in self.names:
            raise _fail(node, f"name {name!r} is defined twice")
        self.names.add(name)

    def assign(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or stmt.value is None:
            raise _fail(stmt, "assign to one plain name, e.g. x = var(...)")
        name = targets[0].id
        value = stmt.value
        self._claim(stmt, name)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            func = value.func.id
            if func == "var":
                self.vars.append(self.var(name, value))
                return
            if func in ("set", "Set"):
                self.sets.append(self.set_(name, value))
                return
            if func == "range":
                self.sets.append(self.range_(name, value))
                return
            if func in ("param", "Param"):
                self.params.append(self.param(name, value))
                return
            raise _fail(value, f"unknown call {func!r}; use set(...), range(...), param(...) or var(...)")
        if isinstance(value, ast.List | ast.Tuple | ast.Dict):
            self.params.append(self._param_value(name, literal(value), [], value))
            return
        try:
            number = literal(value)
        except DSLError:
            self.alias_sizes[name] = self._inlined_size(value)
            self.aliases[name] = self.inline(value)  # `area = x*y`: a named expression, inlined where used
            return
        if not isinstance(number, int | float):
            raise _fail(value, "a scalar parameter must be a number")
        self.params.append(ParamDef(name=name, value=number))

    def expression(self, node: ast.expr, loops: list[str]) -> None:
        if isinstance(node, ast.Compare):
            self.constraints.append(self._constraint(node, None, loops))
            return
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            raise _fail(node, "expected maximize(...), minimize(...) or subject_to(...)")
        func = node.func.id
        if func in OBJECTIVE_CALLS:
            if loops:
                raise _fail(node, "the objective cannot be inside a loop")
            if self.objective is not None:
                raise _fail(node, "only one objective is allowed")
            if len(node.args) != 1:
                raise _fail(node, f"{func} takes exactly one expression")
            self.objective = ObjectiveDef(sense=func[:3], expression=self.text(node.args[0]),  # type: ignore[arg-type]
                                          description=self._kw_str(node, "desc", "description") or "")
            return
        if func in CONSTRAINT_CALLS:
            arg = node.args[0] if len(node.args) == 1 else None
            if isinstance(arg, ast.GeneratorExp) and isinstance(arg.elt, ast.Compare):  # (e <= b for i in I)
                clauses = [f"{ast.unparse(g.target)} in {ast.unparse(g.iter)}"
                           + "".join(f" if {ast.unparse(c)}" for c in g.ifs) for g in arg.generators]
                self.constraints.append(self._constraint(arg.elt, node, [*loops, *clauses]))
                return
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Compare):
                raise _fail(node, "subject_to takes one comparison, e.g. subject_to(2*x + y <= 10)")
            self.constraints.append(self._constraint(node.args[0], node, loops))
            return
        raise _fail(node, f"unknown statement {func!r}")

    # pieces ---------------------------------------------------------------------------------------------
    def inline(self, node: ast.expr) -> ast.expr:
        """A copy of `node` with named expressions (aliases) substituted, as syntax only."""
        if not self.aliases:
            return node
        if self._inlined_size(node) > MAX_INLINED_NODES:
            raise _fail(node, f"with its named expressions substituted, this expression has more than "
                        f"{MAX_INLINED_NODES} parts; write it more simply")
        aliases = self.aliases

        class _Sub(ast.NodeTransformer):
            def visit_Name(self, n: ast.Name) -> ast.AST:
                return aliases[n.id] if n.id in aliases and isinstance(n.ctx, ast.Load) else n

        import copy

        return _Sub().visit(copy.deepcopy(node))  # type: ignore[no-any-return]

    def _inlined_size(self, node: ast.expr) -> int:
        """Syntax nodes of `node` once aliases are substituted, computed without substituting."""
        sizes = self.alias_sizes
        return sum(sizes.get(sub.id, 1) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) else 1
                   for sub in ast.walk(node))

    def text(self, node: ast.expr) -> str:
        return ast.unparse(self.inline(node))

    def _kw_str(self, call: ast.Call, *names: str) -> str | None:
        for kw in call.keywords:
            if kw.arg in names:
                value = literal(kw.value)
                if not isinstance(value, str):
                    raise _fail(kw.value, f"{kw.arg}= must be a string")
                return value
        return None

    def _constraint(self, cmp: ast.Compare, call: ast.Call | None, loops: list[str]) -> ConstraintDef:
        name = (self._kw_str(call, "name") if call else None) or f"c{len(self.constraints) + 1}"
        name = re.sub(r"\W", "_", name) or f"c{len(self.constraints) + 1}"
        if not re.match(r"[A-Za-z_]", name):
            name = "c_" + name
        taken = {c.name for c in self.constraints}
        base, n = name, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        forall = (self._kw_str(call, "forall", "for_all") if call else None)
        clauses = [*loops, forall] if forall else loops
        desc = (self._kw_str(call, "desc", "description") if call else None) or ""
        return ConstraintDef(name=name, expression=self.text(cmp), forall=", ".join(clauses) or None,
                             description=desc)

    def var(self, name: str, call: ast.Call) -> VarDef:
        index: list[str] = []
        domain = "continuous"
        for arg in call.args:
            if isinstance(arg, ast.Name) and arg.id.lower() in DOMAINS:
                domain = DOMAINS[arg.id.lower()]
            elif isinstance(arg, ast.Name):
                index.append(arg.id)
            elif isinstance(arg, ast.List | ast.Tuple) and all(isinstance(e, ast.Name) for e in arg.elts):
                index.extend(e.id for e in arg.elts)  # type: ignore[union-attr]
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.lower() in DOMAINS:
                domain = DOMAINS[arg.value.lower()]
            else:
                raise _fail(arg, "var(...) takes index set names and a type (continuous, integer, binary)")
        out: dict[str, Any] = {"lb": 0.0, "ub": None, "description": ""}
        for kw in call.keywords:
            if kw.arg in ("lb", "ub", "lower", "upper", "low", "up"):
                key = "lb" if kw.arg in ("lb", "lower", "low") else "ub"
                out[key] = self._bound(kw.value)
            elif kw.arg in ("desc", "description"):
                out["description"] = self._kw_str(call, kw.arg) or ""
            elif kw.arg in ("type", "domain", "within", "vtype"):
                text = ast.unparse(kw.value).strip("'\"").lower()
                if text not in DOMAINS:
                    raise _fail(kw.value, "type must be continuous, integer or binary")
                domain = DOMAINS[text]
            elif kw.arg in ("index", "over"):
                value = kw.value
                elts = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                if not all(isinstance(e, ast.Name) for e in elts):
                    raise _fail(value, "index= must name sets")
                index.extend(e.id for e in elts)  # type: ignore[union-attr]
            elif kw.arg in ("integer", "binary"):
                if literal(kw.value):
                    domain = kw.arg
            else:
                raise _fail(call, f"unknown var option {kw.arg!r}")
        if domain == "binary":
            out["lb"], out["ub"] = 0.0, 1.0
        return VarDef(name=name, index=index, domain=domain, **out)  # type: ignore[arg-type]

    def _bound(self, node: ast.expr) -> float | str | None:
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        try:
            value = literal(node)
        except DSLError:
            return ast.unparse(node)  # an expression of the index or a parameter; checked by the IR
        if isinstance(value, str):
            return None if value in ("inf", "-inf") else value
        if not isinstance(value, int | float):
            raise _fail(node, "a bound must be a number, an expression or None")
        return float(value)

    def set_(self, name: str, call: ast.Call) -> SetDef:
        if call.keywords:
            raise _fail(call, "set(...) takes only elements")
        args = call.args
        values = literal(args[0]) if len(args) == 1 and isinstance(args[0], ast.List | ast.Tuple) else [
            literal(a) for a in args]
        if not values:
            raise _fail(call, "a set needs at least one element")
        elements: list[Any] = []
        for v in values:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, str | int | list):
                raise _fail(call, "set elements must be strings or integers")
            elements.append(v)
        return SetDef(name=name, elements=elements)

    def range_(self, name: str, call: ast.Call) -> SetDef:
        bounds = [literal(a) for a in call.args]
        if not all(isinstance(b, int) for b in bounds) or len(bounds) not in (1, 2):
            raise _fail(call, "range(...) needs one or two integer literals, e.g. range(1, 6) for 1..5")
        start, stop = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
        if stop <= start:
            raise _fail(call, "empty range")
        return SetDef(name=name, range=[start, stop - 1])

    def param(self, name: str, call: ast.Call) -> ParamDef:
        if not call.args:
            raise _fail(call, "param(value, Set, ...) needs a value")
        index: list[str] = []
        for arg in call.args[1:]:
            if not isinstance(arg, ast.Name):
                raise _fail(arg, "param(value, Set, ...): index sets must be names")
            index.append(arg.id)
        default = None
        for kw in call.keywords:
            if kw.arg in ("index", "over"):
                elts = kw.value.elts if isinstance(kw.value, ast.List | ast.Tuple) else [kw.value]
                index.extend(ast.unparse(e) for e in elts)
            elif kw.arg == "default":
                default = literal(kw.value)
            elif kw.arg not in ("desc", "description"):
                raise _fail(call, f"unknown param option {kw.arg!r}")
        value = literal(call.args[0])
        out = self._param_value(name, value, index, call)
        if default is not None:
            out.default = float(default)
        out.description = self._kw_str(call, "desc", "description") or ""
        return out

    def _param_value(self, name: str, value: Any, index: list[str], node: ast.AST) -> ParamDef:
        if isinstance(value, int | float) and not index:
            return ParamDef(name=name, value=value)
        if not index:
            index = self._guess_index(value, node, name)
        return ParamDef(name=name, index=index, value=value)

    def _guess_index(self, value: Any, node: ast.AST, name: str) -> list[str]:
        """Index sets for a bare list/dict literal: the sets whose sizes (or keys) match, outermost first."""
        index: list[str] = []
        level: Any = value
        while isinstance(level, list | dict) and level:
            size = len(level)
            keys = {str(k) for k in level} if isinstance(level, dict) else None
            match = [s for s in self.sets if (keys is not None and keys <= {str(e) for e in _elements(s)})
                     or (keys is None and len(_elements(s)) == size)]
            if len(match) != 1:
                raise _fail(node, f"say which sets index {name!r}: write {name} = param(VALUES, SetName)")
            index.append(match[0].name)
            level = next(iter(level.values())) if isinstance(level, dict) else level[0]
        return index


def _elements(s: SetDef) -> list[Any]:
    if s.elements is not None:
        return list(s.elements)
    if s.range is not None and len(s.range) == 2:
        return list(range(s.range[0], s.range[1] + 1))
    return []


def to_dsl(f: Formulation) -> str:
    """Render a formulation in the DSL (used for worked examples and for showing a model back)."""
    lines: list[str] = []
    for s in f.sets:
        if s.range is not None:
            lines.append(f"{s.name} = range({s.range[0]}, {s.range[1] + 1})")
        else:
            lines.append(f"{s.name} = set({', '.join(repr(e) for e in s.elements or [])})")
    for p in f.parameters:
        lines.append(f"{p.name} = {p.value!r}" if not p.index else
                     f"{p.name} = param({p.value!r}, {', '.join(p.index)})")
    for v in f.variables:
        args = [*v.index] + ([v.domain] if v.domain != "continuous" else [])
        if v.lb != 0.0 and v.domain != "binary":
            args.append(f"lb={v.lb!r}")
        if v.ub is not None and v.domain != "binary":
            args.append(f"ub={v.ub!r}")
        if v.description:
            args.append(f"desc={v.description!r}")
        lines.append(f"{v.name} = var({', '.join(args)})")
    lines.append(f"{f.objective.sense}({f.objective.expression})")
    for c in f.constraints:
        extra = f", forall={c.forall!r}" if c.forall else ""
        lines.append(f"subject_to({c.expression}, name={c.name!r}{extra})")
    return "\n".join(lines)
