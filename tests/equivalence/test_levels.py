"""Two verdict levels with evidence: feasible-level proofs, certificates of non-equivalence and their classes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optcopilot.cli.main import main
from optcopilot.equivalence import check_equivalence, to_flat, transformation
from optcopilot.equivalence.flat import from_arrays
from optcopilot.equivalence.implication import Implier
from optcopilot.equivalence.verify import check_point
from optcopilot.ir.model import Formulation
from tests.equivalence.eq_models import diet, production

INF = np.inf


def _apply(name: str, f: Formulation, seed: int = 0) -> Formulation:
    return transformation(name).apply(f, np.random.default_rng(seed))[0]


@pytest.mark.parametrize("name", ["rename_shuffle", "slack", "split_free", "split_sum", "rescale",
                                  "objective_variable", "valid_inequality", "digits", "base2"])
def test_reformulations_are_feasible_equivalent(name: str) -> None:
    rep = check_equivalence(_apply(name, production()), production(), use_llm=False)
    assert rep.equivalent is True and rep.feasible.equivalent is True, rep.feasible.evidence
    assert rep.feasible.evidence["proved_by"]
    factor = rep.feasible.evidence["objective_factor"]
    assert factor > 0 and (name == "rescale" or factor == pytest.approx(1.0))


def test_objective_cut_is_optimal_but_not_feasible_equivalent() -> None:
    ref = production()
    cand = _apply("objective_cut", ref)
    rep = check_equivalence(cand, ref, use_llm=False)
    assert rep.equivalent is True and rep.equivamap_convention
    assert rep.feasible.equivalent is False
    cert = rep.feasible.certificate
    assert cert["kind"] == "point" and "structural" in cert["class"]
    witness = cert["refutations"][0]
    assert witness["direction"] == "reference→candidate" and "objective_cut" in witness["fails"]
    point = witness["point_in_source"]  # feasible in the reference, cut off in the candidate
    flat = to_flat(ref)
    x = np.array([point.get(n, 0.0) for n in flat.names])
    assert check_point(flat, x, flat.objective_value(x)).ok


@pytest.mark.parametrize("name", ["drop_constraint", "tighten_rhs", "change_coefficient", "change_objective",
                                  "cut_optimum"])
def test_meaning_changes_get_a_value_certificate(name: str) -> None:
    rep = check_equivalence(_apply(name, diet()), diet(), use_llm=False)
    assert rep.equivalent is False and rep.feasible.equivalent is False
    cert = rep.certificate
    assert cert["kind"] == "optimal value" and "objective value" in cert["class"]
    assert cert["candidate_optimum"] != pytest.approx(cert["reference_optimum"])
    assert rep.feasible.certificate == cert


def test_equal_optima_but_different_feasible_sets_after_renaming() -> None:
    # the feasibility version keeps the optimal value; renamed, names give no map: the objective range differs
    ref = production()
    cand = _apply("rename_shuffle", _apply("feasibility", ref), seed=5)
    rep = check_equivalence(cand, ref, use_llm=False)
    assert rep.equivalent is not True and rep.feasible.equivalent is False
    assert rep.feasible.certificate["kind"] in ("objective range", "point")


def test_status_certificate() -> None:
    bad = from_arrays(["x"], [0], [1], [False], "minimize", [1], [({0: 1}, 2, INF)])
    good = from_arrays(["x"], [0], [1], [False], "minimize", [1], [({0: 1}, 0.5, INF)])
    rep = check_equivalence(bad, good, use_llm=False)
    assert rep.equivalent is False and rep.certificate["kind"] == "status"
    assert rep.certificate["class"] == "any map between the two feasible sets"
    both = check_equivalence(bad, bad, use_llm=False)
    assert both.equivalent is True and both.feasible.equivalent is True


def test_undecided_only_without_map_and_certificate() -> None:
    # x + y <= 3, x <= 2 vs. a complemented copy the structural search cannot pair; equal optima
    ref = from_arrays(["x", "y"], [0, 0], [2, INF], [False, False], "maximize", [2, 1], [({0: 1, 1: 1}, -INF, 3)])
    cand = from_arrays(["w", "v"], [1, 0], [3, INF], [False, False], "maximize", [-2, 1],
                       [({0: -1, 1: 1}, -INF, 0)], c0=6.0)
    rep = check_equivalence(cand, ref, use_llm=False)
    assert rep.equivalent is None and rep.certificate is None
    assert not rep.equivamap_convention
    assert rep.to_dict()["levels"]["optimal"]["equivalent"] is None


def test_implier_tiers_and_witnesses() -> None:
    # 2x + 2y <= 3 over integers x, y >= 0 (and x <= 5): x + y <= 1 holds only over the integers
    m = from_arrays(["x", "y"], [0, 0], [5, INF], [True, True], "maximize", [1, 1], [({0: 2, 1: 2}, -INF, 3)])
    imp = Implier(m, deadline=1e18)
    assert imp.holds({0: 1.0}, -INF, 5).how == "bounds"
    assert imp.holds({0: 1.0, 1: 1.0}, -INF, 1.5).how == "row+bounds"
    assert imp.holds({0: 1.0, 1: 1.0}, -INF, 1).how == "mip"
    out = imp.holds({0: 1.0, 1: -1.0}, -INF, 0)  # fails at x = 1, y = 0
    assert out.holds is False and out.point is not None
    assert out.point[0] - out.point[1] > 0 and 2 * out.point.sum() <= 3 + 1e-9
    lp = from_arrays(["x", "y"], [0, 0], [INF, INF], [False, False], "maximize", [1, 1],
                     [({0: 1, 1: 1}, -INF, 4), ({0: 1, 1: -1}, -INF, 1)])
    imp = Implier(lp, deadline=1e18)
    assert imp.holds({0: 2.0}, -INF, 5).how == "lp"  # x <= 2.5 needs both rows
    unbounded = imp.holds({1: 1.0}, -INF, 3)
    assert unbounded.holds is False and unbounded.point[1] > 3


def test_report_and_cli_show_both_levels(tmp_path, capsys) -> None:
    from optcopilot.io.mps import write_model_file

    ref = production()
    write_model_file(ref, tmp_path / "ref.mps")
    write_model_file(_apply("objective_cut", ref), tmp_path / "cut.mps")
    data = check_equivalence(_apply("objective_cut", ref), ref, use_llm=False).to_dict()
    assert data["levels"]["optimal"]["equivalent"] is True and data["levels"]["feasible"]["equivalent"] is False
    assert data["equivamap_convention"] is True
    assert main(["equiv", str(tmp_path / "cut.mps"), str(tmp_path / "ref.mps"), "--no-llm", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["levels"]["feasible"]["certificate"]["kind"] == "point"
    assert main(["equiv", str(tmp_path / "cut.mps"), str(tmp_path / "ref.mps"), "--no-llm"]) == 0
    out = capsys.readouterr().out
    assert "optimal level" in out and "feasible level" in out and "rules out" in out
