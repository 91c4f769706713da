"""The one relative tolerance for comparing objective values of two solves."""

from __future__ import annotations

REL_TOL = 1e-6


def same_value(a: float, b: float, rel_tol: float = REL_TOL) -> bool:
    """Equal within a relative tolerance (absolute near zero): |a - b| <= rel_tol * max(1, |a|, |b|)."""
    return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))
