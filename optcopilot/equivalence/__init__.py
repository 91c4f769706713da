"""Equivalence of two formulations: find a variable map (structure first, LLM as fallback), verify it.

See `check_equivalence`, `cluster_by_equivalence`, the reformulations in `transforms`, and the baselines.
"""

from optcopilot.equivalence.check import EquivalenceReport, check_equivalence, cluster_by_equivalence
from optcopilot.equivalence.flat import EquivalenceInputError, FlatModel, to_flat, to_formulation
from optcopilot.equivalence.transforms import TRANSFORMATIONS, NotApplicable, Transformation, transformation
from optcopilot.equivalence.varmap import VariableMap

__all__ = [
    "TRANSFORMATIONS",
    "EquivalenceInputError",
    "EquivalenceReport",
    "FlatModel",
    "NotApplicable",
    "Transformation",
    "VariableMap",
    "check_equivalence",
    "cluster_by_equivalence",
    "to_flat",
    "to_formulation",
    "transformation",
]
