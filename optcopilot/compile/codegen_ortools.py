"""Formulation -> a standalone OR-Tools script, written by walking our parsed expression trees.

CP-friendly models whose expressions keep integer coefficients become a CP-SAT (`cp_model`) script;
other LP/MILP models, and models with a quadratic objective, a MathOpt script (GLOP for LP, SCIP
otherwise). Nonlinear models are refused: the Pyomo script covers them. Nothing from the formulation
is pasted in as code (see `codegen_common`). The script prints its status and objective and ends with
one JSON line `{"status", "objective", "variables"}` keyed by our flat names (`x[1,a]`).

Why one module of about 500 lines: one emitter writes both OR-Tools dialects (CP-SAT and MathOpt share
the data section, variable families and row loops, and differ only in a few calls); what both script
emitters share already lives in `codegen_common` (names, data) and `codegen_expr` (expressions).
"""

from __future__ import annotations

import math

from optcopilot.compile.capabilities import supports
from optcopilot.compile.codegen_common import (
    FLAT_NAME_SOURCE,
    CodegenError,
    Namer,
    comment,
    data_section,
    number_literal,
    py_literal,
    wrap_lines,
)
from optcopilot.compile.codegen_expr import ATOM, Dialect, ExprWriter, Scope
from optcopilot.compile.instance import ProblemClass, instantiate
from optcopilot.ir.data import Key, ResolvedParam, resolve_data
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
    to_text,
    walk,
)
from optcopilot.ir.model import Formulation, VarDef
from optcopilot.ir.validate import ParsedConstraint, ParsedFormulation, parse_formulation

DEFAULT_TIME_LIMIT = 60.0
BACKENDS = ("auto", "cpsat", "mathopt")
INT_LITERAL_LIMIT = 1e15
"""`number_literal` writes integral values below this as ints; CP-SAT needs ints for every coefficient."""

SCRIPT_NAMES = frozenset({
    "datetime", "cp_model", "mathopt", "add_constraint", "add_range", "power", "params", "result", "reason",
    "outcome", "solution", "values", "all_variables",
})
"""Names the OR-Tools scripts use beyond `codegen_common.SCRIPT_NAMES`; IR symbols with them are renamed."""

CPSAT_DIALECT = Dialect(var_ref=lambda name: name, sum="sum", prod="math.prod")
MATHOPT_DIALECT = Dialect(var_ref=lambda name: name, sum="mathopt.fast_sum", prod="math.prod")

_CP_HELPERS = '''\
def add_constraint(relation, label):
    """Add one row; a relation without variables (a bool) is only checked."""
    if isinstance(relation, bool):
        if not relation:
            raise ValueError(f"constraint {label} has no variables and does not hold")
        return
    model.add(relation).with_name(label)


def add_range(lower, body, upper, label):
    """Add lower <= body <= upper; infinite sides are left open."""
    if isinstance(body, (int, float)):
        return
    lower = cp_model.INT_MIN if lower == -math.inf else lower
    upper = cp_model.INT_MAX if upper == math.inf else upper
    model.add_linear_constraint(body, lower, upper).with_name(label)
'''

_MATHOPT_HELPERS = '''\
def add_constraint(relation, label):
    """Add one row; a relation without variables (a bool) is only checked."""
    if isinstance(relation, bool):
        if not relation:
            raise ValueError(f"constraint {label} has no variables and does not hold")
        return
    model.add_linear_constraint(relation, name=label)


def add_range(lower, body, upper, label):
    """Add lower <= body <= upper."""
    if isinstance(body, (int, float)):
        return
    model.add_linear_constraint(lb=lower, expr=body, ub=upper, name=label)
'''

_POWER_HELPER = '''\
def power(base, exponent):
    """base ** exponent for a small non-negative integer exponent (OR-Tools expressions have no **)."""
    out = 1
    for _ in range(int(exponent)):
        out = out * base
    return out
'''

_CP_SOLVE = '''\
solver = cp_model.CpSolver()
solver.parameters.max_time_in_seconds = TIME_LIMIT
solver.parameters.num_workers = 2
solver.parameters.random_seed = 0
status = solver.solve(model)
STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "time_limit_feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.UNKNOWN: "time_limit_no_solution",
}
outcome = STATUS.get(status, "error")
objective = None
solution = {}
if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
    objective = solver.objective_value
    solution = {var.name: float(solver.value(var)) for var in all_variables}

print(f"status: {solver.status_name(status)}")
print(f"objective: {objective}")
print(json.dumps({"status": outcome, "objective": objective, "variables": solution}))
'''

