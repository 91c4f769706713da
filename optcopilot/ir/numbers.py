"""Numbers at the boundary: what a data value or a literal may be.

NaN is never a number here; infinities only stand for a missing bound (the grounder refuses them
anywhere else); integers with more than MAX_INT_DIGITS digits are refused before they overflow a float;
complex results are refused.
"""

from __future__ import annotations

import math
from typing import Any

MAX_INT_DIGITS = 30
INF_WORDS = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "+infinity": math.inf,
             "-inf": -math.inf, "-infinity": -math.inf}


class NumberError(ValueError):
    """A value is not an acceptable number; the message says why (no location: the caller adds it)."""


def checked_int(value: int) -> float:
    """An integer as a float, refusing ones too long to be meant (and to convert)."""
    if abs(value) >= 10**MAX_INT_DIGITS:
        digits = len(str(abs(value))) if abs(value) < 10**4000 else "thousands of"
        raise NumberError(f"an integer with {digits} digits is too large (limit {MAX_INT_DIGITS} digits)")
    return float(value)


def checked_float(value: float | complex) -> float:
    """The float itself; NaN and complex values refused (infinities pass: the caller decides)."""
    if isinstance(value, complex):
        raise NumberError("a complex number is not a value a model can use")
    if math.isnan(value):
        raise NumberError("NaN is not a number")
    return float(value)


def as_number(value: Any) -> float:
    """A JSON scalar (number, bool, numeric string, 'inf') as a float; NumberError otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return checked_int(value)
    if isinstance(value, float | complex):
        return checked_float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "").replace("%", "")
        low = text.lower()
        if low in INF_WORDS:
            return INF_WORDS[low]
        digits = sum(ch.isdigit() for ch in text)
        if digits > 4 * MAX_INT_DIGITS:
            raise NumberError(f"{digits} digits is too long for a number")
        try:
            number = float(text)
        except ValueError:
            raise NumberError(f"{value[:40]!r} is not a number") from None
        if math.isnan(number):
            raise NumberError("NaN is not a number")
        if math.isinf(number):
            raise NumberError(f"{value[:40]!r} is out of the range of numbers (write 'inf' for no bound)")
        return number
    raise NumberError(f"expected a number, got {type(value).__name__}")
