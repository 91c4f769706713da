"""Equivalence of two formulations at two levels: find a variable map (structure first, LLM as fallback),
verify it (optimal level: optima to optima; feasible level: constraint by constraint), or certify that no
map of a stated class exists.

See `check_equivalence`, `cluster_by_equivalence`, the transformations in `catalog`, and the baselines.
"""

from optcopilot.equivalence.catalog import TRANSFORMATIONS, transformation
from optcopilot.equivalence.check import EquivalenceReport, check_equivalence, cluster_by_equivalence
from optcopilot.equivalence.flat import EquivalenceInputError, FlatModel, to_flat, to_formulation
from optcopilot.equivalence.levels import LevelVerdict
from optcopilot.equivalence.transforms import NotApplicable, Transformation
from optcopilot.equivalence.varmap import VariableMap

__all__ = [
    "TRANSFORMATIONS",
    "EquivalenceInputError",
    "EquivalenceReport",
    "FlatModel",
    "LevelVerdict",
    "NotApplicable",
    "Transformation",
    "VariableMap",
    "check_equivalence",
    "cluster_by_equivalence",
    "to_flat",
    "to_formulation",
    "transformation",
]
