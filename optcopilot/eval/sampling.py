"""Deterministic stratified sampling of benchmark problems."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from optcopilot.eval.problems import Problem

T = TypeVar("T")


def _strata(items: Sequence[T], key: Callable[[T], Hashable]) -> dict[Hashable, list[int]]:
    """Stratum -> item indices, strata in order of first appearance."""
    groups: dict[Hashable, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(key(item), []).append(i)
    return groups


def allocate(sizes: Sequence[int], n: int) -> list[int]:
    """Proportional allocation of ``n`` over strata, >= 1 each when n >= #strata.

    Largest-remainder rounding; ties go to the earlier stratum. With fewer slots than
    strata, the largest strata (earlier first on ties) get one each.
    """
    total = sum(sizes)
    if n >= total:
        return list(sizes)
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    if n < len(sizes):
        chosen = set(order[:n])
        return [1 if i in chosen else 0 for i in range(len(sizes))]
    targets = [n * s / total for s in sizes]
    alloc = [min(s, max(1, math.floor(t))) for s, t in zip(sizes, targets, strict=True)]
    while sum(alloc) < n:
        room = [i for i in range(len(sizes)) if alloc[i] < sizes[i]]
        alloc[max(room, key=lambda i: (targets[i] - alloc[i], -i))] += 1
    while sum(alloc) > n:
        spare = [i for i in range(len(sizes)) if alloc[i] > 1]
        alloc[max(spare, key=lambda i: (alloc[i] - targets[i], -i))] -= 1
    return alloc


def stratified_sample(
    problems: Sequence[Problem],
    n: int,
    key: Callable[[Problem], Hashable] = lambda p: p.ptype,
    seed: int = 0,
) -> list[Problem]:
    """Pick ``n`` problems proportionally per stratum (>= 1 each where possible).

    Deterministic for a given ``seed`` (each stratum has its own RNG seeded by the seed
    and the stratum key), and returned in the input order.
    """
    if n <= 0:
        return []
    groups = _strata(problems, key)
    alloc = allocate([len(g) for g in groups.values()], n)
    picked: list[int] = []
    for (stratum, indices), k in zip(groups.items(), alloc, strict=True):
        rng = random.Random(f"{seed}|{stratum!r}")
        picked.extend(rng.sample(indices, k))
    return [problems[i] for i in sorted(picked)]
