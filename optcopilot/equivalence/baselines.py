"""Baselines run by the same harness: execution accuracy (equal optima) and a WL graph hash."""

from __future__ import annotations

import networkx as nx
import numpy as np

from optcopilot.equivalence.flat import ModelLike, to_flat
from optcopilot.equivalence.solving import optimum, same_value
from optcopilot.solve.result import Termination


def execution_equal(candidate: ModelLike, reference: ModelLike, time_limit: float = 60.0) -> bool | None:
    """Equivalent iff both optimal values agree (1e-6 rel); same non-optimal status also counts."""
    a, b = optimum(to_flat(candidate), time_limit), optimum(to_flat(reference), time_limit)
    if a.status == b.status == Termination.OPTIMAL and a.objective is not None and b.objective is not None:
        return same_value(a.objective, b.objective)
    if a.status.time_limit or b.status.time_limit:
        return None
    return a.status == b.status


def wl_hash(model: ModelLike, iterations: int = 3) -> str:
    """Weisfeiler-Lehman hash of the variable-constraint graph (labels: domain, sense, coefficients)."""
    m = to_flat(model)
    g = nx.Graph()
    for j in range(m.n):
        g.add_node(("v", j), label=f"v|{'int' if m.integer[j] else 'cont'}|{m.c[j] * m.min_sign():.6g}")
    for i in range(m.m):
        lo, hi = m.row_lo[i], m.row_hi[i]
        sign = -1.0 if np.isinf(hi) else 1.0  # `a x >= b` is written `-a x <= -b`
        kind = "eq" if lo == hi else ("le" if np.isinf(lo) or np.isinf(hi) else "range")
        rhs = -lo if sign < 0 else hi
        g.add_node(("c", i), label=f"c|{kind}|{rhs + 0.0:.6g}")
        idx, val = m.row(i)
        for j, v in zip(idx.tolist(), (sign * val).tolist(), strict=True):
            g.add_edge(("c", i), ("v", j), coef=f"{v:.6g}")
    return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", edge_attr="coef", iterations=iterations)


def wl_equal(candidate: ModelLike, reference: ModelLike) -> bool:
    return wl_hash(candidate) == wl_hash(reference)
