"""Perturbed instances through parameters matched by their numbers (the candidate names them differently)."""

from __future__ import annotations

from optcopilot.equivalence import check_equivalence
from optcopilot.equivalence.parameters import check_on_matched_parameters, match_parameters, perturbed_pair
from optcopilot.ir.data import resolve_data
from optcopilot.ir.model import Formulation


def _model(params: dict[str, object], limit: str, total: str, index: list[str] | None = None) -> Formulation:
    return Formulation.model_validate({
        "sets": [{"name": "K", "elements": index or ["a", "b"]}],
        "parameters": [*({"name": n, "value": v} for n, v in params.items() if not isinstance(v, list)),
                       *({"name": n, "index": ["K"], "value": v} for n, v in params.items() if isinstance(v, list))],
        "variables": [{"name": "x"}, {"name": "y", "ub": 4}],
        "objective": {"sense": "maximize", "expression": "3*x + y"},
        "constraints": [{"name": "limit", "expression": f"x <= {limit}"},
                        {"name": "both", "expression": f"x + y <= {total}"}]})


REF = _model({"cap": 10, "total": 20, "w": [1.5, 2.5]}, "cap", "total")


def test_parameters_are_matched_by_their_numbers() -> None:
    cand = _model({"big": 20, "small": 10, "weights": [1.5, 2.5]}, "small", "big", index=["p", "q"])
    pairs = {(p.candidate, p.reference) for p in match_parameters(cand, REF)}
    assert pairs == {("small", "cap"), ("big", "total"), ("weights", "w")}
    pc, pr = perturbed_pair(cand, REF, match_parameters(cand, REF), seed=1)
    dc, dr = resolve_data(pc).params, resolve_data(pr).params
    assert dc["small"].scalar == dr["cap"].scalar != 10 and dc["big"].scalar == dr["total"].scalar
    assert list(dc["weights"].table.values()) == list(dr["w"].table.values()) != [1.5, 2.5]
    ambiguous = _model({"p1": 10, "p2": 10}, "p1", "p2")
    assert match_parameters(ambiguous, REF) == []  # 10 occurs twice in the candidate: no guess


def test_perturbation_catches_a_coincidence_that_names_hide() -> None:
    # x <= b - a equals x <= cap only because 20 - 10 == 10 on this data
    coincidence = _model({"a": 10, "b": 20}, "b - a", "b")
    assert check_equivalence(coincidence, REF, use_llm=False).equivalent is True  # one data set: equivalent
    rep = check_on_matched_parameters(coincidence, REF, use_llm=False, time_limit=20)
    assert rep.equivalent is False and rep.evidence["perturbed_seed"] == 1
    assert rep.evidence["matched_parameters"] == {"a": "cap", "b": "total"}
    same = check_on_matched_parameters(_model({"lim": 10, "tot": 20}, "lim", "tot"), REF, use_llm=False)
    assert same.equivalent is True and same.feasible.equivalent is True
    assert [i["optimal"] for i in same.evidence["matched_parameter_instances"]] == [True, True]
