"""Checks of a grounded instance before a solver sees it: sizes, numbers, function domains.

- Sizes: terms of a row, nodes and depth of its nonlinear part (against the active budget).
- Numbers: NaN anywhere is an error; infinity only as a missing bound (a variable's `lb = -inf`,
  `ub = inf`, a row side that is absent). A coefficient, a constant inside a nonlinear term, `x >= inf`
  or `lb = inf` would be silently clipped or misread by a solver, so they are errors here.
- Domains: `log(x)`, `sqrt(x)`, `x**0.5` whose argument can go negative over the variables' box (tightened
  by one-variable rows such as `x >= 1`) are modelling errors: a solver would answer something, but not
  for the model that was written.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from optcopilot.compile.algebra import NL, Poly, Value
from optcopilot.compile.intervals import Box, domain_violations
from optcopilot.ir.errors import Issue

if TYPE_CHECKING:
    from optcopilot.compile.instance import Instance, Row


def value_size(value: Value) -> tuple[int, int, int]:
    """(terms, nonlinear nodes, depth): polynomial terms plus nonlinear nodes, the nonlinear nodes alone, and
    the nesting depth of nonlinear operations."""
    if isinstance(value, Poly):
        return len(value), 0, 0
    if not isinstance(value, NL):
        return 1, 0, 0
    terms, nodes, deepest = 0, 0, 0
    stack: list[tuple[Value, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, NL):
            nodes += 1
            deepest = max(deepest, depth)
            stack.extend((a, depth + 1) for a in node.args)
        else:
            terms += len(node) if isinstance(node, Poly) else 1
    return terms + nodes, nodes, deepest


def number_issues(instance: Instance) -> list[Issue]:
    """Every NaN, every infinity that is not a missing bound, in the bounds, the rows and the objective."""
    issues: list[Issue] = []
    names = instance.names
    for i in np.nonzero(np.isnan(instance.lb) | np.isnan(instance.ub))[0][:5].tolist():
        issues.append(Issue(f"variable {names[i]}", "a bound is NaN (not a number)", "bad-value"))
    for i in np.nonzero(np.isposinf(instance.lb))[0][:5].tolist():
        issues.append(Issue(f"variable {names[i]}", "lower bound is +inf: no value can satisfy it", "bad-value"))
    for i in np.nonzero(np.isneginf(instance.ub))[0][:5].tolist():
        issues.append(Issue(f"variable {names[i]}", "upper bound is -inf: no value can satisfy it", "bad-value"))
    bad_obj = _bad_numbers(instance.objective, names)
    if bad_obj:
        issues.append(Issue("objective", bad_obj, "bad-value"))
    for row in instance.rows:
        message = _row_issue(row, names)
        if message:
            issues.append(Issue(f"constraint {row.family!r}", f"row {row.label}: {message}", "bad-value"))
            if len(issues) >= 10:
                break
    return issues


def _row_issue(row: Row, names: list[str]) -> str | None:
    if math.isnan(row.lo) or math.isnan(row.hi):
        return "its right-hand side is NaN (not a number)"
    if row.lo == math.inf:
        return "it requires an expression >= +inf, which no value satisfies (inf may only stand for no bound)"
    if row.hi == -math.inf:
        return "it requires an expression <= -inf, which no value satisfies (inf may only stand for no bound)"
    return _bad_numbers(row.body, names)


def _bad_numbers(value: Value, names: list[str]) -> str | None:
    """A message for the first non-finite coefficient or constant in `value`, or None."""
    if isinstance(value, float | int):
        return None if math.isfinite(value) else f"the constant {value} is not finite"
    if isinstance(value, Poly):
        coefs = np.fromiter(value.values(), dtype=float, count=len(value))
        if np.isfinite(coefs).all():
            return None
        for mono, coef in value.items():
            if not math.isfinite(coef):
                term = "*".join(names[i] for i in mono) or "the constant term"
                what = "NaN (not a number)" if math.isnan(coef) else str(coef)
                return (f"the coefficient of {term} is {what}; data used as a coefficient must be finite "
                        "(inf may only stand for a missing bound)")
        return None
    for arg in value.args:
        message = _bad_numbers(arg, names)
        if message:
            return message
    return None


def domain_issues(instance: Instance) -> list[Issue]:
    """`log`/`sqrt`/fractional powers whose argument can be negative for some point of the (tightened) box."""
    nonlinear = [("objective", instance.objective)] if isinstance(instance.objective, NL) else []
    nonlinear += [(f"constraint {r.family!r}", r.body) for r in instance.rows if isinstance(r.body, NL)]
    if not nonlinear:
        return []
    box = tightened_box(instance)
    issues: list[Issue] = []
    for where, value in nonlinear:
        for func, arg, (lo, hi) in domain_violations(value, box):
            shown = _show_arg(arg, instance.names)
            call = f"{func}({shown})" if not func.startswith("**") else f"({shown}){func}"
            issues.append(Issue(where, f"{call} is undefined for part of the variables' range: its argument can "
                                f"be as low as {lo:g} (range [{lo:g}, {hi:g}]); bound the variables so the "
                                "argument stays non-negative", "domain"))
            if len(issues) >= 5:
                return issues
    return issues


def tightened_box(instance: Instance) -> Box:
    """Variable bounds, tightened by rows with a single linear term (`x >= 1` written as a constraint)."""
    lb = instance.lb.astype(float).copy()
    ub = instance.ub.astype(float).copy()
    for row in instance.rows:
        body = row.body
        if isinstance(body, Poly) and len(body) == 1:
            (mono, coef), = body.items()
            if len(mono) == 1 and coef != 0.0 and math.isfinite(coef):
                i = mono[0]
                lo, hi = (row.lo / coef, row.hi / coef) if coef > 0 else (row.hi / coef, row.lo / coef)
                lb[i] = max(lb[i], lo)
                ub[i] = min(ub[i], hi)
    return Box(lb.tolist(), ub.tolist())


def _show_arg(arg: Value, names: list[str]) -> str:
    if isinstance(arg, Poly) and len(arg) <= 4:
        parts = []
        for mono, coef in arg.items():
            term = "*".join(names[i] for i in mono)
            parts.append(f"{coef:g}" if not term else term if coef == 1 else f"{coef:g}*{term}")
        return " + ".join(parts)
    return "…"
