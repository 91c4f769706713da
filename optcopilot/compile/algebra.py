"""Flat algebra over numbered variables: polynomials (dict of monomials) and nonlinear nodes.

`Poly` maps a monomial (sorted tuple of variable ids; `()` is the constant) to its coefficient.
Anything a polynomial cannot hold (exp, log, division by a variable, ...) becomes an `NL` node.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from optcopilot.ir import budget

Monomial = tuple[int, ...]


class Poly(dict[Monomial, float]):
    """A polynomial in the flat variables. Degree 1 is linear, 2 quadratic."""

    def degree(self) -> int:
        return max((len(m) for m, c in self.items() if c != 0.0), default=0)

    def constant(self) -> float:
        return self.get((), 0.0)

    def without_constant(self) -> Poly:
        out = Poly(self)
        out.pop((), None)
        return out


@dataclass(frozen=True)
class NL:
    """A nonlinear operation: op in + * / ** neg exp log sqrt abs min max sin cos log10 floor ceil."""

    op: str
    args: tuple[Value, ...]


Value = float | Poly | NL


def variable(var_id: int) -> Poly:
    return Poly({(var_id,): 1.0})


def is_const(v: Value) -> bool:
    return isinstance(v, float | int)


def add(a: Value, b: Value) -> Value:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return a + b
    if isinstance(a, NL) or isinstance(b, NL):
        return NL("+", (a, b))
    out = Poly(a) if isinstance(a, Poly) else Poly({(): float(a)})
    add_into(out, b, 1.0)
    return out


def add_into(acc: Poly, v: Value, scale: float) -> None:
    """acc += scale * v for a polynomial or constant v (in place)."""
    if isinstance(v, Poly):
        if scale == 1.0 and acc.keys().isdisjoint(v) and 0.0 not in v.values():
            acc.update(v)  # new monomials only: 0.0 + 1.0 * c == c (a zero could be -0.0, so not here)
            return
        for m, c in v.items():
            acc[m] = acc.get(m, 0.0) + scale * c
    else:
        acc[()] = acc.get((), 0.0) + scale * float(v)  # type: ignore[arg-type]


def neg(a: Value) -> Value:
    if isinstance(a, float | int):
        return -a
    if isinstance(a, Poly):
        return Poly({m: -c for m, c in a.items()})
    return NL("neg", (a,))


def sub(a: Value, b: Value) -> Value:
    return add(a, neg(b))


def mul(a: Value, b: Value) -> Value:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return a * b
    if isinstance(a, NL) or isinstance(b, NL):
        if (is_const(a) and a == 0) or (is_const(b) and b == 0):
            return 0.0
        return NL("*", (a, b))
    if isinstance(a, float | int):
        return Poly({m: a * c for m, c in b.items()}) if a != 0 else 0.0  # type: ignore[union-attr]
    if isinstance(b, float | int):
        return Poly({m: b * c for m, c in a.items()}) if b != 0 else 0.0
    _check_product(a, b)
    out = Poly()
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            m = tuple(sorted(m1 + m2))
            out[m] = out.get(m, 0.0) + c1 * c2
    return out


def _check_product(a: Poly, b: Poly) -> None:
    """Multiplying out must stay within the budget's expansion and degree limits (checked before the work)."""
    limits = budget.limits_now()
    if len(a) * len(b) > limits.expansion:
        raise budget.size_error("expansion", limits.expansion, count=len(a) * len(b))
    deg = a.degree() + b.degree()
    if deg > limits.degree:
        raise budget.size_error("degree", limits.degree, count=deg)


def div(a: Value, b: Value) -> Value:
    if isinstance(b, float | int):
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return a / b if isinstance(a, float | int) else mul(a, 1.0 / b)
    if isinstance(b, Poly) and b.degree() == 0:
        return div(a, b.constant())
    return NL("/", (a, b))


def power(a: Value, b: Value) -> Value:
    """a**b: folded for numbers (a complex result raises ValueError), multiplied out up to the 4th power."""
    if isinstance(a, float | int) and isinstance(b, float | int):
        value: float | complex = float(a) ** float(b)
        if isinstance(value, complex):
            raise ValueError(f"{a}**{b} is not a real number")
        return value
    if isinstance(a, Poly) and isinstance(b, float | int) and float(b).is_integer() and 0 <= b <= 4:
        out: Value = 1.0
        for _ in range(int(b)):
            out = mul(out, a)
        return out
    if isinstance(a, Poly) and isinstance(b, float | int) and float(b).is_integer() and b > 4:
        _check_expansion(a, int(b))
    return NL("**", (a, b))


def _check_expansion(base: Poly, n: int) -> None:
    """A solver multiplies out `(sum of k terms)**n` into up to C(n+k-1, k-1) terms: refuse what would not fit."""
    k = len(base)
    if k <= 1:
        return
    limit = budget.limits_now().expansion
    terms = math.comb(n + k - 1, k - 1) if n < 10**6 else limit + 1
    if terms > limit:
        raise budget.size_error("expansion", limit, count=terms)


_MATH: dict[str, Callable[[float], float]] = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs, "sin": math.sin, "cos": math.cos,
    "log10": math.log10, "floor": math.floor, "ceil": math.ceil,
}


def apply(func: str, args: list[Value]) -> Value:
    """A scalar function; folded when every argument is a number."""
    numbers = [float(a) for a in args if isinstance(a, float | int)]
    if len(numbers) == len(args):
        if func in ("min", "max"):
            return (min if func == "min" else max)(numbers)
        return float(_MATH[func](numbers[0]))
    if func in ("min", "max") and len(args) == 1:
        return args[0]
    return NL(func, tuple(args))


def evaluate(v: Value, x: list[float] | tuple[float, ...]) -> float:
    """Value of an expression at a point (x indexed by variable id)."""
    if isinstance(v, float | int):
        return float(v)
    if isinstance(v, Poly):
        total = 0.0
        for m, c in v.items():
            term = c
            for i in m:
                term *= x[i]
            total += term
        return total
    args = [evaluate(a, x) for a in v.args]
    match v.op:
        case "+":
            return sum(args)
        case "*":
            return math.prod(args)
        case "/":
            return args[0] / args[1]
        case "**":
            return float(args[0] ** args[1])  # a complex power is a TypeError, as the domain checks expect
        case "neg":
            return -args[0]
        case "min":
            return min(args)
        case "max":
            return max(args)
    return float(_MATH[v.op](args[0]))


def variables_of(v: Value) -> set[int]:
    if isinstance(v, Poly):
        return {i for m in v for i in m}
    if isinstance(v, NL):
        out: set[int] = set()
        for a in v.args:
            out |= variables_of(a)
        return out
    return set()


def degree(v: Value) -> int | None:
    """Polynomial degree, or None for nonlinear (non-polynomial) expressions."""
    if isinstance(v, float | int):
        return 0
    if isinstance(v, Poly):
        return v.degree()
    return None
