"""Emit a standalone OR-Tools script from a formulation, translating our parsed expression tree node by node.

CP-friendly models whose expressions keep integer coefficients become a CP-SAT (`cp_model`) script;
other LP/MILP/QP-objective models a MathOpt script (GLOP for LP, SCIP otherwise). Nonlinear models are
refused (the Pyomo script covers them). No text from the formulation is pasted as code: symbols are
validated identifiers (renamed when they would shadow a Python or script name), strings go through
repr, numbers through our own formatting. The script prints its status and objective and ends with one
JSON line `{"status", "objective", "variables"}` keyed by our flat names (`x[1,a]`).
"""

from __future__ import annotations

import builtins
import keyword
import math
from dataclasses import dataclass
from typing import Any

from optcopilot.compile.instance import Instance, ProblemClass, instantiate
from optcopilot.ir.data import Key, ModelData, ResolvedParam, ResolvedSet, resolve_data
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
    domain_to_text,
    to_text,
    walk,
)
from optcopilot.ir.model import Formulation, VarDef
from optcopilot.ir.validate import ParsedFormulation, parse_formulation

DEFAULT_TIME_LIMIT = 60.0
BACKENDS = ("auto", "cpsat", "mathopt")
EXACT_INT = 2**53
LINE = 110

# Python-level names the generated script itself uses; user symbols that collide get a trailing "_".
SCRIPT_NAMES = frozenset({
    "math", "json", "sys", "datetime", "defaultdict", "cp_model", "mathopt", "model", "solver", "status",
    "result", "params", "reason", "outcome", "objective", "solution", "all_variables", "TIME_LIMIT", "STATUS",
    "add_constraint", "add_range", "power",
})
_MATH_FUNCS = {"exp": "math.exp", "log": "math.log", "sqrt": "math.sqrt", "sin": "math.sin", "cos": "math.cos",
               "log10": "math.log10", "floor": "math.floor", "ceil": "math.ceil"}
_CONSTANTS = {"inf": "math.inf", "pi": "math.pi", "e": "math.e"}
_STRICT = {"<": "<=", ">": ">="}

# precedence of emitted Python (higher binds tighter)
P_TEST, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_NEG, P_POW, P_ATOM = range(1, 11)
_BIN_PREC = {"+": P_ADD, "-": P_ADD, "*": P_MUL, "/": P_MUL, "**": P_POW}


class OrToolsCodegenError(ValueError):
    """The formulation cannot be written as an OR-Tools script (e.g. it is nonlinear)."""


def emit_ortools(formulation: Formulation, time_limit: float = DEFAULT_TIME_LIMIT, backend: str = "auto") -> str:
    """Source of a runnable OR-Tools script for `formulation`; `backend` is auto, cpsat or mathopt."""
    return _Emitter(formulation, time_limit, backend).emit()


def ortools_backend(formulation: Formulation) -> str:
    """The backend `emit_ortools(..., backend="auto")` picks: "cpsat" or "mathopt"."""
    return _Emitter(formulation, DEFAULT_TIME_LIMIT, "auto").backend


@dataclass(frozen=True)
class _Target:
    """A loop name in scope: `dim` > 1 means it holds a tuple (a multi-dimensional set element)."""

    dim: int
    is_int: bool


Scope = dict[str, _Target]


