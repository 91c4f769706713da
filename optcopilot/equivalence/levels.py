"""The feasible-level verdict of one instance, from the relations the optimal-level search produced.

Order: a definitive optimal-level `False` carries over (a feasible-level map sends optima to optima, so its
certificate rules feasible-level maps out too); two empty feasible sets are equivalent; then each proposed
relation is checked both ways (`feasible.check_relation`), the optimal-level one first. `True` needs one
relation proved in both directions; `False` needs every proposed relation refuted by a witness, or the
objective-range certificate; anything else is `None` with the reasons.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optcopilot.equivalence.certificates import point_certificate, range_certificate
from optcopilot.equivalence.feasible import check_relation
from optcopilot.equivalence.flat import FlatModel
from optcopilot.equivalence.implication import Implier
from optcopilot.equivalence.matching import Relation
from optcopilot.equivalence.solving import Solution
from optcopilot.solve.result import Termination

MAX_RELATIONS = 3


@dataclass
class LevelVerdict:
    equivalent: bool | None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def certificate(self) -> dict[str, Any] | None:
        return self.evidence.get("certificate")

    def to_dict(self) -> dict[str, Any]:
        return {"equivalent": self.equivalent, **self.evidence}


def feasible_verdict(cand: FlatModel, ref: FlatModel, sc: Solution, sr: Solution, optimal: bool | None,
                     optimal_certificate: dict[str, Any] | None, relations: Iterable[Relation],
                     samples: tuple[list[np.ndarray], list[np.ndarray]], deadline: float) -> LevelVerdict:
    if optimal is False and optimal_certificate is not None:
        return LevelVerdict(False, {"certificate": optimal_certificate,
                                    "reason": "the optimal-level certificate also rules out feasible-level maps "
                                              "(they send optima to optima)"})
    if sc.status != Termination.OPTIMAL or sr.status != Termination.OPTIMAL:
        if sc.status == sr.status == Termination.INFEASIBLE:
            return LevelVerdict(True, {"reason": "both feasible sets are empty"})
        return LevelVerdict(None, {"reason": f"statuses {sc.status.value} / {sr.status.value}: not compared"})
    impliers = (Implier(cand, deadline), Implier(ref, deadline))
    refutations: list[dict[str, Any]] = []
    open_questions: list[str] = []
    for rel in itertools.islice(relations, MAX_RELATIONS):
        if time.perf_counter() > deadline:
            open_questions.append("time limit")
            break
        out = check_relation(rel, cand, ref, impliers, samples)
        if out.status == "ok":
            return LevelVerdict(True, {"method": out.method, **out.evidence})
        if out.status == "refuted":
            refutations.append({"method": out.method, "reason": out.reason, **out.evidence})
        else:
            open_questions.append(f"{out.method}: {out.reason}")
    if refutations and not open_questions:
        return LevelVerdict(False, {"certificate": point_certificate(refutations, "feasible")})
    if time.perf_counter() < deadline:
        ranged = range_certificate(cand, ref, max(0.5, deadline - time.perf_counter()))
        if ranged is not None:
            return LevelVerdict(False, {"certificate": ranged, "refutations": refutations})
    reason = "; ".join(open_questions) if open_questions else "no map between the variables was found"
    return LevelVerdict(None, {"reason": reason, "refutations": refutations})
