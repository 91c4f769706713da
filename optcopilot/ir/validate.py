"""Static checks: parse every expression and resolve every name against the formulation.

`parse_formulation` returns the parsed trees (so compilers parse once) or raises
FormulationError listing every located issue.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from optcopilot.ir.errors import FormulationError, Issue
from optcopilot.ir.expr import (
    AGGREGATES,
    BUILTIN_NAMES,
    FUNCTIONS,
    Aggregate,
    Call,
    Compare,
    ExprSyntaxError,
    Generator,
    Index,
    Name,
    Node,
    Str,
    TupleNode,
    children,
    parse_domain,
    parse_expression,
)
from optcopilot.ir.model import Formulation

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
CONSTANTS = {"inf", "pi", "e"}


@dataclass
class ParsedConstraint:
    name: str
    domain: tuple[Generator, ...]
    expr: Compare


@dataclass
class ParsedFormulation:
    formulation: Formulation
    objective: Node
    constraints: list[ParsedConstraint]
    bounds: dict[str, tuple[Node | None, Node | None]] = field(default_factory=dict)


@dataclass
class _Symbols:
    sets: dict[str, int]  # name -> dimension (1 for ranges; tuple length otherwise)
    indexed_sets: dict[str, int]  # name -> arity of its index
    params: dict[str, int]  # name -> index arity (0 = scalar)
    variables: dict[str, int]

    def kind(self, name: str) -> str | None:
        for kind, table in (("set", self.sets), ("parameter", self.params), ("variable", self.variables)):
            if name in table:
                return kind
        return None


def parse_formulation(f: Formulation) -> ParsedFormulation:
    issues: list[Issue] = []
    symbols = _collect_symbols(f, issues)
    objective: Node = Name("__invalid__")
    try:
        objective = parse_expression(f.objective.expression)
        if isinstance(objective, Compare):
            issues.append(Issue("objective", "must be an expression to optimise, not a comparison", "not-a-comparison"))
        else:
            _check(objective, {}, symbols, "objective", issues)
    except ExprSyntaxError as exc:
        issues.append(Issue("objective", str(exc), "syntax"))
    constraints: list[ParsedConstraint] = []
    seen: set[str] = set()
    for c in f.constraints:
        where = f"constraint {c.name!r}"
        if c.name in seen:
            issues.append(Issue(where, "name used by another constraint", "duplicate-name"))
        seen.add(c.name)
        try:
            domain = parse_domain(c.forall or "")
            expr = parse_expression(c.expression)
        except ExprSyntaxError as exc:
            issues.append(Issue(where, str(exc), "syntax"))
            continue
        scope = _check_generators(domain, {}, symbols, where, issues)
        if not isinstance(expr, Compare) or any(op in ("!=", "in", "not in") for op in expr.ops):
            issues.append(Issue(where, "expression must be a comparison with <=, >= or == "
                                "(or a range lo <= expr <= hi)", "not-a-comparison"))
            continue
        if len(expr.ops) > 2:
            issues.append(Issue(where, "at most two comparison operators (lo <= expr <= hi)", "not-a-comparison"))
            continue
        if len(expr.ops) == 2 and ("==" in expr.ops or ({">", ">="} & set(expr.ops) and {"<", "<="} & set(expr.ops))):
            issues.append(Issue(where, "a range must read lo <= expr <= hi (or hi >= expr >= lo)", "not-a-comparison"))
            continue
        for operand in expr.operands:
            _check(operand, scope, symbols, where, issues)
        constraints.append(ParsedConstraint(c.name, domain, expr))
    bounds = _parse_bounds(f, symbols, issues)
    if not f.variables:
        issues.append(Issue("variables", "the formulation declares no decision variables", "missing"))
    if issues:
        raise FormulationError(issues)
    return ParsedFormulation(f, objective, constraints, bounds)


def _collect_symbols(f: Formulation, issues: list[Issue]) -> _Symbols:
    symbols = _Symbols({}, {}, {}, {})
    owner: dict[str, str] = {}

    def claim(kind: str, name: str) -> bool:
        where = f"{kind} {name!r}"
        if not _IDENT.fullmatch(name) or keyword.iskeyword(name):
            issues.append(Issue(where, "names must be identifiers (letters, digits, underscores; start with a "
                                "letter)", "bad-name"))
            return False
        if name in BUILTIN_NAMES:
            issues.append(Issue(where, f"{name!r} is a reserved function or constant name", "bad-name"))
            return False
        if name in owner:
            issues.append(Issue(where, f"name already used by {owner[name]}", "duplicate-name"))
            return False
        owner[name] = kind
        return True

    for s in f.sets:
        if claim("set", s.name):
            dimen = 1
            if s.elements and isinstance(s.elements[0], list):
                dimen = len(s.elements[0])
            elif s.members:
                first = next((v for v in s.members.values() if v), None)
                if first and isinstance(first[0], list):
                    dimen = len(first[0])
            symbols.sets[s.name] = dimen
            if s.index:
                symbols.indexed_sets[s.name] = sum(symbols.sets.get(i, 1) for i in s.index)
    for p in f.parameters:
        if claim("parameter", p.name):
            for i in p.index:
                if i not in symbols.sets:
                    issues.append(Issue(f"parameter {p.name!r}", f"index set {i!r} is not a declared set", "unknown-symbol"))
            symbols.params[p.name] = sum(symbols.sets.get(i, 1) for i in p.index)
    for v in f.variables:
        if claim("variable", v.name):
            for i in v.index:
                if i not in symbols.sets:
                    issues.append(Issue(f"variable {v.name!r}", f"index set {i!r} is not a declared set", "unknown-symbol"))
            symbols.variables[v.name] = sum(symbols.sets.get(i, 1) for i in v.index)
    return symbols


def _parse_bounds(f: Formulation, symbols: _Symbols, issues: list[Issue]) -> dict[str, tuple[Node | None, Node | None]]:
    out: dict[str, tuple[Node | None, Node | None]] = {}
    for v in f.variables:
        parsed: list[Node | None] = []
        for label, raw in (("lb", v.lb), ("ub", v.ub)):
            if raw is None or isinstance(raw, int | float):
                parsed.append(None)
                continue
            where = f"variable {v.name!r} {label}"
            try:
                node = parse_expression(raw)
            except ExprSyntaxError as exc:
                issues.append(Issue(where, str(exc), "syntax"))
                parsed.append(None)
                continue
            for sub in _walk_with_generators(node):
                if isinstance(sub, Name | Index):
                    name = sub.id if isinstance(sub, Name) else sub.base
                    if name in symbols.variables:
                        issues.append(Issue(where, f"bounds may not use variables (found {name!r})", "variable-in-data"))
                    elif isinstance(sub, Index) and name in symbols.params and symbols.params[name] != \
                            sum(symbols.sets.get(i, 1) for i in v.index):
                        issues.append(Issue(where, f"parameter {name!r} must have the same index as the variable", "arity"))
                    elif isinstance(sub, Name) and name not in symbols.params and name not in CONSTANTS:
                        issues.append(Issue(where, f"unknown symbol {name!r}; use a number or a parameter name",
                                            "unknown-symbol"))
            parsed.append(node)
        out[v.name] = (parsed[0], parsed[1])
    return out


def _walk_with_generators(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(children(cur))
    return out


def _check_generators(gens: tuple[Generator, ...], scope: dict[str, int], symbols: _Symbols, where: str,
                      issues: list[Issue]) -> dict[str, int]:
    scope = dict(scope)
    for g in gens:
        dimen = _domain_dimen(g.domain, scope, symbols, where, issues)
        if len(g.targets) > 1 and dimen is not None and len(g.targets) != dimen:
            issues.append(Issue(where, f"loop unpacks {len(g.targets)} names but the set has {dimen}-tuples", "arity"))
        for t in g.targets:
            if symbols.kind(t) is not None:
                issues.append(Issue(where, f"loop index {t!r} hides the {symbols.kind(t)} of that name; pick "
                                    "another index name", "duplicate-name"))
            scope[t] = 1 if len(g.targets) > 1 else (dimen or 1)
        for cond in g.conditions:
            _check(cond, scope, symbols, where, issues, data_only=True)
    return scope


def _domain_dimen(node: Node, scope: dict[str, int], symbols: _Symbols, where: str, issues: list[Issue]) -> int | None:
    match node:
        case Name(id=name) if name in symbols.sets:
            if name in symbols.indexed_sets:
                issues.append(Issue(where, f"set {name!r} is indexed; iterate over {name}[...]", "arity"))
            return symbols.sets[name]
        case Index(base=base, indices=ix) if base in symbols.indexed_sets:
            for i in ix:
                _check(i, scope, symbols, where, issues, data_only=True)
            return symbols.sets[base]
        case Call(func="range", args=args) if 1 <= len(args) <= 2:
            for a in args:
                _check(a, scope, symbols, where, issues, data_only=True)
            return 1
    issues.append(Issue(where, "a loop must run over a declared set, an indexed set S[i], or range(a, b)",
                        "not-a-set"))
    return None


def _check(node: Node, scope: dict[str, int], symbols: _Symbols, where: str, issues: list[Issue],
           data_only: bool = False) -> None:
    match node:
        case Name(id=name):
            if name in scope or name in CONSTANTS:
                return
            if name in symbols.variables:
                if data_only:
                    issues.append(Issue(where, f"variable {name!r} cannot appear in a condition, range or index",
                                        "variable-in-data"))
                elif symbols.variables[name]:
                    issues.append(Issue(where, f"variable {name!r} is indexed ({symbols.variables[name]} indices); "
                                        f"write {name}[...]", "arity"))
                return
            if name in symbols.params:
                if symbols.params[name]:
                    issues.append(Issue(where, f"parameter {name!r} is indexed; write {name}[...]", "arity"))
                return
            if name in symbols.sets:
                issues.append(Issue(where, f"set {name!r} used as a value; use it in 'for ... in {name}' or len({name})",
                                    "not-a-set"))
                return
            known = sorted([*symbols.params, *symbols.variables, *scope])
            issues.append(Issue(where, f"unknown symbol {name!r} (known: {', '.join(known[:12]) or 'none'})",
                                "unknown-symbol"))
        case Index(base=base, indices=ix):
            for i in ix:
                _check(i, scope, symbols, where, issues, data_only=True)
            arity = sum(scope.get(i.id, 1) if isinstance(i, Name) else 1 for i in ix)
            if base in symbols.variables:
                if data_only:
                    issues.append(Issue(where, f"variable {base!r} cannot appear in a condition, range or index",
                                        "variable-in-data"))
                expected = symbols.variables[base]
            elif base in symbols.params:
                expected = symbols.params[base]
            elif base in symbols.sets:
                issues.append(Issue(where, f"set {base!r} cannot be used as a value", "not-a-set"))
                return
            else:
                issues.append(Issue(where, f"unknown symbol {base!r}", "unknown-symbol"))
                return
            if expected == 0:
                issues.append(Issue(where, f"{base!r} is a scalar; write it without brackets", "arity"))
            elif arity != expected:
                issues.append(Issue(where, f"{base!r} takes {expected} indices, got {arity}", "arity"))
        case Aggregate(body=body, generators=gens):
            inner = _check_generators(gens, scope, symbols, where, issues)
            _check(body, inner, symbols, where, issues, data_only)
        case Call(func=func, args=args):
            if func in ("len", "card", "ord"):
                if len(args) != 1 or not ((isinstance(args[0], Name) and args[0].id in symbols.sets)
                                          or (isinstance(args[0], Index) and args[0].base in symbols.indexed_sets)):
                    issues.append(Issue(where, f"{func}() takes one set", "not-a-set"))
                return
            if func == "range":
                issues.append(Issue(where, "range() is only allowed as a loop domain", "not-a-set"))
                return
            if func not in FUNCTIONS | AGGREGATES:
                issues.append(Issue(where, f"unknown function {func!r}", "unknown-symbol"))
            for a in args:
                _check(a, scope, symbols, where, issues, data_only)
        case Compare(operands=operands):
            for operand in operands:
                if isinstance(operand, Name) and operand.id in symbols.sets:
                    continue  # `i in S`
                if isinstance(operand, Index) and operand.base in symbols.indexed_sets:
                    for i in operand.indices:  # `j in N[i]`
                        _check(i, scope, symbols, where, issues, data_only=True)
                    continue
                _check(operand, scope, symbols, where, issues, data_only)
        case Str() | TupleNode():
            for child in children(node):
                _check(child, scope, symbols, where, issues, data_only)
        case _:
            for child in children(node):
                _check(child, scope, symbols, where, issues, data_only)