class _Emitter:
    def __init__(self, formulation: Formulation, time_limit: float, backend: str) -> None:
        if backend not in BACKENDS:
            raise OrToolsCodegenError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
        self.parsed: ParsedFormulation = parse_formulation(formulation)
        self.f = formulation
        self.data: ModelData = resolve_data(formulation)
        self.inst: Instance = instantiate(self.parsed)
        self.time_limit = float(time_limit)
        pclass = self.inst.problem_class()
        if pclass in (ProblemClass.NLP, ProblemClass.MINLP):
            raise OrToolsCodegenError(f"the model is {pclass.value} (nonlinear); OR-Tools scripts cover LP, MILP "
                                      "and quadratic objectives only - emit the Pyomo script instead")
        self.pclass = pclass
        self.variables = {v.name: v for v in formulation.variables}
        self.py = _python_names(self.parsed)
        cp_ok = self.inst.is_cp_friendly() and self._integer_safe_model()
        if backend == "cpsat" and not cp_ok:
            raise OrToolsCodegenError("a CP-SAT script needs a CP-friendly model (all-integer, linear, integer "
                                      "coefficients, finite bounds) whose expressions keep integer coefficients")
        self.backend = "cpsat" if backend == "cpsat" or backend == "auto" and cp_ok else "mathopt"
        self.cp = self.backend == "cpsat"

    # ---- whole script ---------------------------------------------------------------------------
    def emit(self) -> str:
        out: list[str] = []
        out += self._header()
        out += ["", "# ---- data " + "-" * 60]
        out += self._data()
        out += ["", "# ---- model " + "-" * 59]
        out += self._model_setup()
        out += ["", "# variables"]
        for v in self.f.variables:
            out += self._variable(v)
        out.append("all_variables = [" + ", ".join(
            f"*{self.py[v.name]}.values()" if v.index else self.py[v.name] for v in self.f.variables) + "]")
        for c in self.parsed.constraints:
            out.append("")
            out += self._constraint(c.name, c.domain, c.expr)
        out += ["", f"# objective: {self.f.objective.sense} {to_text(self.parsed.objective)}"]
        sense = "maximize" if self.f.objective.sense == "maximize" else "minimize"
        out.append(f"model.{sense}({self.expr(self.parsed.objective, {}, P_TEST)})")
        out += ["", "# ---- solve " + "-" * 59]
        out += self._solve_cp() if self.cp else self._solve_mathopt()
        return "\n".join(out) + "\n"

    def _header(self) -> list[str]:
        engine = "CP-SAT" if self.cp else f"MathOpt ({self._mathopt_solver()})"
        lines = [
            f'"""OR-Tools {engine} script, generated by optcopilot from a {self.pclass.value} formulation.',
            "",
            "Run: python this_script.py [time_limit_seconds]",
            'The last line printed is JSON: {"status", "objective", "variables"} keyed by flat names like x[1,a].',
            '"""',
            "",
            "import datetime" if not self.cp else "",
            "import json",
            "import math",
            "import sys",
        ]
        lines = [ln for ln in lines if ln or lines.index(ln) < 6]
        if any(p.default is not None for p in self.data.params.values() if p.index):
            lines.append("from collections import defaultdict")
        lines += ["", "from ortools.sat.python import cp_model" if self.cp else "from ortools.math_opt.python import mathopt",
                  "", f"TIME_LIMIT = float(sys.argv[1]) if len(sys.argv) > 1 else {self.time_limit!r}"]
        return lines

    def _model_setup(self) -> list[str]:
        lines = [f"# model {self.f.name!r}"]
        if self.cp:
            lines += ["model = cp_model.CpModel()", f"model.name = {self.f.name!r}", "",
                      "",
                      "def add_constraint(relation, label):",
                      '    """Add one row; a relation without variables is only checked."""',
                      "    if isinstance(relation, bool):",
                      "        if not relation:",
                      '            raise ValueError(f"constraint {label} has no variables and does not hold")',
                      "        return",
                      "    model.add(relation).with_name(label)",
                      "",
                      "",
                      "def add_range(lower, body, upper, label):",
                      '    """Add lower <= body <= upper (infinite sides become open)."""',
                      "    if isinstance(body, (int, float)):",
                      "        return",
                      "    lower = cp_model.INT_MIN if lower == -math.inf else lower",
                      "    upper = cp_model.INT_MAX if upper == math.inf else upper",
                      "    model.add_linear_constraint(body, lower, upper).with_name(label)"]
        else:
            lines += [f"model = mathopt.Model(name={self.f.name!r})", "",
                      "",
                      "def add_constraint(relation, label):",
                      '    """Add one row; a relation without variables is only checked."""',
                      "    if isinstance(relation, bool):",
                      "        if not relation:",
                      '            raise ValueError(f"constraint {label} has no variables and does not hold")',
                      "        return",
                      "    model.add_linear_constraint(relation, name=label)",
                      "",
                      "",
                      "def add_range(lower, body, upper, label):",
                      '    """Add lower <= body <= upper."""',
                      "    if isinstance(body, (int, float)):",
                      "        return",
                      "    model.add_linear_constraint(lb=lower, expr=body, ub=upper, name=label)"]
        if self._uses_power():
            lines += ["", "",
                      "def power(base, exponent):",
                      '    """base ** exponent for a small non-negative integer exponent (expressions have no **)."""',
                      "    out = 1",
                      "    for _ in range(int(exponent)):",
                      "        out = out * base",
                      "    return out"]
        lines.append("")
        return lines

    # ---- data -----------------------------------------------------------------------------------
    def _data(self) -> list[str]:
        lines: list[str] = []
        for s in self.f.sets:
            rs = self.data.sets[s.name]
            name = self.py[s.name]
            if rs.members is not None:
                items = [(_key_literal(k), _list_literal([_key_literal(e) for e in m])) for k, m in rs.members.items()]
                lines += _assign_dict(name, items)
            elif s.range is not None and rs.elements:
                first, last = rs.elements[0][0], rs.elements[-1][0]
                lines.append(f"{name} = list(range({first!r}, {last!r} + 1))")
            else:
                lines += _assign_list(name, [_key_literal(e) for e in rs.elements])
        for p in self.f.parameters:
            rp = self.data.params[p.name]
            name = self.py[p.name]
            if not rp.index:
                lines.append(f"{name} = {_number(rp.scalar)}")
                continue
            items = [(_key_literal(k), _number(v)) for k, v in rp.table.items()]
            if rp.default is not None:
                lines += _assign_dict(name, items, wrap=f"defaultdict(lambda: {_number(rp.default)}, ", close=")")
            else:
                lines += _assign_dict(name, items)
        return lines

    # ---- variables ------------------------------------------------------------------------------
    def _variable(self, v: VarDef) -> list[str]:
        name = self.py[v.name]
        targets, loops, scope = self._index_loops(v.index)
        key = targets[0] if len(targets) == 1 else "(" + ", ".join(targets) + ")"
        label = repr(v.name) if not v.index else 'f"' + v.name + "[" + ",".join("{" + t + "}" for t in targets) + ']"'
        make = self._make_var(v, key if v.index else "()", label)
        comment = f"# {v.name}: {v.domain}" + (f" over {', '.join(v.index)}" if v.index else "")
        if not v.index:
            return [comment, f"{name} = {make}"]
        return [comment, f"{name} = {{{key}: {make} {loops}}}"]

    def _index_loops(self, index: list[str]) -> tuple[list[str], str, Scope]:
        """Loop names and `for ... in ...` clauses over the product of index sets (keys flattened)."""
        taken = set(self.py.values())
        pool = (n for n in [*"ijklmnpqrstuvw", *(f"i{k}" for k in range(1, 1000))]
                if n not in taken and n not in SCRIPT_NAMES)
        targets: list[str] = []
        clauses: list[str] = []
        scope: Scope = {}
        for s in index:
            rs = self.data.sets[s]
            names = [next(pool) for _ in range(rs.dimen)]
            targets += names
            domain = self.py[s] if rs.members is None else (
                f"list(dict.fromkeys(e for members in {self.py[s]}.values() for e in members))")
            clauses.append(f"for {', '.join(names)} in {domain}")
            for k, n in enumerate(names):
                scope[n] = _Target(1, _component_ints(rs.elements, k))
        return targets, " ".join(clauses), scope

    def _make_var(self, v: VarDef, key: str, label: str) -> str:
        lo_node, hi_node = self.parsed.bounds.get(v.name, (None, None))
        lb = self._bound(v.lb, lo_node, key, -math.inf)
        ub = self._bound(v.ub, hi_node, key, math.inf)
        binary = v.domain == "binary"
        plain_binary = binary and (v.lb is None or isinstance(v.lb, int | float) and v.lb <= 0) and (
            v.ub is None or isinstance(v.ub, int | float) and v.ub >= 1)
        if binary and not plain_binary:
            lb, ub = f"max(0, {lb})", f"min(1, {ub})"
        if self.cp:
            if plain_binary:
                return f"model.new_bool_var({label})"
            return f"model.new_int_var({self._cp_bound(v.lb, lb, 'ceil')}, {self._cp_bound(v.ub, ub, 'floor')}, {label})"
        if plain_binary:
            return f"model.add_binary_variable(name={label})"
        kind = "add_variable" if v.domain == "continuous" else "add_integer_variable"
        return f"model.{kind}(lb={lb}, ub={ub}, name={label})"

    def _bound(self, raw: float | str | None, node: Node | None, key: str, default: float) -> str:
        if raw is None:
            return _number(default)
        if node is None:
            return _number(float(raw))  # type: ignore[arg-type]
        if isinstance(node, Name) and node.id in self.data.params and self.data.params[node.id].index:
            return f"{self.py[node.id]}[{key}]"
        return self.expr(node, {}, P_TEST)

    def _cp_bound(self, raw: float | str | None, text: str, rounding: str) -> str:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
            return str(math.ceil(value - 1e-9) if rounding == "ceil" else math.floor(value + 1e-9))
        return f"math.{rounding}({text})"

    # ---- constraints ----------------------------------------------------------------------------
    def _constraint(self, name: str, domain: tuple[Generator, ...], expr: Compare) -> list[str]:
        head = f"# {name}: {to_text(expr)}" + (f"   [{domain_to_text(domain)}]" if domain else "")
        lines = [head]
        scope: Scope = {}
        indent = ""
        key_parts: list[str] = []
        for g in domain:
            inner = self._bind(g, scope)
            target = g.targets[0] if len(g.targets) == 1 else ", ".join(self.py[t] for t in g.targets)
            lines.append(f"{indent}for {self.py[target] if len(g.targets) == 1 else target} in "
                         f"{self._domain(g.domain, scope)}:")
            indent += "    "
            scope = inner
            for t in g.targets:
                dim = scope[t].dim
                key_parts += [f"{{{self.py[t]}}}"] if dim == 1 else [f"{{{self.py[t]}[{k}]}}" for k in range(dim)]
            if g.conditions:
                lines.append(f"{indent}if {self._conditions(g.conditions, scope)}:")
                indent += "    "
        label = repr(name) if not key_parts else 'f"' + name + "[" + ",".join(key_parts) + ']"'
        lines.append(indent + self._row(expr, scope, label))
        return lines

    def _row(self, expr: Compare, scope: Scope, label: str) -> str:
        ops = [_STRICT.get(op, op) for op in expr.ops]
        if len(ops) == 1:
            left = self.expr(expr.operands[0], scope, P_CMP + 1)
            right = self.expr(expr.operands[1], scope, P_CMP + 1)
            return f"add_constraint({left} {ops[0]} {right}, {label})"
        low, mid, high = expr.operands
        if ops[0] == ">=":
            low, high = high, low
        return (f"add_range({self.expr(low, scope, P_TEST)}, {self.expr(mid, scope, P_TEST)}, "
                f"{self.expr(high, scope, P_TEST)}, {label})")

    # ---- solve and report -----------------------------------------------------------------------
    def _solve_cp(self) -> list[str]:
        return [
            "solver = cp_model.CpSolver()",
            "solver.parameters.max_time_in_seconds = TIME_LIMIT",
            "solver.parameters.num_workers = 2",
            "solver.parameters.random_seed = 0",
            "status = solver.solve(model)",
            "STATUS = {cp_model.OPTIMAL: \"optimal\", cp_model.FEASIBLE: \"time_limit_feasible\",",
            "          cp_model.INFEASIBLE: \"infeasible\", cp_model.UNKNOWN: \"time_limit_no_solution\"}",
            "outcome = STATUS.get(status, \"error\")",
            "objective = None",
            "solution = {}",
            "print(f\"status: {solver.status_name(status)}\")",
            "if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):",
            "    objective = solver.objective_value",
            "    solution = {v.name: float(solver.value(v)) for v in all_variables}",
            "    print(f\"objective: {objective}\")",
            "print(json.dumps({\"status\": outcome, \"objective\": objective, \"variables\": solution}))",
        ]

    def _mathopt_solver(self) -> str:
        return "GLOP" if self.pclass == ProblemClass.LP else "GSCIP"

    def _solve_mathopt(self) -> list[str]:
        solver = self._mathopt_solver()
        lines = ["params = mathopt.SolveParameters(time_limit=datetime.timedelta(seconds=TIME_LIMIT))"]
        if self.pclass != ProblemClass.LP:
            lines.append("params.relative_gap_tolerance = 0.0")
        if self.pclass in (ProblemClass.QP, ProblemClass.MIQP):
            lines.append('params.gscip.real_params["numerics/feastol"] = 1e-9  # tight epigraph of the quadratic')
        lines += [
            f"result = mathopt.solve(model, mathopt.SolverType.{solver}, params=params)",
            "reason = result.termination.reason",
        ]
        if solver != "GSCIP":
            lines += [
                "if reason == mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED:  # decide without presolve",
                "    params.presolve = mathopt.Emphasis.OFF",
                f"    result = mathopt.solve(model, mathopt.SolverType.{solver}, params=params)",
                "    reason = result.termination.reason",
            ]
        lines += [
            "STATUS = {",
            "    mathopt.TerminationReason.OPTIMAL: \"optimal\",",
            "    mathopt.TerminationReason.INFEASIBLE: \"infeasible\",",
            "    mathopt.TerminationReason.UNBOUNDED: \"unbounded\",",
            "    mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED: \"infeasible_or_unbounded\",",
            "    mathopt.TerminationReason.FEASIBLE: \"time_limit_feasible\",",
            "    mathopt.TerminationReason.NO_SOLUTION_FOUND: \"time_limit_no_solution\",",
            "}",
            "outcome = STATUS.get(reason, \"error\")",
            "objective = None",
            "solution = {}",
            "print(f\"status: {reason.name}\")",
            "if outcome in (\"optimal\", \"time_limit_feasible\") and result.has_primal_feasible_solution():",
            "    objective = result.objective_value()",
            "    values = result.variable_values(all_variables)",
            "    solution = {v.name: float(x) for v, x in zip(all_variables, values)}",
            "    print(f\"objective: {objective}\")",
            "print(json.dumps({\"status\": outcome, \"objective\": objective, \"variables\": solution}))",
        ]
        return lines

    # ---- expressions ----------------------------------------------------------------------------
    def expr(self, node: Node, scope: Scope, need: int) -> str:
        """Python source for `node`, parenthesised when its precedence is below `need`."""
        text, prec = self._expr(node, scope)
        return f"({text})" if prec < need else text

    def _expr(self, node: Node, scope: Scope) -> tuple[str, int]:  # noqa: C901 - one dispatch over node types
        match node:
            case Num(value=v):
                text = _number(v)
                return text, P_NEG if text.startswith("-") else P_ATOM
            case Str(value=v):
                return repr(v), P_ATOM
            case Name(id=name):
                if name in scope or name in self.py:
                    return self.py[name], P_ATOM
                return _CONSTANTS[name], P_ATOM
            case Index(base=base, indices=indices):
                return f"{self.py[base]}[{self._key(indices, scope)}]", P_ATOM
            case BinOp(op=op, left=left, right=right):
                return self._binop(op, left, right, scope)
            case Neg(operand=a):
                return f"-{self.expr(a, scope, P_NEG)}", P_NEG
            case Call(func=func, args=args):
                return self._call(func, args, scope), P_ATOM
            case Aggregate(func=func, body=body, generators=gens):
                return self._aggregate(func, body, gens, scope), P_ATOM
            case Compare(ops=ops, operands=operands):
                parts = [self.expr(operands[0], scope, P_CMP + 1)]
                for op, right in zip(ops, operands[1:], strict=True):
                    if op in ("in", "not in"):
                        parts.append(f"{op} {self._domain(right, scope)}")
                    else:
                        parts.append(f"{op} {self.expr(right, scope, P_CMP + 1)}")
                return " ".join(parts), P_CMP
            case BoolOp(op=op, values=values):
                prec = P_AND if op == "and" else P_OR
                return f" {op} ".join(self.expr(v, scope, prec + 1) for v in values), prec
            case Not(operand=a):
                return f"not {self.expr(a, scope, P_NOT)}", P_NOT
            case IfExp(test=t, body=b, orelse=o):
                text = f"{self.expr(b, scope, P_OR)} if {self.expr(t, scope, P_OR)} else {self.expr(o, scope, P_TEST)}"
                return f"({text})", P_ATOM
            case TupleNode(items=items):
                parts = [self._component(i, scope) for i in items]
                return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")", P_ATOM
        raise OrToolsCodegenError(f"cannot translate {to_text(node)!r}")

    def _binop(self, op: str, left: Node, right: Node, scope: Scope) -> tuple[str, int]:
        prec = _BIN_PREC[op]
        if op == "**":
            if self._has_var(left):
                return self._var_power(left, right, scope)
            return f"{self.expr(left, scope, P_ATOM)} ** {self.expr(right, scope, P_NEG)}", P_POW
        # the right operand keeps its own grouping (a + (b + c)), so floating-point sums match the tree
        return f"{self.expr(left, scope, prec)} {op} {self.expr(right, scope, prec + 1)}", prec

    def _var_power(self, base: Node, exponent: Node, scope: Scope) -> tuple[str, int]:
        if isinstance(exponent, Num) and exponent.value in (0.0, 1.0, 2.0):
            n = int(exponent.value)
            if n == 0:
                return "1", P_ATOM
            b = self.expr(base, scope, P_MUL + 1)
            return (b, P_ATOM if n == 1 else P_MUL) if n == 1 else (f"{b} * {b}", P_MUL)
        return f"power({self.expr(base, scope, P_TEST)}, {self.expr(exponent, scope, P_TEST)})", P_ATOM

    def _call(self, func: str, args: tuple[Node, ...], scope: Scope) -> str:
        if func in ("len", "card"):
            return f"len({self._domain(args[0], scope)})"
        if func == "ord":
            raise OrToolsCodegenError("ord() is not supported")
        if func in ("sum", "prod"):
            if not args:
                return "0" if func == "sum" else "1"
            op, prec = (" + ", P_ADD) if func == "sum" else (" * ", P_MUL)
            return "(" + op.join(self.expr(a, scope, prec + 1) for a in args) + ")"
        if func in ("min", "max") and len(args) == 1:
            return f"({self.expr(args[0], scope, P_TEST)})"
        inner = ", ".join(self.expr(a, scope, P_TEST) for a in args)
        if func in ("abs", "min", "max"):
            return f"{func}({inner})"
        return f"{_MATH_FUNCS[func]}({inner})"

    def _aggregate(self, func: str, body: Node, gens: tuple[Generator, ...], scope: Scope) -> str:
        clauses: list[str] = []
        inner = scope
        for g in gens:
            bound = self._bind(g, inner)
            target = ", ".join(self.py[t] for t in g.targets)
            clause = f"for {target} in {self._domain(g.domain, inner)}"
            inner = bound
            for c in g.conditions:
                clause += f" if {self.expr(c, inner, P_OR)}"
            clauses.append(clause)
        comp = f"{self.expr(body, inner, P_TEST)} {' '.join(clauses)}"
        if func == "sum":
            if self._has_var(body) and not self.cp:
                return f"mathopt.fast_sum({comp})"
            return f"sum({comp})"
        if func == "prod":
            return f"math.prod({comp})"
        return f"{func}({comp})"

    def _conditions(self, conds: tuple[Node, ...], scope: Scope) -> str:
        return " and ".join(self.expr(c, scope, P_AND + 1) for c in conds)

    def _domain(self, node: Node, scope: Scope) -> str:
        if isinstance(node, Name) and node.id in self.data.sets:
            return self.py[node.id]
        if isinstance(node, Index) and node.base in self.data.sets:
            return f"{self.py[node.base]}[{self._key(node.indices, scope)}]"
        if isinstance(node, Call) and node.func == "range":
            args = [self.expr(a, scope, P_TEST) if self._is_int(a, scope) else f"int({self.expr(a, scope, P_TEST)})"
                    for a in node.args]
            return f"range({', '.join(args)})"
        return self.expr(node, scope, P_CMP + 1)  # `x in (1, 2)`-style tuples in conditions

    def _key(self, indices: tuple[Node, ...], scope: Scope) -> str:
        parts = [self._component(i, scope) for i in indices]
        if len(parts) == 1 and not parts[0].startswith("*"):
            return parts[0]
        if len(parts) == 1:
            return parts[0][1:]
        if any(p.startswith("*") for p in parts):
            return "(" + ", ".join(parts) + ")"
        return ", ".join(parts)

    def _component(self, node: Node, scope: Scope) -> str:
        """One key component; a name bound to a tuple is splatted so keys stay flat."""
        if isinstance(node, Name) and node.id in scope and scope[node.id].dim > 1:
            return f"*{self.py[node.id]}"
        return self.expr(node, scope, P_TEST)

    def _bind(self, g: Generator, scope: Scope) -> Scope:
        dim, ints = self._domain_shape(g.domain)
        inner = dict(scope)
        if len(g.targets) == 1:
            inner[g.targets[0]] = _Target(dim, dim == 1 and ints[0])
        else:
            for k, t in enumerate(g.targets):
                inner[t] = _Target(1, ints[k] if k < len(ints) else False)
        return inner

    def _domain_shape(self, node: Node) -> tuple[int, list[bool]]:
        if isinstance(node, Name | Index):
            rs = self.data.sets[node.id if isinstance(node, Name) else node.base]
            return rs.dimen, [_component_ints(rs.elements, k) for k in range(rs.dimen)]
        return 1, [True]

    # ---- static analysis ------------------------------------------------------------------------
    def _has_var(self, node: Node) -> bool:
        for sub in walk(node):
            if isinstance(sub, Name) and sub.id in self.variables or isinstance(sub, Index) and sub.base in self.variables:
                return True
        return False

    def _uses_power(self) -> bool:
        roots: list[Node] = [self.parsed.objective, *(o for c in self.parsed.constraints for o in c.expr.operands)]
        for root in roots:
            for sub in walk(root):
                if isinstance(sub, BinOp) and sub.op == "**" and self._has_var(sub.left) and not (
                        isinstance(sub.right, Num) and sub.right.value in (0.0, 1.0, 2.0)):
                    return True
        return False

    def _integer_safe_model(self) -> bool:
        """Every value the CP-SAT script computes with variables stays a Python int (CP-SAT rejects floats)."""
        if not self._int_value(self.parsed.objective, {}):
            return False
        for c in self.parsed.constraints:
            scope: Scope = {}
            for g in c.domain:
                scope = self._bind(g, scope)
            if not all(self._int_value(o, scope) for o in c.expr.operands):
                return False
        return True

    def _int_value(self, node: Node, scope: Scope) -> bool:  # noqa: C901 - one dispatch over node types
        """Statically sure to evaluate to a Python int (or an integer CP-SAT expression)."""
        match node:
            case Num(value=v):
                return float(v).is_integer() and abs(v) <= EXACT_INT
            case Name(id=name):
                if name in scope:
                    return scope[name].dim == 1 and scope[name].is_int
                if name in self.variables:
                    return True
                if name in self.data.params:
                    return _param_ints(self.data.params[name])
                return False
            case Index(base=base):
                if base in self.variables:
                    return True
                return base in self.data.params and _param_ints(self.data.params[base])
            case BinOp(op=op, left=a, right=b):
                if op in ("+", "-"):
                    return self._int_value(a, scope) and self._int_value(b, scope)
                if op == "*":
                    both_var = self._has_var(a) and self._has_var(b)
                    return not both_var and self._int_value(a, scope) and self._int_value(b, scope)
                if op == "**":
                    return (not self._has_var(node) and self._int_value(a, scope) and isinstance(b, Num)
                            and b.value >= 0 and float(b.value).is_integer())
                return False
            case Neg(operand=a):
                return self._int_value(a, scope)
            case Call(func=func, args=args):
                if func in ("len", "card"):
                    return True
                if func in ("floor", "ceil"):
                    return not self._has_var(node)
                if func in ("abs", "min", "max", "sum"):
                    return (func != "abs" or not self._has_var(node)) and (
                        len(args) == 1 or not self._has_var(node) or func == "sum") and all(
                        self._int_value(a, scope) for a in args)
                if func == "prod":
                    return not self._has_var(node) and all(self._int_value(a, scope) for a in args)
                return False
            case Aggregate(func=func, body=body, generators=gens):
                inner = scope
                for g in gens:
                    inner = self._bind(g, inner)
                if func != "sum" and self._has_var(body):
                    return False
                return self._int_value(body, inner)
            case IfExp(body=b, orelse=o):
                return self._int_value(b, scope) and self._int_value(o, scope)
            case Compare() | BoolOp() | Not():
                return not self._has_var(node)
        return False

    def _is_int(self, node: Node, scope: Scope) -> bool:
        return not self._has_var(node) and self._int_value(node, scope)


