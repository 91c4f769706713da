"""Read gurobipy model statements (`addConstr`, `addConstrs`, `setObjective`) into IR elements.

Reference formulations (NLP4LP/OptiMUS) ship their constraints as gurobipy code. We parse that code with
`ast` and translate a whitelisted subset into our expression language; nothing is evaluated or executed.
Anything outside the subset — a name that is not a parameter, variable or loop index ("free index"), a
hard-coded element name indexing a range, an index count that disagrees with a declared shape, a method
call — raises `SnippetError` with the statement it is in, never a guessed translation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from optcopilot.ir.expr import FUNCTIONS, ExprSyntaxError, parse_expression, to_text
from optcopilot.ir.model import ConstraintDef, ObjectiveDef

_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_SENSES = {"GRB.MAXIMIZE": "maximize", "GRB.MINIMIZE": "minimize", "GRB.MAX": "maximize", "GRB.MIN": "minimize"}
SUM_CALLS = frozenset({"quicksum", "sum"})
_RELATIONS = (ast.LtE, ast.GtE, ast.Eq)


class SnippetError(ValueError):
    """A gurobipy statement we cannot translate without guessing; the message says which and why."""


@dataclass
class Symbols:
    """What names mean in the code: parameters and variables with their dimension names, loop-free constants."""

    params: dict[str, list[str]] = field(default_factory=dict)  # name -> dimension (count-parameter) names
    variables: dict[str, list[str]] = field(default_factory=dict)
    dim_sets: dict[str, str] = field(default_factory=dict)  # count parameter -> index set name
    constants: dict[str, ast.expr] = field(default_factory=dict)  # `epsilon = 1e-5`, `i = 0`
    positions: dict[str, dict[str, int]] = field(default_factory=dict)  # `pos = {"Sleep": 0, "legs": 1}`

    def arity(self, name: str) -> int | None:
        if name in self.params:
            return len(self.params[name])
        if name in self.variables:
            return len(self.variables[name])
        return None


@dataclass
class ModelPieces:
    constraints: list[ConstraintDef] = field(default_factory=list)
    objective: ObjectiveDef | None = None


def our_text(node: ast.expr) -> str:
    """A translated tree in our expression language's canonical spelling (parsed by our reader, not run)."""
    text = ast.unparse(node)
    try:
        return to_text(parse_expression(text))
    except ExprSyntaxError as exc:
        raise SnippetError(str(exc)) from None


