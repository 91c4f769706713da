"""stratified_sample: deterministic, proportional, >= 1 per stratum, stable order."""

from __future__ import annotations

from collections import Counter

import pytest

from optcopilot.eval.problems import Problem
from optcopilot.eval.sampling import allocate, stratified_sample


def make(counts: dict[str, int]) -> list[Problem]:
    out, i = [], 0
    for ptype, n in counts.items():
        for _ in range(n):
            out.append(Problem(id=f"p:{i}", text="q", answers={"objective": 1.0}, ptype=ptype))
            i += 1
    # interleave so input order is not grouped by stratum
    return sorted(out, key=lambda p: (int(p.id[2:]) * 7919) % 1000)


OPTIBENCH_LIKE = {"linear-notable": 342, "nonlinear-notable": 133, "linear-table": 80, "nonlinear-table": 50}


def test_deterministic_and_seed_dependent() -> None:
    problems = make(OPTIBENCH_LIKE)
    a = stratified_sample(problems, 40, seed=0)
    assert [p.id for p in a] == [p.id for p in stratified_sample(problems, 40, seed=0)]
    assert [p.id for p in a] != [p.id for p in stratified_sample(problems, 40, seed=1)]


def test_proportional_and_at_least_one() -> None:
    problems = make({**OPTIBENCH_LIKE, "rare": 1})
    sample = stratified_sample(problems, 40)
    counts = Counter(p.ptype for p in sample)
    assert len(sample) == 40
    assert counts["rare"] == 1
    assert counts == {
        "linear-notable": 22,
        "nonlinear-notable": 9,
        "linear-table": 5,
        "nonlinear-table": 3,
        "rare": 1,
    }


def test_stable_input_order() -> None:
    problems = make(OPTIBENCH_LIKE)
    sample = stratified_sample(problems, 25)
    index = {p.id: i for i, p in enumerate(problems)}
    assert [index[p.id] for p in sample] == sorted(index[p.id] for p in sample)


def test_custom_key_and_edges() -> None:
    problems = make({"a": 3, "b": 2})
    assert stratified_sample(problems, 0) == []
    assert len(stratified_sample(problems, 99)) == 5
    one = stratified_sample(problems, 1)
    assert [p.ptype for p in one] == ["a"]  # fewer slots than strata: largest first
    by_id = stratified_sample(problems, 2, key=lambda p: p.id)
    assert len(by_id) == 2


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ([342, 133, 80, 50], 20, [11, 4, 3, 2]),
        ([10, 1, 1], 3, [1, 1, 1]),
        ([10, 1, 1], 2, [1, 1, 0]),
        ([5, 5], 10, [5, 5]),
        ([1, 1, 98], 10, [1, 1, 8]),
    ],
)
def test_allocate(sizes: list[int], n: int, expected: list[int]) -> None:
    alloc = allocate(sizes, n)
    assert alloc == expected and sum(alloc) == min(n, sum(sizes))