_MATHOPT_SOLVE = '''\
STATUS = {
    mathopt.TerminationReason.OPTIMAL: "optimal",
    mathopt.TerminationReason.INFEASIBLE: "infeasible",
    mathopt.TerminationReason.UNBOUNDED: "unbounded",
    mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED: "infeasible_or_unbounded",
    mathopt.TerminationReason.FEASIBLE: "time_limit_feasible",
    mathopt.TerminationReason.NO_SOLUTION_FOUND: "time_limit_no_solution",
}
outcome = STATUS.get(reason, "error")
objective = None
solution = {}
if outcome in ("optimal", "time_limit_feasible") and result.has_primal_feasible_solution():
    objective = result.objective_value()
    values = result.variable_values(all_variables)
    solution = {var.name: float(val) for var, val in zip(all_variables, values)}

print(f"status: {reason.name}")
print(f"objective: {objective}")
print(json.dumps({"status": outcome, "objective": objective, "variables": solution}))
'''


class OrToolsCodegenError(CodegenError):
    """The formulation cannot be written as an OR-Tools script (e.g. it is nonlinear)."""


def emit_ortools(formulation: Formulation | ParsedFormulation, time_limit: float = DEFAULT_TIME_LIMIT,
                 backend: str = "auto") -> str:
    """Python source of a runnable OR-Tools script; `backend` is auto, cpsat or mathopt.

    Raises OrToolsCodegenError (a ValueError) for nonlinear models or an impossible backend, and
    FormulationError for invalid formulations.
    """
    return _OrToolsEmitter(formulation, float(time_limit), backend).emit()


def ortools_backend(formulation: Formulation | ParsedFormulation) -> str:
    """The backend `emit_ortools(..., backend="auto")` writes for this formulation: cpsat or mathopt."""
    return _OrToolsEmitter(formulation, DEFAULT_TIME_LIMIT, "auto").backend


class _OrToolsWriter(ExprWriter):
    """ExprWriter plus powers of variable expressions, which OR-Tools expressions do not support."""

    uses_power = False

    def _node(self, node: Node, scope: Scope) -> tuple[str, int]:
        if isinstance(node, BinOp) and node.op == "**" and self.has_vars(node.left, scope):
            exponent = node.right
            if isinstance(exponent, Num) and exponent.value in (0.0, 1.0, 2.0):
                if exponent.value == 0.0:
                    return "1", ATOM
                if exponent.value == 1.0:
                    return self._src(node.left, scope, ATOM)
                base = self._src(node.left, scope, ATOM)[0]
                return f"({base} * {base})", ATOM
            self.uses_power = True
            return f"power({self.expr(node.left, scope)}, {self.expr(exponent, scope)})", ATOM
        return super()._node(node, scope)