# ---- names and literals -------------------------------------------------------------------------
def _python_names(parsed: ParsedFormulation) -> dict[str, str]:
    """Python identifier for every symbol and loop name; clashes with Python or script names get '_'."""
    f = parsed.formulation
    names = [s.name for s in f.sets] + [p.name for p in f.parameters] + [v.name for v in f.variables]
    roots: list[Node] = [parsed.objective, *(o for c in parsed.constraints for o in c.expr.operands)]
    loop_names: list[str] = []
    for c in parsed.constraints:
        for g in c.domain:
            loop_names += g.targets
            roots += [g.domain, *g.conditions]
    for root in roots:
        for sub in walk(root):
            if isinstance(sub, Aggregate):
                for g in sub.generators:
                    loop_names += g.targets
    for bounds in parsed.bounds.values():
        roots += [b for b in bounds if b is not None]
    taken = set(names) | set(loop_names)
    reserved = set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | SCRIPT_NAMES
    out: dict[str, str] = {}
    for name in dict.fromkeys(names + loop_names):
        py = name
        while py in reserved or py != name and py in taken:
            py += "_"
        out[name] = py
        taken.add(py)
    return out


def _number(value: float | int | None) -> str:
    """Exact Python source for a number: ints when integral (CP-SAT needs them), repr otherwise."""
    if value is None:
        raise OrToolsCodegenError("missing numeric value")
    v = float(value)
    if math.isnan(v):
        return "math.nan"
    if math.isinf(v):
        return "math.inf" if v > 0 else "-math.inf"
    if v.is_integer() and abs(v) <= EXACT_INT:
        return str(int(v))
    return repr(v)


