"""Ground a formulation: evaluate its expressions over the data into a flat `Instance`.

The instance numbers every scalar variable, keeps the family/key it came from, and holds the
objective and each constraint row as flat algebra (`Poly` or `NL`). Every compiler starts here.

Longer than our usual module: `_Grounder` is one recursive evaluator over the expression tree (eval, domains,
aggregates, calls, comparisons share its scope, budget and error location); split, each part would need
all of them. The fast linear-sum path, the checks and the interval arithmetic live in their own modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from optcopilot.compile.algebra import (
    NL,
    Poly,
    Value,
    add,
    add_into,
    apply,
    degree,
    div,
    mul,
    neg,
    power,
    sub,
)
from optcopilot.compile.checks import domain_issues, number_issues, value_size
from optcopilot.compile.linear_sum import MISSING, PLAIN, SumPlan, components, key_parts, sum_plan
from optcopilot.ir import budget
from optcopilot.ir.budget import LimitExceeded
from optcopilot.ir.data import Key, ModelData, key_text, max_set_size, resolve_data
from optcopilot.ir.errors import FormulationError, Issue
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
    to_text,
)
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import ParsedFormulation, parse_formulation


class ProblemClass(StrEnum):
    LP = "LP"
    MILP = "MILP"
    QP = "QP"
    MIQP = "MIQP"
    NLP = "NLP"
    MINLP = "MINLP"


@dataclass
class VarFamily:
    name: str
    domain: str
    keys: list[Key]
    first: int  # flat id of keys[0]
    description: str = ""
    position: dict[Key, int] = field(default_factory=dict)


@dataclass
class Row:
    """lo <= body <= hi, body without a constant term."""

    family: str
    key: Key
    body: Value
    lo: float
    hi: float

    @property
    def label(self) -> str:
        return var_label(self.family, self.key)


@dataclass
class Instance:
    formulation: Formulation
    families: dict[str, VarFamily]
    names: list[str]  # flat variable names `x[1,a]`
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray  # bool per flat variable
    sense: str  # minimize / maximize
    objective: Value
    rows: list[Row]

    @property
    def n_vars(self) -> int:
        return len(self.names)

    def objective_constant(self) -> float:
        if isinstance(self.objective, float | int):
            return float(self.objective)
        if isinstance(self.objective, Poly):
            return self.objective.constant()
        return 0.0

    def problem_class(self) -> ProblemClass:
        has_int = bool(self.integer.any())
        obj_deg = degree(self.objective)
        row_degs = [degree(r.body) for r in self.rows]
        if obj_deg is not None and obj_deg <= 1 and all(d is not None and d <= 1 for d in row_degs):
            return ProblemClass.MILP if has_int else ProblemClass.LP
        if obj_deg == 2 and all(d is not None and d <= 1 for d in row_degs):
            return ProblemClass.MIQP if has_int else ProblemClass.QP
        return ProblemClass.MINLP if has_int else ProblemClass.NLP

    def is_cp_friendly(self) -> bool:
        """All-integer, linear, integer coefficients and bounds: CP-SAT can solve it exactly."""
        if self.n_vars == 0 or not self.integer.all() or self.problem_class() != ProblemClass.MILP:
            return False
        if not (np.isfinite(self.lb).all() and np.isfinite(self.ub).all()):
            return False
        polys = [self.objective, *(r.body for r in self.rows)]
        for p in polys:
            if isinstance(p, Poly) and any(not float(c).is_integer() for c in p.values()):
                return False
        return all(math.isinf(v) or float(v).is_integer() for r in self.rows for v in (r.lo, r.hi))

    def values_by_name(self, x: list[float] | np.ndarray) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, x, strict=True)}

    def flat_id(self, family: str, key: Key) -> int:
        fam = self.families[family]
        return fam.first + fam.position[key]


def var_label(name: str, key: Key) -> str:
    """The one flat name of a variable or row: `x` for a scalar, `x[1,a]` for an indexed one."""
    return name if not key else f"{name}[{key_text(key)}]"


class _Scope(dict[str, Any]):
    pass


def instantiate(formulation: Formulation | ParsedFormulation, max_rows: int | None = None) -> Instance:
    """Build the flat instance; raise FormulationError with located issues on any data problem.

    Runs within the active budget (`optcopilot.ir.budget`): sizes are checked as the rows are built and
    the clock every so often, so a model too large for the limits fails early with a message naming the
    limit (`size-limit`), and one too slow to build raises `BuildTimeout`. The finished instance is checked
    for non-finite numbers and for functions used outside their domain (`compile.checks`).
    """
    clock = budget.current()
    with budget.active(clock):
        parsed = formulation if isinstance(formulation, ParsedFormulation) else parse_formulation(formulation)
        data = resolve_data(parsed.formulation)
        grounder = _Grounder(parsed, data, max_rows or clock.limits.rows, clock)
        try:
            instance = grounder.run()
        except LimitExceeded as exc:
            raise exc.located(grounder.where) from None
        except RecursionError:
            raise grounder.fail("the expression nests too deeply to build", "size-limit") from None
        issues = number_issues(instance) or domain_issues(instance)
        if issues:
            raise FormulationError(issues)
        return instance


class _Grounder:
    def __init__(self, parsed: ParsedFormulation, data: ModelData, max_rows: int, clock: budget.Budget) -> None:
        self.parsed = parsed
        self.f = parsed.formulation
        self.data = data
        self.max_rows = max_rows
        self.clock = clock
        self.limits = clock.limits
        self.nonzeros = 0
        self.families: dict[str, VarFamily] = {}
        self.where = ""
        self._sum_plans: dict[int, tuple[Aggregate, SumPlan | None]] = {}  # id(node) -> (node, fast-path plan)

    def fail(self, message: str, code: str = "bad-value") -> FormulationError:
        return FormulationError([Issue(self.where, message, code)])

    def run(self) -> Instance:
        names: list[str] = []
        lbs: list[float] = []
        ubs: list[float] = []
        ints: list[bool] = []
        for v in self.f.variables:
            self.where = f"variable {v.name!r}"
            self.clock.check_time(self.where)
            keys = self.data.product(v.index)
            self.clock.check_size("variables", len(names) + len(keys), self.where)
            fam = VarFamily(v.name, v.domain, keys, len(names), v.description)
            fam.position = {k: i for i, k in enumerate(keys)}
            self.families[v.name] = fam
            lb_node, ub_node = self.parsed.bounds.get(v.name, (None, None))
            for k in keys:
                names.append(var_label(v.name, k))
                lo = self._bound(v.lb, lb_node, v.index, k, -math.inf)
                hi = self._bound(v.ub, ub_node, v.index, k, math.inf)
                if v.domain == "binary":
                    lo, hi = max(lo, 0.0), min(hi, 1.0)
                lbs.append(lo)
                ubs.append(hi)
                ints.append(v.domain != "continuous")
                self.clock.tick(self.where)
        self.where = "objective"
        objective = self.eval(self.parsed.objective, _Scope())
        if isinstance(objective, str | tuple):
            raise self.fail("objective evaluates to a set element, not a number")
        self._count(objective)
        rows: list[Row] = []
        for c in self.parsed.constraints:
            self.where = f"constraint {c.name!r}"
            self.clock.check_time(self.where)
            for scope in self.iterate(c.domain, _Scope()):
                row = self._row(c.name, c.expr, scope, c.domain)
                if row is not None:
                    self._count(row.body)
                    rows.append(row)
                if len(rows) > self.max_rows:
                    raise budget.size_error("rows", self.max_rows, self.where, len(rows))
        return Instance(self.f, self.families, names, np.array(lbs, dtype=float), np.array(ubs, dtype=float),
                        np.array(ints, dtype=bool), self.f.objective.sense, objective, rows)

    def _count(self, value: Value) -> None:
        """Add a row's (or the objective's) terms to the totals; raise when a size limit is passed."""
        terms, nodes, depth = value_size(value)
        self.clock.check_size("terms_per_row", terms, self.where)
        if nodes:
            self.clock.check_size("expression_nodes", nodes, self.where)
            self.clock.check_size("expression_depth", depth, self.where)
        self.nonzeros += terms
        self.clock.check_size("nonzeros", self.nonzeros, self.where)
        self.clock.tick(self.where)

    def _bound(self, raw: float | str | None, node: Node | None, index: list[str], key: Key, default: float) -> float:
        if raw is None:
            return default
        if node is None:
            return float(raw)
        if isinstance(node, Name) and node.id in self.data.params and self.data.params[node.id].index:
            return self._param_value(node.id, key)
        value = self.eval(node, _Scope())
        if not isinstance(value, float | int):
            raise self.fail(f"bound {raw!r} is not a number")
        return float(value)

    def _row(self, name: str, expr: Compare, scope: _Scope, domain: tuple[Generator, ...]) -> Row | None:
        key = tuple(c for g in domain for t in g.targets for c in components(scope[t]))
        vals = [self.eval(o, scope) for o in expr.operands]
        if len(vals) == 2:
            op = expr.ops[0]
            diff = sub(vals[0], vals[1])
            body, const = _split_constant(diff)
            if body is None:
                if _holds(const, op):
                    return None
                label = var_label(name, key)
                raise FormulationError([Issue(self.where, f"row {label} has no variables and is false "
                                              f"({to_text(expr)})", "bad-value")])
            lo, hi = -math.inf, math.inf
            if op in ("<=", "<"):
                hi = -const
            elif op in (">=", ">"):
                lo = -const
            else:
                lo = hi = -const
            return Row(name, key, body, lo, hi)
        low, mid, high = vals
        if expr.ops[0] in (">", ">="):
            low, high = high, low
        if not isinstance(low, float | int) or not isinstance(high, float | int):
            raise FormulationError([Issue(self.where, "in a range lo <= expr <= hi, lo and hi must be constants",
                                          "not-a-comparison")])
        body, const = _split_constant(mid)
        if body is None:
            return None
        return Row(name, key, body, float(low) - const, float(high) - const)

    # ---- evaluation -----------------------------------------------------------------------
    def iterate(self, gens: tuple[Generator, ...], scope: _Scope) -> Iterator[_Scope]:
        if not gens:
            yield scope
            return
        g, rest = gens[0], gens[1:]
        tick, where = self.clock.tick, self.where
        for element in self.domain(g.domain, scope):
            tick(where)
            inner = _Scope(scope)
            if len(g.targets) == 1:
                inner[g.targets[0]] = element[0] if len(element) == 1 else element
            else:
                if len(element) != len(g.targets):
                    raise self.fail(f"cannot unpack {key_text(element)} into {len(g.targets)} names", "arity")
                for t, c in zip(g.targets, element, strict=True):
                    inner[t] = c
            if all(self.truth(c, inner) for c in g.conditions):
                yield from self.iterate(rest, inner)

    def domain(self, node: Node, scope: _Scope) -> list[Key]:
        if isinstance(node, Name):
            return self.data.sets[node.id].elements
        if isinstance(node, Index):
            s = self.data.sets[node.base]
            key = self.key_of(node.indices, scope)
            if s.members is None or key not in s.members:
                raise self.fail(f"{node.base}[{key_text(key)}]: index not in {s.index}", "index-out-of-set")
            return s.members[key]
        assert isinstance(node, Call)
        bounds = [self.eval(a, scope) for a in node.args]
        if not all(isinstance(b, float | int) and float(b).is_integer() for b in bounds):
            raise self.fail("range() takes integers")
        start, stop = (0, bounds[0]) if len(bounds) == 1 else bounds
        if int(stop) - int(start) > max_set_size():
            raise budget.size_error("set_size", max_set_size(), self.where, int(stop) - int(start))
        return [(i,) for i in range(int(start), int(stop))]

    def truth(self, node: Node, scope: _Scope) -> bool:
        value = self.eval(node, scope)
        if isinstance(value, Poly | NL):
            raise self.fail(f"condition {to_text(node)!r} depends on variables", "variable-in-data")
        return bool(value)

    def key_of(self, indices: tuple[Node, ...], scope: _Scope) -> Key:
        key: Key = ()
        for node in indices:
            value = self.eval(node, scope)
            if isinstance(value, Poly | NL):
                raise self.fail(f"index {to_text(node)!r} depends on variables", "variable-in-data")
            key += components(value)
        return key

    def _param_value(self, name: str, key: Key) -> float:
        p = self.data.params[name]
        try:
            return p.table[key]
        except KeyError:
            if p.default is not None:
                return p.default
            if any(isinstance(c, float) and c.is_integer() for c in key):
                norm = tuple(int(c) if isinstance(c, float) and c.is_integer() else c for c in key)
                if norm in p.table:
                    return p.table[norm]
            raise self.fail(f"{name}[{key_text(key)}] has no value (index outside {p.index} or value missing; "
                            "give a 'default' or guard the index with an 'if')", "index-out-of-set") from None

    def eval(self, node: Node, scope: _Scope) -> Any:
        t = type(node)
        if t is Num:
            return node.value  # type: ignore[attr-defined]
        if t is Index:
            base = node.base  # type: ignore[attr-defined]
            key = self.key_of(node.indices, scope)  # type: ignore[attr-defined]
            fam = self.families.get(base)
            if fam is not None:
                pos = fam.position.get(key)
                if pos is None:
                    pos = fam.position.get(_normalise_key(key))
                if pos is None:
                    raise self.fail(f"{base}[{key_text(key)}] is outside the index of {base} "
                                    f"({self._index_text(base)})", "index-out-of-set")
                return Poly({(fam.first + pos,): 1.0})
            return self._param_value(base, key)
        if t is BinOp:
            a = self.eval(node.left, scope)  # type: ignore[attr-defined]
            b = self.eval(node.right, scope)  # type: ignore[attr-defined]
            op = node.op  # type: ignore[attr-defined]
            if isinstance(a, str | tuple) or isinstance(b, str | tuple):
                raise self.fail(f"arithmetic on a set element in {to_text(node)!r}")
            if op == "+":
                return add(a, b)
            if op == "-":
                return sub(a, b)
            if op == "*":
                return mul(a, b)
            if op == "/":
                try:
                    return div(a, b)
                except ZeroDivisionError:
                    raise self.fail(f"division by zero in {to_text(node)!r}") from None
            try:
                return power(a, b)
            except FormulationError:
                raise
            except (OverflowError, ZeroDivisionError, ValueError) as exc:
                raise self.fail(f"invalid power in {to_text(node)!r} ({exc})") from None
        if t is Name:
            name = node.id  # type: ignore[attr-defined]
            if name in scope:
                return scope[name]
            fam = self.families.get(name)
            if fam is not None:
                return Poly({(fam.first,): 1.0})
            p = self.data.params.get(name)
            if p is not None:
                return p.scalar
            if name == "inf":
                return math.inf
            if name == "pi":
                return math.pi
            if name == "e":
                return math.e
            raise self.fail(f"unknown symbol {name!r}", "unknown-symbol")
        if t is Aggregate:
            return self._aggregate(node, scope)  # type: ignore[arg-type]
        if t is Neg:
            return neg(self.eval(node.operand, scope))  # type: ignore[attr-defined]
        if t is Str:
            return node.value  # type: ignore[attr-defined]
        if t is Call:
            return self._call(node, scope)  # type: ignore[arg-type]
        if t is Compare:
            return self._compare(node, scope)  # type: ignore[arg-type]
        if t is BoolOp:
            if node.op == "and":  # type: ignore[attr-defined]
                return all(self.truth(v, scope) for v in node.values)  # type: ignore[attr-defined]
            return any(self.truth(v, scope) for v in node.values)  # type: ignore[attr-defined]
        if t is Not:
            return not self.truth(node.operand, scope)  # type: ignore[attr-defined]
        if t is IfExp:
            branch = node.body if self.truth(node.test, scope) else node.orelse  # type: ignore[attr-defined]
            return self.eval(branch, scope)
        if t is TupleNode:
            return tuple(c for item in node.items for c in components(self.eval(item, scope)))  # type: ignore[attr-defined]
        raise self.fail(f"cannot evaluate {to_text(node)!r}")

    def _index_text(self, base: str) -> str:
        for v in self.f.variables:
            if v.name == base:
                return ", ".join(f"{s} = {self.data.sets[s].describe()}" for s in v.index) or "scalar"
        return "?"

    def _aggregate(self, node: Aggregate, scope: _Scope) -> Value:
        if node.func == "sum":
            cached = self._sum_plans.get(id(node))
            if cached is not None and cached[0] is node:
                plan = cached[1]
            else:
                plan = sum_plan(node, self.families, self.data.params)
                self._sum_plans[id(node)] = (node, plan)
            if plan is not None:
                fast = self._linear_sum(node, plan, scope)
                if fast is not None:
                    return fast
            return self._sum_of((self.eval(node.body, inner) for inner in self.iterate(node.generators, scope)),
                                node)
        items: list[Value] = []
        for inner in self.iterate(node.generators, scope):
            items.append(self.eval(node.body, inner))
            if len(items) % 4096 == 0:
                self.clock.check_size("terms_per_row", len(items), self.where)
        if not items:
            if node.func == "prod":
                return 1.0
            raise self.fail(f"{node.func}() over an empty set in {to_text(node)!r}")
        if node.func == "prod":
            return self._product(items)
        return apply(node.func, items)

    def _sum_of(self, values: Iterable[Any], node: Node) -> Value:
        """Polynomial parts added in place, nonlinear ones kept in one flat node; the size checked as it grows."""
        acc = Poly()
        extra: list[Value] = []
        for count, v in enumerate(values):
            if isinstance(v, NL):
                extra.append(v)
            elif isinstance(v, str | tuple):
                raise self.fail(f"sum over set elements in {to_text(node)!r}")
            else:
                add_into(acc, v, 1.0)
            if count % 4096 == 4095:
                self.clock.check_size("terms_per_row", len(acc) + len(extra), self.where)
        total: Value = acc if any(m != () for m in acc) else acc.get((), 0.0)
        return total if not extra else _sum_nl(total, extra)

    def _product(self, items: list[Value]) -> Value:
        """The product of items: numbers and polynomials multiplied out, nonlinear factors kept in one flat node."""
        out: Value = 1.0
        factors: list[Value] = []
        for v in items:
            if isinstance(v, NL):
                factors.append(v)
            else:
                out = mul(out, v)
            self.clock.tick(self.where)
        if not factors:
            return out
        if isinstance(out, float | int) and out == 0:
            return 0.0
        return NL("*", tuple(factors) if out == 1.0 else (out, *factors))

    def _linear_sum(self, node: Aggregate, plan: SumPlan, scope: _Scope) -> Value | None:
        """`sum(P[..j..]*V[..j..] for j in S)` without per-term trees: same Poly, same errors.

        Returns None (use the generic path) when an index name is not a loop variable in scope.
        """
        if not all(n in scope for n in plan.scope_names):
            return None
        self.clock.check_time(self.where)
        fam = self.families[plan.var]
        position, first = fam.position, fam.first
        target, const = plan.target, plan.const
        v_pre, v_post = key_parts(plan.var_index, target, scope)
        v_has_t = target in plan.var_index
        v_only_t = plan.var_index == (target,)  # V[j]: the key is the element itself
        has_param = plan.param is not None
        table: dict[Key, float] = {}
        p_pre: Key = ()
        p_post: Key = ()
        if plan.param is not None:
            table = self.data.params[plan.param].table
            p_pre, p_post = key_parts(plan.param_index, target, scope)
        p_has_t = target in plan.param_index
        acc = Poly()
        for element in self.domain(plan.domain, scope):
            tc = element if len(element) != 1 or type(element[0]) in PLAIN else components(element[0])
            pos = position.get(tc if v_only_t else v_pre + tc + v_post if v_has_t else v_pre + v_post)
            coef: Any
            if has_param:
                coef = table.get(p_pre + tc + p_post if p_has_t else p_pre + p_post, MISSING)
            else:
                coef = const
            if pos is None or coef is MISSING:  # defaults, key normalisation and errors: generic path
                inner = _Scope(scope)
                inner[target] = element[0] if len(element) == 1 else element
                add_into(acc, self.eval(node.body, inner), 1.0)
                continue
            if coef != 0:  # mul(coef, x) is the float 0.0 for a zero coefficient
                m = (first + pos,)
                acc[m] = acc.get(m, 0.0) + coef
            else:
                acc[()] = acc.get((), 0.0) + 0.0
        return acc if any(m != () for m in acc) else acc.get((), 0.0)

    def _call(self, node: Call, scope: _Scope) -> Any:
        func = node.func
        if func in ("len", "card"):
            arg = node.args[0]
            return float(len(self.domain(arg, scope)))
        if func == "ord":
            raise self.fail("ord() is not supported; iterate over a range set instead")
        args = [self.eval(a, scope) for a in node.args]
        if func == "prod":
            return self._product(args)
        if func == "sum":
            return self._sum_of(args, node)
        if func in ("min", "max") and len(args) == 1:
            return args[0]
        try:
            return apply(func, args)
        except (ValueError, OverflowError):
            raise self.fail(f"{func}() out of its domain in {to_text(node)!r}") from None

    def _compare(self, node: Compare, scope: _Scope) -> bool:
        left = node.operands[0]
        lv = self.eval(left, scope)
        for op, right in zip(node.ops, node.operands[1:], strict=True):
            if op in ("in", "not in"):
                members = self.domain(right, scope)
                found = components(lv) in set(members)
                ok = found if op == "in" else not found
                rv = None
            else:
                rv = self.eval(right, scope)
                if isinstance(lv, Poly | NL) or isinstance(rv, Poly | NL):
                    raise self.fail(f"comparison {to_text(node)!r} inside an expression depends on variables",
                                    "variable-in-data")
                ok = _holds_pair(lv, op, rv)
            if not ok:
                return False
            lv = rv
        return True


def _sum_nl(total: Value, extra: list[Value]) -> Value:
    """One flat `+` node for a polynomial part plus nonlinear terms (a chain of pairs would nest deeply)."""
    if isinstance(total, float | int) and total == 0:
        return extra[0] if len(extra) == 1 else NL("+", tuple(extra))
    return NL("+", (total, *extra))


def _normalise_key(key: Key) -> Key:
    return tuple(int(c) if isinstance(c, float) and c.is_integer() else c for c in key)


def _split_constant(v: Value) -> tuple[Value | None, float]:
    if isinstance(v, float | int):
        return None, float(v)
    if isinstance(v, Poly):
        const = v.constant()
        body = Poly(v)
        body.pop((), None)
        if 0.0 in body.values():  # drop zero coefficients (rare; the scan and copy above are C-level)
            body = Poly({m: c for m, c in body.items() if c != 0.0})
        return (body if body else None), const
    if v.op == "+":
        consts = sum(a for a in v.args if isinstance(a, float | int))
        rest = [a for a in v.args if not isinstance(a, float | int)]
        polys = [a for a in rest if isinstance(a, Poly)]
        pc = sum(p.constant() for p in polys)
        rest = [a.without_constant() if isinstance(a, Poly) else a for a in rest]
        rest_body: Value = rest[0] if len(rest) == 1 else NL("+", tuple(rest))
        return rest_body, float(consts + pc)
    return v, 0.0


def _holds(const: float, op: str) -> bool:
    return _holds_pair(const, op, 0.0, tol=1e-9)


def _holds_pair(a: Any, op: str, b: Any, tol: float = 0.0) -> bool:
    if isinstance(a, str | tuple) or isinstance(b, str | tuple):
        if op == "==":
            return components(a) == components(b)
        if op == "!=":
            return components(a) != components(b)
        try:
            return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
        except TypeError:
            return False
    return bool({"<": a < b + tol, "<=": a <= b + tol, ">": a > b - tol, ">=": a >= b - tol,
                 "==": abs(a - b) <= tol, "!=": abs(a - b) > tol}[op])


def classify(formulation: Formulation) -> tuple[ProblemClass, bool]:
    """(problem class, CP-friendly) of a formulation, from its grounded instance."""
    inst = instantiate(formulation)
    return inst.problem_class(), inst.is_cp_friendly()
