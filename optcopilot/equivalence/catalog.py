"""Every transformation the benchmark and the tests use: the reformulations and the meaning changes."""

from __future__ import annotations

from optcopilot.equivalence.changes import CHANGES
from optcopilot.equivalence.transforms import REFORMULATIONS, Transformation

TRANSFORMATIONS: tuple[Transformation, ...] = (*REFORMULATIONS, *CHANGES)


def transformation(name: str) -> Transformation:
    for t in TRANSFORMATIONS:
        if t.name == name:
            return t
    raise KeyError(f"unknown transformation {name!r} (choose from {', '.join(t.name for t in TRANSFORMATIONS)})")
