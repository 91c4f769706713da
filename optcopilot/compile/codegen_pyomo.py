"""Formulation -> a standalone, readable Pyomo script that builds, solves and reports the model.

The script is written by walking our parsed expression trees (`codegen_common.ExprWriter`); no
formulation text is ever pasted in as code. It solves with Pyomo's contrib `highs` (LP, MILP,
convex QP) or `scip_direct` (everything else), prints the status and objective, and ends with one
JSON line `{"status": ..., "objective": ..., "variables": {"x[1,a]": ...}}` using our flat names.
"""

from __future__ import annotations

import math

from optcopilot.compile.capabilities import capabilities, choose_solver, required_features
from optcopilot.compile.codegen_common import (
    FLAT_NAME_SOURCE,
    CodegenError,
    Namer,
    comment,
    data_section,
    elements_source,
    number_literal,
    py_literal,
    safe_identifier,
    wrap_lines,
)
from optcopilot.compile.codegen_expr import Dialect, ExprWriter, Scope
from optcopilot.compile.instance import instantiate
from optcopilot.ir.data import resolve_data
from optcopilot.ir.expr import Compare, Index, Name, Node, to_text, walk
from optcopilot.ir.model import Formulation, VarDef
from optcopilot.ir.validate import ParsedConstraint, ParsedFormulation, parse_formulation

_PYOMO_ATTRIBUTES = frozenset({
    "Skip", "activate", "active", "add_component", "block_data_objects", "clear", "clone", "component",
    "component_data_objects", "component_map", "component_objects", "config", "construct", "ctype", "deactivate",
    "del_component", "dim", "display", "doc", "find_component", "index", "index_set", "items", "keys", "load",
    "local_name", "model", "name", "nconstraints", "nobjectives", "nvariables", "parent_block", "pprint",
    "reconstruct", "root_block", "set_value", "solutions", "statistics", "transfer_attributes_from", "type",
    "values", "write", "cname", "getname", "iteritems", "iterkeys", "itervalues", "preprocess", "private_data",
})
"""Attribute names of a Pyomo ConcreteModel; model components must not take them."""

PYOMO_DIALECT = Dialect(
    var_ref=lambda name: f"model.{name}",
    sum="pyo.quicksum",
    prod="math.prod",
    functions={"exp": "pyo.exp", "log": "pyo.log", "log10": "pyo.log10", "sqrt": "pyo.sqrt", "sin": "pyo.sin",
               "cos": "pyo.cos", "abs": "_abs", "min": "_min", "max": "_max", "pow": "_pow"},
)

_DOMAIN = {"continuous": "pyo.Reals", "integer": "pyo.Integers", "binary": "pyo.Binary"}
_SOLVER = {"highs": "highs", "scip": "scip_direct"}  # our route name -> Pyomo's solver name
_SOLVER_LABEL = {"highs": "HiGHS", "scip": "SCIP"}

_HELPERS_ROW = '''\
def _row(relation):
    """A constraint row; rows without variables are skipped when true and rejected when false."""
    if not isinstance(relation, (bool, RelationalExpression)):
        raise TypeError(f"not a comparison: {relation!r}")
    if isinstance(relation, bool) or not any(True for _ in identify_variables(relation)):
        if bool(pyo.value(relation)):
            return pyo.Constraint.Skip
        raise ValueError("a constraint without decision variables is false")
    return relation
'''

_HELPERS_ABS = '''\
def _abs(e):
    """|e| as a unary 'abs' node (scip_direct understands it; Pyomo's AbsExpression it does not)."""
    if isinstance(e, (int, float)):
        return abs(e)
    return UnaryFunctionExpression((e,), "abs", abs)


def _min(items):
    """Exact min of expressions: min(a, b) = (a + b - |a - b|) / 2."""
    out = items[0]
    for item in items[1:]:
        out = (out + item - _abs(out - item)) / 2
    return out


def _max(items):
    """Exact max of expressions: max(a, b) = (a + b + |a - b|) / 2."""
    out = items[0]
    for item in items[1:]:
        out = (out + item + _abs(out - item)) / 2
    return out
'''

_HELPERS_POW = '''\
def _pow(base, exponent):
    """base**exponent with a variable exponent, as exp(exponent * log(base)) (base > 0) for SCIP."""
    return pyo.exp(exponent * pyo.log(base))
'''

_HELPERS_FINITE = '''\
def _finite(bound):
    """A variable bound for Pyomo: None stands for an infinite bound."""
    return None if bound is None or math.isinf(bound) else bound
'''