class _OrToolsEmitter:
    def __init__(self, formulation: Formulation | ParsedFormulation, time_limit: float, backend: str) -> None:
        if backend not in BACKENDS:
            raise OrToolsCodegenError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
        parsed = formulation if isinstance(formulation, ParsedFormulation) else parse_formulation(formulation)
        self.parsed = parsed
        self.f = parsed.formulation
        self.data = resolve_data(self.f)
        self.time_limit = time_limit
        instance = instantiate(parsed)
        self.pclass = instance.problem_class()
        if self.pclass in (ProblemClass.NLP, ProblemClass.MINLP):
            raise OrToolsCodegenError(f"the model is {self.pclass.value} (nonlinear); OR-Tools scripts "
                                      "handle LP, MILP and quadratic objectives only - emit the Pyomo "
                                      "script instead")
        self.variables = {v.name: v for v in self.f.variables}
        cp_ok = supports("cpsat", instance) and self._integer_safe()
        if backend == "cpsat" and not cp_ok:
            raise OrToolsCodegenError("a CP-SAT script needs a CP-friendly model (all-integer, linear, "
                                      "integer coefficients, finite bounds) whose expressions keep "
                                      "integer values")
        self.backend = "cpsat" if backend == "cpsat" or (backend == "auto" and cp_ok) else "mathopt"
        self.cp = self.backend == "cpsat"
        self.names = Namer(reserved=SCRIPT_NAMES)
        for group in (self.f.sets, self.f.parameters, self.f.variables):
            for item in group:
                self.names(item.name)
        dialect = CPSAT_DIALECT if self.cp else MATHOPT_DIALECT
        self.writer = _OrToolsWriter(parsed, self.data, self.names, dialect)
        dimen = max((self.writer.index_dimen(v.index) for v in self.f.variables), default=0)
        self.key_names = [self.names.fresh(f"k{n + 1}") for n in range(dimen)]  # variable-dict comprehensions

    # ---- sections -------------------------------------------------------------------------------
    def emit(self) -> str:
        model = self._model()  # first: it records which helpers are needed
        parts = [self._header(), "\n".join(self._data()), "\n".join(model), self._solve()]
        return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"

    def _header(self) -> str:
        engine = "CP-SAT" if self.cp else f"MathOpt with {self._mathopt_solver()}"
        lines = [f'"""OR-Tools model generated by optcopilot ({engine}); the last line printed is JSON."""',
                 "",
                 f"# model: {comment(self.f.name or 'model')} ({self.pclass.value})"]
        if self.f.description:
            lines.append(f"# {comment(self.f.description, 400)}")
        lines += ["", *([] if self.cp else ["import datetime"]), "import json", "import math", "import sys",
                  ""]
        lines.append("from ortools.sat.python import cp_model" if self.cp else
                     "from ortools.math_opt.python import mathopt")
        lines += ["", "TIME_LIMIT = float(sys.argv[1]) if len(sys.argv) > 1 else "
                  f"{py_literal(self.time_limit)}  # seconds", "", "", FLAT_NAME_SOURCE.rstrip("\n")]
        return "\n".join(lines)

    def _data(self) -> list[str]:
        return data_section(self.parsed, self.data, self.names)

    def _model(self) -> list[str]:
        name = py_literal(self.f.name or "model")
        lines = ["# ---- model ----"]
        lines += ["model = cp_model.CpModel()", f"model.name = {name}"] if self.cp else [
            f"model = mathopt.Model(name={name})"]
        lines += ["", "", (_CP_HELPERS if self.cp else _MATHOPT_HELPERS).rstrip("\n"), "", ""]
        body: list[str] = ["# variables"]
        for v in self.f.variables:
            body += self._variable(v)
        body.append(f"all_variables = [{wrap_lines(self._all_variables())}]  # in optcopilot's flat order")
        for c in self.parsed.constraints:
            body += ["", *self._constraint(c)]
        body += ["", *self._objective()]
        if self.writer.uses_power:
            lines += [_POWER_HELPER.rstrip("\n"), "", ""]
        return lines + body

    def _solve(self) -> str:
        if self.cp:
            return "# ---- solve ----\n" + _CP_SOLVE
        solver = self._mathopt_solver()
        lines = ["# ---- solve ----",
                 "params = mathopt.SolveParameters(time_limit=datetime.timedelta(seconds=TIME_LIMIT))"]
        if self.pclass != ProblemClass.LP:
            lines.append("params.relative_gap_tolerance = 0.0")
        if self.pclass in (ProblemClass.QP, ProblemClass.MIQP):
            lines.append('params.gscip.real_params["numerics/feastol"] = 1e-9  # x^2 sits in a constraint')
        lines += [f"result = mathopt.solve(model, mathopt.SolverType.{solver}, params=params)",
                  "reason = result.termination.reason"]
        if solver != "GSCIP":
            lines += ["if reason == mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED:  # ask w/o presolve",
                      "    params.presolve = mathopt.Emphasis.OFF",
                      f"    result = mathopt.solve(model, mathopt.SolverType.{solver}, params=params)",
                      "    reason = result.termination.reason"]
        return "\n".join(lines) + "\n" + _MATHOPT_SOLVE

    def _mathopt_solver(self) -> str:
        return "GLOP" if self.pclass == ProblemClass.LP else "GSCIP"

    # ---- variables ------------------------------------------------------------------------------
    def _all_variables(self) -> list[str]:
        return [f"*{self.names(v.name)}.values()" if v.index else self.names(v.name)
                for v in self.f.variables]

    def _variable(self, v: VarDef) -> list[str]:
        py = self.names(v.name)
        lines = [f"# {comment(v.description)}"] if v.description else []
        if not v.index:
            return [*lines, f"{py} = {self._new_var(v, '', py_literal(v.name))}"]
        targets = self.key_names[: self.writer.index_dimen(v.index)]
        clauses: list[str] = []
        pos = 0
        for s in v.index:
            rs = self.data.sets[s]
            names = targets[pos: pos + rs.dimen]
            pos += rs.dimen
            domain = self.names(s) if rs.members is None else (
                f"list(dict.fromkeys(e for members in {self.names(s)}.values() for e in members))")
            clauses.append(f"for {', '.join(names)} in {domain}")
        key = targets[0] if len(targets) == 1 else f"({', '.join(targets)})"
        make = self._new_var(v, key, f"flat_name({py_literal(v.name)}, {key})")
        return [*lines, f"{py} = {{{key}: {make} {' '.join(clauses)}}}"]

    def _new_var(self, v: VarDef, key: str, label: str) -> str:
        lo_node, hi_node = self.parsed.bounds.get(v.name, (None, None))
        binary = v.domain == "binary"
        if binary and _at_most(v.lb, 0.0) and _at_least(v.ub, 1.0):
            return f"model.new_bool_var({label})" if self.cp else f"model.add_binary_variable(name={label})"
        if self.cp:
            lb = self._cp_bound(v.lb, lo_node, key, "ceil", 0.0 if binary else None)
            ub = self._cp_bound(v.ub, hi_node, key, "floor", 1.0 if binary else None)
            return f"model.new_int_var({lb}, {ub}, {label})"
        lb = self._bound(v.lb, lo_node, key, -math.inf)
        ub = self._bound(v.ub, hi_node, key, math.inf)
        if binary:
            lb, ub = f"max(0, {lb})", f"min(1, {ub})"
        kind = "add_variable" if v.domain == "continuous" else "add_integer_variable"
        return f"model.{kind}(lb={lb}, ub={ub}, name={label})"

    def _bound(self, raw: float | str | None, node: Node | None, key: str, default: float) -> str:
        if raw is None:
            return number_literal(default)
        if node is None:
            return number_literal(float(raw))
        if isinstance(node, Name) and node.id in self.data.params and self.data.params[node.id].index:
            if not key:
                raise OrToolsCodegenError(f"bound {node.id!r} is indexed but the variable is not")
            return self.writer.param_lookup(node.id, key)
        if any(isinstance(sub, Index) for sub in walk(node)):
            raise OrToolsCodegenError("a bound may name an indexed parameter, or be a scalar expression")
        return self.writer.expr(node, {})

    def _cp_bound(self, raw: float | str | None, node: Node | None, key: str, rounding: str,
                  clip: float | None) -> str:
        """CP-SAT bounds are ints: round numbers now, data expressions in the script unless integral.

        `clip` is the binary domain's side (0 or 1) the bound is clipped to, None for integers.
        """
        ceil = rounding == "ceil"
        if raw is None or node is None:
            if raw is not None:
                value = float(raw)
            elif clip is not None:
                value = clip
            else:
                raise OrToolsCodegenError("CP-SAT needs finite bounds on integer variables")
            bound = math.ceil(value - 1e-9) if ceil else math.floor(value + 1e-9)
            if clip is not None:
                bound = max(int(clip), bound) if ceil else min(int(clip), bound)
            return str(bound)
        text = self._bound(raw, node, key, 0.0)
        if not self._int_value(node, {}):
            text = f"math.{rounding}({text})"
        return text if clip is None else f"{'max' if ceil else 'min'}({int(clip)}, {text})"

    # ---- constraints and objective --------------------------------------------------------------
    def _constraint(self, c: ParsedConstraint) -> list[str]:
        source = next((x for x in self.f.constraints if x.name == c.name), None)
        lines = [f"# {comment(c.name)}: {comment(to_text(c.expr))}"
                 + (f"   for {comment(source.forall)}" if source and source.forall else "")]
        if source and source.description:
            lines.append(f"# {comment(source.description)}")
        scope: Scope = {}
        indent = ""
        for g in c.domain:
            clause, scope = self.writer.generators((Generator(g.targets, g.domain),), scope)
            lines.append(f"{indent}{clause}:")
            indent += "    "
            if g.conditions:
                conds = [self.writer.expr(cond, scope) for cond in g.conditions]
                test = conds[0] if len(conds) == 1 else " and ".join(f"({t})" for t in conds)
                lines.append(f"{indent}if {test}:")
                indent += "    "
        label = py_literal(c.name)
        if c.domain:
            label = f"flat_name({label}, {self.writer.key_source(c.domain, scope)})"
        lines.append(indent + self._row(c.expr, scope, label))
        return lines

    def _row(self, expr: Compare, scope: Scope, label: str) -> str:
        ops = ["<=" if op == "<" else ">=" if op == ">" else op for op in expr.ops]
        if len(ops) == 1:
            left, right = (self._operand(o, scope) for o in expr.operands)
            return f"add_constraint({left} {ops[0]} {right}, {label})"
        low, mid, high = expr.operands
        if ops[0] == ">=":
            low, high = high, low
        parts = ", ".join(self.writer.expr(o, scope) for o in (low, mid, high))
        return f"add_range({parts}, {label})"

    def _operand(self, node: Node, scope: Scope) -> str:
        """One side of a comparison, parenthesised if it binds more loosely than `<=`."""
        text = self.writer.expr(node, scope)
        return f"({text})" if isinstance(node, IfExp | BoolOp | Compare | Not) else text

    def _objective(self) -> list[str]:
        sense = "maximize" if self.f.objective.sense == "maximize" else "minimize"
        head = [f"# objective: {comment(self.f.objective.description or to_text(self.parsed.objective))}"]
        return [*head, f"model.{sense}({self.writer.expr(self.parsed.objective, {})})"]

    # ---- integer safety (CP-SAT rejects float coefficients) -------------------------------------
    def _integer_safe(self) -> bool:
        """Every value the CP-SAT script computes with variables is statically sure to be an int."""
        if not self._int_value(self.parsed.objective, {}):
            return False
        for c in self.parsed.constraints:
            scope: dict[str, bool | None] = {}
            for g in c.domain:
                scope = self._bind(g, scope)
            if not all(self._int_value(o, scope) for o in c.expr.operands):
                return False
        return True

    def _bind(self, g: Generator, scope: dict[str, bool | None]) -> dict[str, bool | None]:
        """Loop names -> whether they hold ints (None: they hold a tuple)."""
        inner = dict(scope)
        if isinstance(g.domain, Name | Index):
            rs = self.data.sets[g.domain.id if isinstance(g.domain, Name) else g.domain.base]
            ints = [_component_ints(rs.elements, k) for k in range(rs.dimen)]
        else:
            ints = [True]
        if len(g.targets) == 1:
            inner[g.targets[0]] = ints[0] if len(ints) == 1 else None
        else:
            for k, t in enumerate(g.targets):
                inner[t] = ints[k] if k < len(ints) else False
        return inner

    def _has_var(self, node: Node) -> bool:
        return any((isinstance(sub, Name) and sub.id in self.variables)
                   or (isinstance(sub, Index) and sub.base in self.variables) for sub in walk(node))

    def _int_value(self, node: Node, scope: dict[str, bool | None]) -> bool:
        """Statically sure to evaluate to a Python int, or an integer CP-SAT expression."""
        match node:
            case Num(value=v):
                return float(v).is_integer() and abs(v) < INT_LITERAL_LIMIT
            case Name(id=name):
                if name in scope:
                    return bool(scope[name])
                if name in self.variables:
                    return True
                return name in self.data.params and _param_ints(self.data.params[name])
            case Index(base=base):
                params = self.data.params
                return base in self.variables or (base in params and _param_ints(params[base]))
            case BinOp(op=op, left=a, right=b):
                both = self._int_value(a, scope) and self._int_value(b, scope)
                if op in ("+", "-"):
                    return both
                if op == "*":
                    return both and not (self._has_var(a) and self._has_var(b))
                if op == "**":
                    return (both and not self._has_var(node) and isinstance(b, Num) and b.value >= 0)
                return False
            case Neg(operand=a):
                return self._int_value(a, scope)
            case Call(func=func, args=args):
                ints = all(self._int_value(a, scope) for a in args)
                if func in ("len", "card"):
                    return True
                if func == "sum" or (func in ("min", "max") and len(args) == 1):
                    return ints
                return func in ("abs", "min", "max", "prod") and ints and not self._has_var(node)
            case Aggregate(func=func, body=body, generators=gens):
                inner = scope
                for g in gens:
                    inner = self._bind(g, inner)
                return (func == "sum" or not self._has_var(body)) and self._int_value(body, inner)
            case IfExp(body=b, orelse=o):
                return self._int_value(b, scope) and self._int_value(o, scope)
            case Compare() | BoolOp() | Not():
                return not self._has_var(node)
        return False


def _at_most(raw: float | str | None, limit: float) -> bool:
    return raw is None or (isinstance(raw, int | float) and raw <= limit)


def _at_least(raw: float | str | None, limit: float) -> bool:
    return raw is None or (isinstance(raw, int | float) and raw >= limit)


def _component_ints(elements: list[Key], k: int) -> bool:
    return all(isinstance(e[k], int) and not isinstance(e[k], bool) for e in elements if len(e) > k)


def _param_ints(p: ResolvedParam) -> bool:
    values = [p.scalar] if not p.index else [*p.table.values()]
    if p.index and p.default is not None:
        values.append(p.default)
    return all(v is not None and math.isfinite(v) and float(v).is_integer() and abs(v) < INT_LITERAL_LIMIT
               for v in values)
