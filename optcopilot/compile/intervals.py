"""Interval arithmetic over the flat algebra: where an expression can go when every variable stays in its box.

Two users: the grounder's domain check (can the argument of `log` or `sqrt` leave the function's domain?)
and the result check (a solver that reports `unbounded` for an objective that is bounded on the box is
not believed). Every enclosure is conservative: the true range lies inside it; `UNKNOWN` means no claim.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from optcopilot.compile.algebra import NL, Poly, Value, variables_of

Interval = tuple[float, float]
UNKNOWN: Interval = (-math.inf, math.inf)

# functions defined only on part of the real line: name -> (lowest allowed argument, open at it?)
DOMAINS: dict[str, tuple[float, bool]] = {"log": (0.0, True), "log10": (0.0, True), "sqrt": (0.0, False)}


def _mul(a: Interval, b: Interval) -> Interval:
    products = [_times(x, y) for x in a for y in b]
    return min(products), max(products)


def _times(x: float, y: float) -> float:
    if x == 0.0 or y == 0.0:
        return 0.0  # 0 * inf: the bound is approached, never reached, by a finite product
    return x * y


def _power(a: Interval, n: float) -> Interval:
    lo, hi = a
    if n == 0:
        return 1.0, 1.0
    if float(n).is_integer():
        k = int(n)
        if k > 0:
            ends = [_pow_safe(lo, k), _pow_safe(hi, k)]
            if k % 2 == 0 and lo < 0.0 < hi:
                return 0.0, max(ends)
            return min(ends), max(ends)
        if lo > 0.0 or hi < 0.0:
            ends = [_pow_safe(lo, k), _pow_safe(hi, k)]
            return min(ends), max(ends)
        return UNKNOWN
    if lo < 0.0:
        return UNKNOWN
    ends = [_pow_safe(lo, n), _pow_safe(hi, n)]
    return min(ends), max(ends)


def _pow_safe(x: float, n: float) -> float:
    try:
        value: float | complex = x**n
    except (OverflowError, ZeroDivisionError):
        return math.inf if x > 0 or (float(n).is_integer() and int(n) % 2 == 0) else -math.inf
    if isinstance(value, complex) or math.isnan(value):
        return math.nan
    return value


def _monotone(func: str, a: Interval) -> Interval:
    lo, hi = a
    if func == "exp":
        return _exp(lo), _exp(hi)
    if func in ("log", "log10"):
        f = math.log if func == "log" else math.log10
        if hi <= 0.0:
            return UNKNOWN
        return (-math.inf if lo <= 0.0 else f(lo)), (math.inf if math.isinf(hi) else f(hi))
    if func == "sqrt":
        if hi < 0.0:
            return UNKNOWN
        return math.sqrt(max(lo, 0.0)), (math.inf if math.isinf(hi) else math.sqrt(hi))
    if func in ("floor", "ceil"):
        return (lo - 1.0, hi + 1.0)
    if func in ("sin", "cos"):
        return -1.0, 1.0
    if func == "abs":
        if lo >= 0.0:
            return lo, hi
        if hi <= 0.0:
            return -hi, -lo
        return 0.0, max(-lo, hi)
    return UNKNOWN


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


@dataclass
class Box:
    """The variables' bounds (flat id -> lb, ub)."""

    lb: Sequence[float]
    ub: Sequence[float]

    def of(self, value: Value) -> Interval:
        """An enclosure of `value` over the box."""
        if isinstance(value, float | int):
            out: Interval = (float(value), float(value))
        elif isinstance(value, Poly):
            out = self._poly(value)
        else:
            out = self._nl(value)
        return UNKNOWN if math.isnan(out[0]) or math.isnan(out[1]) else out

    def _poly(self, poly: Poly) -> Interval:
        lo = hi = 0.0
        for mono, coef in poly.items():
            term: Interval = (coef, coef)
            for var, power in _powers(mono):
                term = _mul(term, _power((self.lb[var], self.ub[var]), power))
            lo, hi = lo + term[0], hi + term[1]
            if math.isnan(lo) or math.isnan(hi):
                return UNKNOWN
        return lo, hi

    def _nl(self, node: NL) -> Interval:
        args = [self.of(a) for a in node.args]
        op = node.op
        if op == "+":
            return sum(a[0] for a in args), sum(a[1] for a in args)
        if op == "neg":
            return -args[0][1], -args[0][0]
        if op == "*":
            out: Interval = (1.0, 1.0)
            for a in args:
                out = _mul(out, a)
            return out
        if op == "/":
            num, den = args
            if den[0] <= 0.0 <= den[1]:
                return UNKNOWN
            return _mul(num, (1.0 / den[1], 1.0 / den[0]))
        if op == "**":
            base, expo = args
            if expo[0] == expo[1]:
                return _power(base, expo[0])
            return UNKNOWN
        if op in ("min", "max"):
            pick = min if op == "min" else max
            return pick(a[0] for a in args), pick(a[1] for a in args)
        return _monotone(op, args[0])


def _powers(mono: tuple[int, ...]) -> Iterator[tuple[int, int]]:
    counts: dict[int, int] = {}
    for var in mono:
        counts[var] = counts.get(var, 0) + 1
    return iter(counts.items())


def domain_violations(value: Value, box: Box) -> Iterator[tuple[str, Value, Interval]]:
    """(function, argument, argument's enclosure) for every `log`/`log10`/`sqrt`/fractional power whose
    argument can go below the function's domain somewhere in the box (a bound it only touches is allowed)."""
    stack: list[Value] = [value]
    while stack:
        node = stack.pop()
        if not isinstance(node, NL):
            continue
        stack.extend(node.args)
        if node.op in DOMAINS:
            arg = node.args[0]
            lowest, _ = DOMAINS[node.op]
            enclosure = box.of(arg)
            if enclosure[0] < lowest and not isinstance(arg, float | int):
                yield node.op, arg, enclosure
        elif node.op == "**" and isinstance(node.args[1], float | int) and not float(node.args[1]).is_integer():
            enclosure = box.of(node.args[0])
            if enclosure[0] < 0.0 and not isinstance(node.args[0], float | int):
                yield f"**{node.args[1]:g}", node.args[0], enclosure


def continuous_on_box(value: Value, box: Box) -> bool:
    """True when `value` is a continuous function of variables that all have finite bounds: then it is bounded
    on the box even where floating-point enclosures overflow (`exp(exp(exp(exp(x))))` on [1, 2])."""
    if any(not (math.isfinite(box.lb[i]) and math.isfinite(box.ub[i])) for i in variables_of(value)):
        return False
    stack: list[Value] = [value]
    while stack:
        node = stack.pop()
        if not isinstance(node, NL):
            continue
        stack.extend(node.args)
        if node.op == "/":
            lo, hi = box.of(node.args[1])
            if lo <= 0.0 <= hi:
                return False
        elif node.op in ("log", "log10"):
            if box.of(node.args[0])[0] <= 0.0:
                return False
        elif node.op == "**":
            base, expo = node.args
            base_lo, base_hi = box.of(base)
            if isinstance(expo, float | int):
                if expo < 0 and base_lo <= 0.0 <= base_hi:
                    return False
            elif base_lo <= 0.0:
                return False
    return True
