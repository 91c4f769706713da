"""The one status vocabulary: `Termination`, and status words from outside converted into it."""

from __future__ import annotations

import pytest

from optcopilot.solve.result import Termination


@pytest.mark.parametrize(("word", "status"), [
    ("optimal", Termination.OPTIMAL), ("Optimal", Termination.OPTIMAL), ("solved", Termination.OPTIMAL),
    ("Locally Optimal", Termination.LOCALLY_OPTIMAL), ("INFEASIBLE", Termination.INFEASIBLE),
    ("No Best Solution", Termination.INFEASIBLE), ("infeasible-or-unbounded", Termination.INFEASIBLE_OR_UNBOUNDED),
    ("unbounded", Termination.UNBOUNDED), ("time limit", Termination.TIME_LIMIT_NO_SOLUTION),
    ("time_limit_feasible", Termination.TIME_LIMIT_FEASIBLE), ("error", Termination.ERROR),
    ("no_answer", None), ("", None), (None, None), ("banana", None),
])
def test_from_text(word: str | None, status: Termination | None) -> None:
    assert Termination.from_text(word) == status


def test_groups() -> None:
    assert {t for t in Termination if t.optimal} == {Termination.OPTIMAL, Termination.LOCALLY_OPTIMAL}
    assert {t for t in Termination if t.has_solution} == {Termination.OPTIMAL, Termination.LOCALLY_OPTIMAL,
                                                          Termination.TIME_LIMIT_FEASIBLE}
    assert not Termination.LOCALLY_OPTIMAL.definitive  # a local optimum proves nothing (exit 1 in the CLI)
    assert {t for t in Termination if t.infeasible} == {Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED}
    assert {t for t in Termination if t.time_limit} == {Termination.TIME_LIMIT_FEASIBLE,
                                                        Termination.TIME_LIMIT_NO_SOLUTION}