_SOLVE = '''\
STATUS = {
    "convergenceCriteriaSatisfied": "optimal",
    "provenInfeasible": "infeasible",
    "locallyInfeasible": "infeasible",
    "unbounded": "unbounded",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
}
LIMITS = {"maxTimeLimit", "iterationLimit", "objectiveLimit", "interrupted", "minStepLength"}

solver = SolverFactory(SOLVER)
results = solver.solve(model, time_limit=TIME_LIMIT, rel_gap=0.0, load_solutions=False,
                       raise_exception_on_nonoptimal_result=False)
condition = results.termination_condition.name
has_solution = results.solution_status.name in ("optimal", "feasible")
if condition in STATUS:
    status = STATUS[condition]
elif condition in LIMITS:
    status = "time_limit_feasible" if has_solution else "time_limit_no_solution"
else:
    status = "error"

objective_value = None
variables = {}
if status in ("optimal", "time_limit_feasible") and has_solution:
    results.solution_loader.load_vars()
    objective_value = pyo.value(model.@OBJECTIVE@)
    for name, component in VARIABLES.items():  # a variable no row or objective uses stays None (null)
        for key, var in component.items():
            variables[flat_name(name, key)] = var.value

print(f"status: {status}")
print(f"objective: {objective_value}")
print(json.dumps({"status": status, "objective": objective_value, "variables": variables}))
'''


def emit_pyomo(formulation: Formulation | ParsedFormulation, solver: str = "auto", time_limit: float = 60.0) -> str:
    """Python source of a runnable Pyomo script for the formulation; raises CodegenError/FormulationError."""
    parsed = formulation if isinstance(formulation, ParsedFormulation) else parse_formulation(formulation)
    return _PyomoEmitter(parsed, _pick_solver(parsed, solver), float(time_limit)).emit()


def _pick_solver(parsed: ParsedFormulation, solver: str) -> str:
    """The solver the script calls: the capability registry's choice among the routes Pyomo scripts use."""
    if solver not in ("auto", *_SOLVER):
        raise CodegenError(f"unknown solver {solver!r} for a Pyomo script (auto, {', '.join(_SOLVER)})")
    instance = instantiate(parsed)
    if solver == "auto":
        return choose_solver(instance, among=_SOLVER)
    required = required_features(instance)
    caps = capabilities(solver)
    if not caps.supports(required):
        raise CodegenError(f"{_SOLVER_LABEL[solver]} cannot solve a {instance.problem_class().value} model (it lacks "
                           f"{', '.join(caps.missing(required))}); use solver='auto'")
    return solver