def method_name(call: ast.Call) -> str | None:
    """`model.addConstr(...)` -> "addConstr" (any receiver name), else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr
    return None


def shown(node: ast.AST, limit: int = 120) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GurobipyReader:
    """Translate model statements against a symbol table; collects constraints and the objective."""

    def __init__(self, symbols: Symbols) -> None:
        self.symbols = symbols
        self.pieces = ModelPieces()

    # statements ---------------------------------------------------------------------------------------
    def snippet(self, code: str, where: str) -> None:
        """One snippet of code (one or more statements); SnippetError names `where` on failure."""
        try:
            tree = ast.parse(code.strip())
        except SyntaxError as exc:
            raise SnippetError(f"{where}: syntax error ({exc.msg}, line {exc.lineno})") from None
        for stmt in tree.body:
            self.statement(stmt, [], where)

    def statement(self, stmt: ast.stmt, loops: list[ast.comprehension], where: str) -> None:
        try:
            self._statement(stmt, loops)
        except SnippetError as exc:
            raise SnippetError(f"{where}: {exc} in `{shown(stmt)}`") from None

    def _statement(self, stmt: ast.stmt, loops: list[ast.comprehension]) -> None:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            return  # a docstring
        if isinstance(stmt, ast.For) and not stmt.orelse:
            comp = ast.comprehension(target=stmt.target, iter=stmt.iter, ifs=[], is_async=0)
            for sub in stmt.body:
                self._statement(sub, [*loops, comp])
            return
        if isinstance(stmt, ast.If) and loops and not stmt.orelse:  # `if i != j:` inside a loop
            last = loops[-1]
            guarded = ast.comprehension(target=last.target, iter=last.iter, ifs=[*last.ifs, stmt.test], is_async=0)
            for sub in stmt.body:
                self._statement(sub, [*loops[:-1], guarded])
            return
        if isinstance(stmt, ast.Assign) and not loops and (self.bind_constant(stmt) or self.bind_positions(stmt)):
            return
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            raise SnippetError(f"unsupported statement ({type(stmt).__name__})")
        call = stmt.value
        method = method_name(call)
        if method == "addConstr":
            self.add_constraint(call, loops)
        elif method == "addConstrs":
            self.add_constraints(call, loops)
        elif method == "setObjective":
            if loops:
                raise SnippetError("objective inside a loop")
            self.set_objective(call)
        else:
            raise SnippetError(f"unsupported call {shown(call.func)}")

    def bind_constant(self, stmt: ast.Assign) -> bool:
        """`epsilon = 1e-5` or `i = 0`: a name for a number, substituted where it is used."""
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            return False
        value = stmt.value
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = value.operand
        if not (isinstance(value, ast.Constant) and isinstance(value.value, int | float)
                and not isinstance(value.value, bool)):
            return False
        name = stmt.targets[0].id
        if self.symbols.arity(name) is not None:
            raise SnippetError(f"{name!r} is rebound to a number")
        self.symbols.constants[name] = stmt.value
        return True

    def bind_positions(self, stmt: ast.Assign) -> bool:
        """`pos = {"Sleep": 0, "legs": 1}`: literal element names for integer positions, looked up as `pos["legs"]`."""
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) or not isinstance(stmt.value, ast.Dict):
            return False
        table: dict[str, int] = {}
        for key, value in zip(stmt.value.keys, stmt.value.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.Constant)
                    and isinstance(value.value, int) and not isinstance(value.value, bool)):
                return False
            table[key.value] = value.value
        name = stmt.targets[0].id
        if self.symbols.arity(name) is not None:
            raise SnippetError(f"{name!r} is rebound to a table")
        self.symbols.positions[name] = table
        return True

    def add_constraint(self, call: ast.Call, loops: list[ast.comprehension]) -> None:
        if len(call.args) < 1:
            raise SnippetError("addConstr without a constraint")
        body = call.args[0]
        if isinstance(body, ast.GeneratorExp):
            raise SnippetError("addConstr given a generator (addConstrs was meant)")
        self._emit(body, loops, self._name_of(call, 1))

    def add_constraints(self, call: ast.Call, loops: list[ast.comprehension]) -> None:
        if len(call.args) < 1 or not isinstance(call.args[0], ast.GeneratorExp | ast.ListComp):
            raise SnippetError("addConstrs needs a generator of constraints")
        gen = call.args[0]
        self._emit(gen.elt, [*loops, *gen.generators], self._name_of(call, 1))

    def _name_of(self, call: ast.Call, position: int) -> str | None:
        node = call.args[position] if len(call.args) > position else None
        for kw in call.keywords:
            if kw.arg == "name":
                node = kw.value
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    def _emit(self, body: ast.expr, loops: list[ast.comprehension], name: str | None) -> None:
        bound = _targets(loops)
        domain = self.domain(loops)
        if not isinstance(body, ast.Compare) or len(body.ops) != 1:
            raise SnippetError("a constraint must be one comparison (<=, >= or ==)")
        if not isinstance(body.ops[0], _RELATIONS):
            raise SnippetError("strict inequality (< or >) is not a linear-programming constraint")
        text = our_text(ast.Compare(left=self.expr(body.left, bound), ops=body.ops,
                                    comparators=[self.expr(body.comparators[0], bound)]))
        self.pieces.constraints.append(ConstraintDef(name=self._fresh_name(name), expression=text,
                                                     forall=domain or None))

    def _fresh_name(self, wanted: str | None) -> str:
        base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in (wanted or "")).strip("_")
        if not base or not base[0].isalpha():
            base = f"c{len(self.pieces.constraints) + 1}" if not base else f"c_{base}"
        taken = {c.name for c in self.pieces.constraints}
        name, n = base, 2
        while name in taken or self.symbols.arity(name) is not None or name in self.symbols.dim_sets.values():
            name, n = f"{base}_{n}", n + 1
        return name

    def set_objective(self, call: ast.Call) -> None:
        if self.pieces.objective is not None:
            raise SnippetError("a second setObjective")
        if not call.args:
            raise SnippetError("setObjective without an expression")
        sense_node = call.args[1] if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg == "sense":
                sense_node = kw.value
        if sense_node is None:
            sense = "minimize"  # gurobipy's default sense
        else:
            sense = _SENSES.get(ast.unparse(sense_node), "")
            if not sense:
                raise SnippetError(f"unknown objective sense {shown(sense_node)}")
        expression = our_text(self.expr(call.args[0], set()))
        self.pieces.objective = ObjectiveDef(sense=sense, expression=expression)  # type: ignore[arg-type]

    # loops --------------------------------------------------------------------------------------------
    def comprehensions(self, loops: list[ast.comprehension], bound: set[str]) -> list[ast.comprehension]:
        """Translated loop clauses: `range(N)` over a count parameter becomes its index set."""
        out: list[ast.comprehension] = []
        inner = set(bound)
        for comp in loops:
            target = ast.Name(self._loop_target(comp.target))
            iterable = self.iterable(comp.iter, inner)
            inner.add(target.id)
            ifs = [self.expr(c, inner) for c in comp.ifs]
            out.append(ast.comprehension(target=target, iter=iterable, ifs=ifs, is_async=0))
        return out

    def domain(self, loops: list[ast.comprehension]) -> str:
        """Loop clauses as our forall text (`i in Items if c, j in Slots`)."""
        return ", ".join(f"{ast.unparse(c.target)} in {ast.unparse(c.iter)}"
                         + "".join(f" if {ast.unparse(cond)}" for cond in c.ifs)
                         for c in self.comprehensions(loops, set()))

    def _loop_target(self, target: ast.expr) -> str:
        if isinstance(target, ast.Name):
            if self.symbols.arity(target.id) is not None:
                raise SnippetError(f"loop index {target.id!r} shadows a parameter or variable")
            return target.id
        raise SnippetError(f"loop target {shown(target)} must be one name")

    def iterable(self, node: ast.expr, bound: set[str]) -> ast.expr:
        """`range(N)` over a count parameter becomes its index set; other ranges stay ranges."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
                and not node.keywords and 1 <= len(node.args) <= 2:
            args = node.args
            if len(args) == 1 and isinstance(args[0], ast.Name) and args[0].id in self.symbols.dim_sets:
                return ast.Name(self.symbols.dim_sets[args[0].id])
            return ast.Call(ast.Name("range"), [self.expr(a, bound) for a in args], [])
        raise SnippetError(f"loop over {shown(node)} (only range(...) loops are read)")

    # expressions --------------------------------------------------------------------------------------
    def expr(self, node: ast.expr, bound: set[str]) -> ast.expr:
        match node:
            case ast.Constant(value=bool()):
                return ast.Constant(int(node.value))
            case ast.Constant(value=int() | float()):
                return node
            case ast.Constant(value=str()):
                raise SnippetError(f"hard-coded element name {node.value!r}")
            case ast.Name(id=name):
                return self.name(name, bound)
            case ast.Attribute():
                if shown(node) == "GRB.INFINITY":
                    return ast.Name("inf")
                raise SnippetError(f"attribute {shown(node)}")
            case ast.Subscript():
                return self.subscript(node, bound)
            case ast.BinOp(op=op) if isinstance(op, _ARITH):
                return ast.BinOp(self.expr(node.left, bound), op, self.expr(node.right, bound))
            case ast.UnaryOp(op=ast.USub() | ast.UAdd()):
                return ast.UnaryOp(node.op, self.expr(node.operand, bound))
            case ast.Compare() if len(node.ops) == 1:  # only in loop conditions
                return ast.Compare(self.expr(node.left, bound), node.ops, [self.expr(node.comparators[0], bound)])
            case ast.BoolOp():
                return ast.BoolOp(node.op, [self.expr(v, bound) for v in node.values])
            case ast.Call():
                return self.call(node, bound)
        raise SnippetError(f"unsupported expression {shown(node)}")

    def name(self, name: str, bound: set[str]) -> ast.expr:
        if name in bound:
            return ast.Name(name)
        if name in self.symbols.constants:
            return self.symbols.constants[name]
        arity = self.symbols.arity(name)
        if arity is None:
            raise SnippetError(f"free name {name!r} (not a parameter, variable or loop index)")
        if arity:
            raise SnippetError(f"{name!r} has {arity} index(es) but is used without one")
        return ast.Name(name)

    def subscript(self, node: ast.Subscript, bound: set[str]) -> ast.expr:
        """`A[i][j]` and `A[i, j]` both become `A[i, j]`, checked against A's declared shape."""
        indices: list[ast.expr] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Subscript):
            part = cur.slice
            indices[:0] = part.elts if isinstance(part, ast.Tuple) else [part]
            cur = cur.value
        if not isinstance(cur, ast.Name):
            raise SnippetError(f"only a parameter or variable can be indexed, not {shown(cur)}")
        arity = self.symbols.arity(cur.id)
        if arity is None:
            raise SnippetError(f"free name {cur.id!r} (not a parameter, variable or loop index)")
        if arity != len(indices):
            raise SnippetError(f"{cur.id!r} is declared with {arity} index(es) but used with {len(indices)}")
        return ast.Subscript(ast.Name(cur.id), self._index_tuple([self.index(i, bound) for i in indices]))

    @staticmethod
    def _index_tuple(items: list[ast.expr]) -> ast.expr:
        return items[0] if len(items) == 1 else ast.Tuple(items)

    def index(self, node: ast.expr, bound: set[str]) -> ast.expr:
        """An index: an integer, a loop index, a number-valued name, or arithmetic on those."""
        match node:
            case ast.Constant(value=int()) if not isinstance(node.value, bool):
                return node
            case ast.Constant(value=str()):
                raise SnippetError(f"hard-coded element name {node.value!r} used as an index")
            case ast.Name(id=name) if name in bound or name in self.symbols.constants:
                return self.name(name, bound)
            case ast.Name(id=name) if name in self.symbols.params and not self.symbols.params[name]:
                return ast.Name(name)
            case ast.BinOp(op=ast.Add() | ast.Sub() | ast.Mult()):
                return ast.BinOp(self.index(node.left, bound), node.op, self.index(node.right, bound))
            case ast.Subscript(value=ast.Name(id=table), slice=ast.Constant(value=str() as key)) \
                    if table in self.symbols.positions:
                if key not in self.symbols.positions[table]:
                    raise SnippetError(f"{key!r} is not in the table {table!r}")
                return ast.Constant(self.symbols.positions[table][key])
        if isinstance(node, ast.Name) and self.symbols.arity(node.id) is None:
            raise SnippetError(f"free index {node.id!r} (not bound by a loop)")
        raise SnippetError(f"unsupported index {shown(node)}")

    def call(self, node: ast.Call, bound: set[str]) -> ast.expr:
        if not isinstance(node.func, ast.Name):
            raise SnippetError(f"method call {shown(node.func)}")
        func = node.func.id
        if node.keywords:
            raise SnippetError(f"keyword arguments to {func}")
        if func in SUM_CALLS and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, ast.GeneratorExp | ast.ListComp):
                comps = self.comprehensions(arg.generators, bound)
                body = self.expr(arg.elt, bound | _targets(arg.generators))
                return ast.Call(ast.Name("sum"), [ast.GeneratorExp(elt=body, generators=comps)], [])
            if isinstance(arg, ast.List | ast.Tuple):
                return ast.Call(ast.Name("sum"), [ast.List([self.expr(e, bound) for e in arg.elts])], [])
            raise SnippetError(f"{func} over {shown(arg)} (only generators or lists are read)")
        if func == "len" and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
            dims = self.symbols.params.get(node.args[0].id)
            if dims:
                return ast.Name(dims[0])
            raise SnippetError(f"len() of {shown(node.args[0])}, which is not an indexed parameter")
        if func in FUNCTIONS and node.args:
            return ast.Call(ast.Name(func), [self.expr(a, bound) for a in node.args], [])
        raise SnippetError(f"unsupported function {func}()")


def _targets(comps: list[ast.comprehension]) -> set[str]:
    out: set[str] = set()
    for comp in comps:
        out |= _names(comp.target)
    return out


def _names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