def _element(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _key_literal(key: Key) -> str:
    """A set element or data key: the bare component for 1-tuples, a tuple otherwise."""
    if len(key) == 1:
        return _element(key[0])
    return "(" + ", ".join(_element(c) for c in key) + ")"


def _list_literal(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _assign_list(name: str, items: list[str]) -> list[str]:
    one = f"{name} = [{', '.join(items)}]"
    if len(one) <= LINE:
        return [one]
    return [f"{name} = ["] + _wrap(items, "    ") + ["]"]


def _assign_dict(name: str, items: list[tuple[str, str]], wrap: str = "", close: str = "") -> list[str]:
    entries = [f"{k}: {v}" for k, v in items]
    one = f"{name} = {wrap}{{{', '.join(entries)}}}{close}"
    if len(one) <= LINE:
        return [one]
    return [f"{name} = {wrap}{{"] + _wrap(entries, "    ") + ["}" + close]


def _wrap(items: list[str], indent: str) -> list[str]:
    lines: list[str] = []
    current = indent
    for item in items:
        piece = item + ","
        if current.strip() and len(current) + 1 + len(piece) > LINE:
            lines.append(current.rstrip())
            current = indent
        current += piece if not current.strip() else " " + piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _component_ints(elements: list[Key], k: int) -> bool:
    return all(isinstance(e[k], int) and not isinstance(e[k], bool) for e in elements if len(e) > k)


def _param_ints(p: ResolvedParam) -> bool:
    values = [p.scalar] if not p.index else [*p.table.values(), *([p.default] if p.default is not None else [])]
    return all(v is not None and math.isfinite(v) and float(v).is_integer() and abs(v) <= EXACT_INT for v in values)


__all__ = ["OrToolsCodegenError", "emit_ortools", "ortools_backend", "ResolvedSet"]
