"""Read a whole OptiMUS gurobipy program (the script that produced an NLP4LP answer) into a Formulation.

The program has a fixed layout: imports, `model = Model()`, `with open(...) as f: data = json.load(f)`,
`Name = data["Name"]` per parameter (with a `# @Parameter Name @Def: ... @Shape: [...]` comment),
`x = model.addVar(vtype=..., lb=..., ub=...)` / `x = model.addVars(N, vtype=...)`, constraints, the
objective, `model.optimize()`, then code that writes the solution out. We walk the statements up to
`model.optimize()` with `ast` (nothing runs); every statement must be one of these forms, or the program
is rejected with the statement that is not.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from optcopilot.io.gurobipy_reader import GurobipyReader, SnippetError, method_name, our_text, shown
from optcopilot.io.nlp4lp_data import ImportFailure, add_count_set, build_data
from optcopilot.ir.model import Formulation, VarDef

_VTYPES = {"GRB.CONTINUOUS": "continuous", "GRB.INTEGER": "integer", "GRB.BINARY": "binary",
           "'C'": "continuous", "'I'": "integer", "'B'": "binary"}
_SHAPE_COMMENT = re.compile(r"#\s*@Parameter\s+(\w+)\s+@Def:.*?@Shape:\s*(\[[^\]]*\])")


def shape_comments(program: str) -> dict[str, list[Any]]:
    """`# @Parameter Name @Def: ... @Shape: ['N']` comments as name -> shape (read as literals, not run)."""
    out: dict[str, list[Any]] = {}
    for name, text in _SHAPE_COMMENT.findall(program):
        node = ast.parse(text, mode="eval").body
        if isinstance(node, ast.List) and all(isinstance(e, ast.Constant) for e in node.elts):
            out[name] = [e.value for e in node.elts]  # type: ignore[attr-defined]
    return out


def program_formulation(item_id: str, program: str, data: dict[str, Any],
                        fallback_shapes: dict[str, list[Any]]) -> Formulation:
    try:
        tree = ast.parse(program)
    except SyntaxError as exc:
        raise ImportFailure(item_id, f"program: syntax error line {exc.lineno}: {exc.msg}") from None
    walker = _ProgramWalker(item_id, data, {**fallback_shapes, **shape_comments(program)})
    for stmt in tree.body:
        if walker.statement(stmt):
            break
    else:
        raise ImportFailure(item_id, "program: no model.optimize() call")
    return walker.formulation()


class _ProgramWalker:
    def __init__(self, item_id: str, data: dict[str, Any], shapes: dict[str, list[Any]]) -> None:
        self.item_id = item_id
        self.data = data
        self.shapes = shapes
        self.bindings: dict[str, str] = {}  # program name -> data key
        self.variables: list[VarDef] = []
        self.var_dims: dict[str, list[str]] = {}
        self.reader: GurobipyReader | None = None
        self.model_started = False

    def fail(self, stmt: ast.AST, why: str) -> ImportFailure:
        line = getattr(stmt, "lineno", "?")
        return ImportFailure(self.item_id, f"program line {line}: {why}: `{shown(stmt)}`")

    def statement(self, stmt: ast.stmt) -> bool:
        """Read one top-level statement; True at `model.optimize()` (the model is complete)."""
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            return False
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return False  # the description docstring
        if isinstance(stmt, ast.With):
            self.with_data(stmt)
            return False
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and method_name(stmt.value) == "optimize":
            return True
        if isinstance(stmt, ast.Assign) and self.assignment(stmt):
            return False
        try:
            self.model_reader().statement(stmt, [], f"program line {stmt.lineno}")
        except SnippetError as exc:
            raise ImportFailure(self.item_id, str(exc)) from None
        return False

    def with_data(self, stmt: ast.With) -> None:
        """`with open(...) as f: data = json.load(f)`: the data, which the record already holds."""
        body = stmt.body
        if not (len(body) == 1 and isinstance(body[0], ast.Assign)
                and shown(body[0].value).startswith("json.load(")):
            raise self.fail(stmt, "a with-block other than loading the data file")

    def assignment(self, stmt: ast.Assign) -> bool:
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            return False
        name, value = stmt.targets[0].id, stmt.value
        if isinstance(value, ast.Call) and shown(value.func) == "Model":
            return True
        if isinstance(value, ast.Subscript) and shown(value.value) == "data" \
                and isinstance(value.slice, ast.Constant) and isinstance(value.slice.value, str):
            if self.reader is not None:
                raise self.fail(stmt, "data read after the first variable")
            self.bindings[name] = value.slice.value
            return True
        if isinstance(value, ast.Call) and shown(value.func) == "len" and len(value.args) == 1 \
                and isinstance(value.args[0], ast.Name) and value.args[0].id in self.bindings:
            length = self.data.get(self.bindings[value.args[0].id])
            if not isinstance(length, list):
                raise self.fail(stmt, "len() of a parameter that is not a list")
            if self.reader is not None:
                raise self.fail(stmt, "data read after the first variable")
            self.data = {**self.data, name: len(length)}
            self.bindings[name] = name
            return True
        if isinstance(value, ast.Call) and method_name(value) in ("addVar", "addVars"):
            self.add_variable(stmt, name, value)
            return True
        return False

    def model_reader(self) -> GurobipyReader:
        """The symbol table is complete once the data is read: build sets and parameters then."""
        if self.reader is None:
            shapes: dict[str, list[Any]] = {}
            values: dict[str, Any] = {}
            for name, key in self.bindings.items():
                if key not in self.data:
                    raise ImportFailure(self.item_id, f"program reads data[{key!r}], which the record lacks")
                values[name] = self.data[key]
                shape = self.shapes.get(key, self.shapes.get(name))
                if shape is None:
                    if isinstance(values[name], list):
                        raise ImportFailure(self.item_id, f"parameter {name!r} is a list with no declared shape")
                    shape = []
                shapes[name] = shape
            self.values = values
            self.model_data = build_data(self.item_id, shapes, values)
            self.reader = GurobipyReader(self.model_data.symbols)
        return self.reader

    def add_variable(self, stmt: ast.Assign, name: str, call: ast.Call) -> None:
        reader = self.model_reader()
        symbols = reader.symbols
        if symbols.arity(name) is not None:
            raise self.fail(stmt, f"{name!r} is declared twice")
        dims: list[str] = []
        if method_name(call) == "addVars":
            for arg in call.args:
                if isinstance(arg, ast.Call) and shown(arg.func) == "range" and len(arg.args) == 1:
                    arg = arg.args[0]
                if not (isinstance(arg, ast.Name) and arg.id in symbols.params and not symbols.params[arg.id]):
                    raise self.fail(stmt, f"addVars over {shown(arg)} (expected a count parameter)")
                add_count_set(self.model_data, self.item_id, arg.id, self.values, set(self.bindings))
                dims.append(arg.id)
            if not dims:
                raise self.fail(stmt, "addVars without dimensions")
        elif call.args:
            raise self.fail(stmt, "positional arguments to addVar")
        options = {"vtype": "continuous", "lb": 0.0, "ub": None}
        for kw in call.keywords:
            if kw.arg == "vtype":
                vtype = _VTYPES.get(shown(kw.value).replace('"', "'"))
                if vtype is None:
                    raise self.fail(stmt, f"unknown vtype {shown(kw.value)}")
                options["vtype"] = vtype
            elif kw.arg in ("lb", "ub"):
                options[kw.arg] = self.bound(stmt, kw.value, reader)
            elif kw.arg not in ("name", "column", "obj"):
                raise self.fail(stmt, f"unsupported addVar option {kw.arg}")
            if kw.arg in ("obj", "column"):
                raise self.fail(stmt, f"addVar option {kw.arg} (objective or column coefficients)")
        if dims and (isinstance(options["lb"], str) or isinstance(options["ub"], str)):
            raise self.fail(stmt, "an expression bound on an indexed variable family")
        domain = options["vtype"]
        lb, ub = options["lb"], options["ub"]
        if domain == "binary":
            lb, ub = max(lb, 0.0) if isinstance(lb, float) else lb, 1.0 if ub is None else ub
        symbols.variables[name] = dims
        self.variables.append(VarDef(name=name, index=[symbols.dim_sets[d] for d in dims], domain=domain,
                                     lb=lb, ub=ub))

    def bound(self, stmt: ast.stmt, node: ast.expr, reader: GurobipyReader) -> float | str | None:
        text = shown(node)
        if text in ("GRB.INFINITY", "float('inf')"):
            return None
        if text in ("-GRB.INFINITY", "-float('inf')"):
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        try:
            return our_text(reader.expr(node, set()))
        except SnippetError as exc:
            raise self.fail(stmt, f"bound: {exc}") from None

    def formulation(self) -> Formulation:
        reader = self.model_reader()
        if reader.pieces.objective is None:
            raise ImportFailure(self.item_id, "program: no setObjective before optimize()")
        if not self.variables:
            raise ImportFailure(self.item_id, "program: no variables")
        return Formulation(name=f"nlp4lp_{self.item_id}", sets=self.model_data.sets, parameters=self.model_data.params,
                           variables=self.variables, objective=reader.pieces.objective,
                           constraints=reader.pieces.constraints)