class _PyomoEmitter:
    def __init__(self, parsed: ParsedFormulation, solver: str, time_limit: float) -> None:
        self.parsed = parsed
        self.f = parsed.formulation
        self.data = resolve_data(self.f)
        self.solver = solver
        self.time_limit = time_limit
        self.names = Namer(reserved=_PYOMO_ATTRIBUTES)
        for group in (self.f.sets, self.f.parameters, self.f.variables):
            for item in group:
                self.names(item.name)
        self.writer = ExprWriter(parsed, self.data, self.names, PYOMO_DIALECT)
        self.uses_finite = False

    def emit(self) -> str:
        model_lines = self._model()  # first: it records which helpers are needed
        objective_name = self.names.fresh(safe_identifier(self.f.objective.name, "objective"))
        objective = self._objective(objective_name)
        parts = [self._header(), "\n".join(self._data()), "\n".join(model_lines), objective,
                 self._variables_table(), _SOLVE.replace("@OBJECTIVE@", objective_name)]
        return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"

    # ---- sections ----
    def _header(self) -> str:
        solver = "HiGHS" if self.solver == "highs" else "SCIP"
        lines = [f'"""Pyomo model generated by optcopilot; solved with {solver}; the last line printed is JSON."""',
                 "", f"# model: {comment(self.f.name or 'model')}"]
        if self.f.description:
            lines.append(f"# {comment(self.f.description, 400)}")
        lines += ["", "import json", "import math", "",
                  "import pyomo.environ as pyo", "from pyomo.contrib.solver.common.factory import SolverFactory"]
        if self.writer.used_functions & {"abs", "min", "max"}:
            lines.append("from pyomo.core.expr.numeric_expr import UnaryFunctionExpression")
        lines += ["from pyomo.core.expr.relational_expr import RelationalExpression",
                  "from pyomo.core.expr.visitor import identify_variables", "",
                  f"SOLVER = {py_literal(_SOLVER[self.solver])}", f"TIME_LIMIT = {py_literal(self.time_limit)}",
                  "", "", FLAT_NAME_SOURCE.rstrip("\n"), "", "", _HELPERS_ROW.rstrip("\n")]
        if self.writer.used_functions & {"abs", "min", "max"}:
            lines += ["", "", _HELPERS_ABS.rstrip("\n")]
        if "pow" in self.writer.used_functions:
            lines += ["", "", _HELPERS_POW.rstrip("\n")]
        if self.uses_finite:
            lines += ["", "", _HELPERS_FINITE.rstrip("\n")]
        return "\n".join(lines)

    def _data(self) -> list[str]:
        if not self.f.sets and not self.f.parameters:
            return []
        return ["", *data_section(self.parsed, self.data, self.names)]

    def _model(self) -> list[str]:
        lines = ["", "# ---- model ----", f"model = pyo.ConcreteModel(name={py_literal(self.f.name or 'model')})"]
        index_sets = [s for s in self.f.sets if any(s.name in v.index for v in self.f.variables)]
        for s in index_sets:
            rs = self.data.sets[s.name]
            init = self.names(s.name) if rs.members is None else elements_source(rs)
            lines.append(f"model.{self.names(s.name)} = pyo.Set(initialize={init}, dimen={rs.dimen}, ordered=True)")
        for v in self.f.variables:
            lines += self._variable(v)
        for c in self.parsed.constraints:
            lines += ["", "", *self._constraint(c)]
        return lines

    def _variable(self, v: VarDef) -> list[str]:
        py = self.names(v.name)
        lines = [f"# {comment(v.description)}"] if v.description else []
        extra = [f"model.{self.names(s)}" for s in v.index] + [f"domain={_DOMAIN[v.domain]}"]
        args = [self.names.local(f"k{n + 1}") for n in range(self.writer.index_dimen(v.index))]
        key = ", ".join(args)
        lb_node, ub_node = self.parsed.bounds.get(v.name, (None, None))
        lo, lo_keyed = self._bound(v.lb, lb_node, v.index, key)
        hi, hi_keyed = self._bound(v.ub, ub_node, v.index, key)
        if lo_keyed or hi_keyed:
            rule = self.names.fresh(f"{py}_bounds")
            lines += ["", "", f"def {rule}(model, {key}):", f"    return ({lo}, {hi})", "", ""]
            extra.append(f"bounds={rule}")
        elif (lo, hi) != ("None", "None"):
            extra.append(f"bounds=({lo}, {hi})")
        lines.append(f"model.{py} = pyo.Var({', '.join(extra)})")
        return lines

    def _bound(self, raw: float | str | None, node: Node | None, index: list[str], key: str) -> tuple[str, bool]:
        """Source of one bound, and whether it depends on the variable's index (then it needs a rule)."""
        if raw is None:
            return "None", False
        if node is None:
            value = float(raw)
            return (number_literal(value) if math.isfinite(value) else "None"), False
        self.uses_finite = True
        if isinstance(node, Name) and node.id in self.data.params and self.data.params[node.id].index:
            if not index:
                raise CodegenError(f"bound {node.id!r} is indexed but the variable is not")
            return f"_finite({self.writer.param_lookup(node.id, key)})", True
        if any(isinstance(sub, Index) for sub in walk(node)):
            raise CodegenError("a bound may name an indexed parameter, or be a scalar expression")
        return f"_finite({self.writer.expr(node, {})})", False

    def _constraint(self, c: ParsedConstraint) -> list[str]:
        cname = self.names.fresh(safe_identifier(c.name, "constraint"))
        rule = self.names.fresh(f"{cname}_rule")
        source = next((x for x in self.f.constraints if x.name == c.name), None)
        lines = [f"# {comment(c.name)}: {comment(to_text(c.expr))}" + (f"   for {comment(source.forall)}"
                                                                      if source and source.forall else "")]
        if source and source.description:
            lines.append(f"# {comment(source.description)}")
        if not c.domain:
            body = self._relation(c.expr, {})
            lines += [f"def {rule}(model):", f"    return _row({body})", "",
                      f"model.{cname} = pyo.Constraint(rule={rule})"]
            return lines
        clauses, inner = self.writer.generators(c.domain, {})
        body = self._relation(c.expr, inner)
        args, rebuild = self.writer.flat_targets(c.domain, inner)
        g = c.domain[0]
        if len(c.domain) == 1 and len(g.targets) == 1 and not g.conditions and isinstance(g.domain, Name):
            index = self.names(g.domain.id)
        else:
            index = f"[{self.writer.key_source(c.domain, inner)} {clauses}]"
        lines.append(f"def {rule}(model, {', '.join(args)}):")
        lines += [f"    {line}" for line in rebuild]
        lines += [f"    return _row({body})", "", f"model.{cname} = pyo.Constraint({index}, rule={rule})"]
        return lines

    def _relation(self, expr: Compare, scope: Scope) -> str:
        ops = tuple("<=" if op == "<" else ">=" if op == ">" else op for op in expr.ops)
        if len(expr.operands) == 2:
            left, right = (self.writer.operand(o, scope) for o in expr.operands)
            return f"{left} {ops[0]} {right}"
        lo, mid, hi = (self.writer.expr(o, scope) for o in expr.operands)
        if ops[0] == ">=":
            lo, hi = hi, lo
        return f"pyo.inequality({lo}, {mid}, {hi})"

    def _objective(self, name: str) -> str:
        expr = self.writer.expr(self.parsed.objective, {})
        sense = "pyo.maximize" if self.f.objective.sense == "maximize" else "pyo.minimize"
        head = f"# objective: {comment(self.f.objective.description)}\n" if self.f.objective.description else ""
        return f"{head}model.{name} = pyo.Objective(expr={expr}, sense={sense})"

    def _variables_table(self) -> str:
        items = [f"{py_literal(v.name)}: model.{self.names(v.name)}" for v in self.f.variables]
        return f"VARIABLES = {{{wrap_lines(items)}}}  # our names -> Pyomo components"
