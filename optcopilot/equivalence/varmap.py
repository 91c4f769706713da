"""`VariableMap`: each variable of one model as an affine combination of another model's variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Backward = Callable[[np.ndarray], np.ndarray]


@dataclass
class VariableMap:
    """original[i] = Σ_j terms[i][j] · new[j] + offset[i]; `backward` gives new values from original ones."""

    original: list[str]
    new: list[str]
    terms: list[dict[int, float]]
    offset: np.ndarray
    backward: Backward | None = field(default=None, repr=False)

    @classmethod
    def identity(cls, original: list[str], new: list[str], positions: list[int] | None = None,
                 backward: Backward | None = None) -> VariableMap:
        """original[i] = new[positions[i]] (positions default to i)."""
        pos = positions if positions is not None else list(range(len(original)))
        return cls(list(original), list(new), [{p: 1.0} for p in pos], np.zeros(len(original)), backward)

    def to_original(self, new_x: np.ndarray) -> np.ndarray:
        out = self.offset.astype(float).copy()
        for i, row in enumerate(self.terms):
            for j, coef in row.items():
                out[i] += coef * new_x[j]
        return out

    def to_new(self, original_x: np.ndarray) -> np.ndarray | None:
        return None if self.backward is None else np.asarray(self.backward(np.asarray(original_x, dtype=float)))

    def original_values(self, new_values: Mapping[str, float] | np.ndarray) -> dict[str, float]:
        """Values of the original's variables from a solution of the new model (by name or as an array)."""
        x = _vector(new_values, self.new)
        return dict(zip(self.original, self.to_original(x).tolist(), strict=True))

    def new_values(self, original_values: Mapping[str, float] | np.ndarray) -> dict[str, float] | None:
        y = self.to_new(_vector(original_values, self.original))
        return None if y is None else dict(zip(self.new, y.tolist(), strict=True))

    def as_dict(self) -> dict[str, Any]:
        """{original name: {"terms": {new name: coef}, "constant": c}}."""
        return {name: {"terms": {self.new[j]: float(c) for j, c in row.items()}, "constant": float(off)}
                for name, row, off in zip(self.original, self.terms, self.offset.tolist(), strict=True)}

    def renamed(self, new: list[str]) -> VariableMap:
        return VariableMap(self.original, list(new), self.terms, self.offset, self.backward)


def _vector(values: Mapping[str, float] | np.ndarray, names: list[str]) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float)
    missing = [n for n in names if n not in values]
    if missing:
        raise KeyError(f"no value for {missing[0]!r} ({len(missing)} variable(s) missing)")
    return np.array([float(values[n]) for n in names])
