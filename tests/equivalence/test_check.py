"""check_equivalence: both directions, perturbed instances, model files, bad inputs, clustering, baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optcopilot.equivalence import (
    EquivalenceInputError,
    check_equivalence,
    cluster_by_equivalence,
    to_flat,
    transformation,
)
from optcopilot.equivalence.baselines import execution_equal, wl_equal
from optcopilot.equivalence.flat import from_arrays
from optcopilot.equivalence.matching import Relation
from optcopilot.equivalence.solving import Solution
from optcopilot.equivalence.verify import check_direction
from optcopilot.ir.model import Formulation
from optcopilot.solve.result import Termination
from tests.equivalence.eq_models import diet, production

INF = np.inf


def _apply(name: str, f: Formulation, seed: int = 0) -> Formulation:
    return transformation(name).apply(f, np.random.default_rng(seed))[0]


@pytest.mark.parametrize("name", ["rename_shuffle", "slack", "split_sum", "rescale", "digits", "valid_inequality"])
def test_equivalent_variants(name: str) -> None:
    rep = check_equivalence(_apply(name, production()), production(), use_llm=False)
    assert rep.equivalent is True, rep.evidence
    assert rep.mapping["variables"]


@pytest.mark.parametrize("name", ["drop_constraint", "feasibility", "tighten_rhs"])
def test_not_equivalent_variants(name: str) -> None:
    rep = check_equivalence(_apply(name, diet()), diet(), use_llm=False)
    assert rep.equivalent is False, rep.evidence


def test_both_directions_are_checked() -> None:
    # reference: max x + y, x + y <= 4 (many optima); candidate adds x <= 1, which keeps the optimal value
    ref = from_arrays(["x", "y"], [0, 0], [INF, INF], [False, False], "maximize", [1, 1],
                      [({0: 1, 1: 1}, -INF, 4)], ["total"])
    cand = from_arrays(["x", "y"], [0, 0], [INF, INF], [False, False], "maximize", [1, 1],
                       [({0: 1, 1: 1}, -INF, 4), ({0: 1}, -INF, 1)], ["total", "xcap"])
    rel = Relation("test", ref_expr=[{0: 1.0}, {1: 1.0}], ref_off=np.zeros(2), cand_expr=[{0: 1.0}, {1: 1.0}],
                   cand_off=np.zeros(2))
    opt_ref = Solution(Termination.OPTIMAL, np.array([4.0, 0.0]), 4.0)
    opt_cand = Solution(Termination.OPTIMAL, np.array([1.0, 3.0]), 4.0)
    forward = check_direction(rel, cand, ref, opt_cand, opt_ref, source_is_ref=False, time_limit=5)
    backward = check_direction(rel, ref, cand, opt_ref, opt_cand, source_is_ref=True, time_limit=5)
    assert forward.ok
    assert not backward.ok
    assert backward.evidence["direction"] == "reference→candidate"
    assert backward.evidence["violated"][0]["constraint"] == "xcap"


def _capacity_model(rhs_param: str) -> Formulation:
    return Formulation.model_validate({
        "name": f"cap_{rhs_param}",
        "parameters": [{"name": "cap", "value": 10}, {"name": "demand", "value": 10}, {"name": "price", "value": 3}],
        "variables": [{"name": "x"}, {"name": "y", "ub": 4}],
        "objective": {"sense": "maximize", "expression": "price*x + y"},
        "constraints": [{"name": "limit", "expression": f"x <= {rhs_param}"},
                        {"name": "both", "expression": "x + y <= cap + demand"}],
    })


def test_perturbed_instances_catch_a_coincidence() -> None:
    # `x <= cap` and `x <= demand` agree only because cap == demand on the base data
    rep = check_equivalence(_capacity_model("demand"), _capacity_model("cap"), use_llm=False)
    assert rep.equivalent is False
    assert "perturbed-data" in rep.method
    assert rep.evidence["instance"]["perturbed_parameters"] == ["cap", "demand", "price"]
    same = check_equivalence(_capacity_model("cap"), _capacity_model("cap"), use_llm=False)
    assert same.equivalent is True and same.evidence["perturbed_instances"] == 2


def _write(f: Formulation, path: Path) -> Path:
    from optcopilot.io.mps import write_model_file

    write_model_file(f, path)
    return path


def test_mps_files(tmp_path: Path) -> None:
    from optcopilot.cli.common import load_model_file

    base = _write(production(), tmp_path / "base.mps")
    slack = _write(_apply("slack", load_model_file(base)), tmp_path / "slack.mps")
    rep = check_equivalence(load_model_file(slack), load_model_file(base), use_llm=False)
    assert rep.equivalent is True, rep.evidence
    t = transformation("drop_constraint")
    ref = load_model_file(base)
    dropped, _ = t.apply(ref, np.random.default_rng(1))
    missing = set(to_flat(ref).row_names) - set(to_flat(dropped).row_names)
    rep = check_equivalence(load_model_file(_write(dropped, tmp_path / "drop.mps")), ref, use_llm=False)
    assert rep.equivalent is False
    named = {v["constraint"] for v in rep.evidence.get("violated", [])}
    assert named & missing or "objective" in rep.evidence, rep.evidence


def test_bad_inputs() -> None:
    empty = Formulation.model_validate({"objective": {"sense": "minimize", "expression": "0"}})
    with pytest.raises(EquivalenceInputError, match="no variables"):
        check_equivalence(empty, production(), use_llm=False)
    nonlinear = Formulation.model_validate({"variables": [{"name": "x", "ub": 3}],
                                            "objective": {"sense": "minimize", "expression": "x*x"}})
    with pytest.raises(EquivalenceInputError, match="nonlinear"):
        check_equivalence(nonlinear, production(), use_llm=False)
    with pytest.raises(EquivalenceInputError):
        check_equivalence("not a model", production(), use_llm=False)  # type: ignore[arg-type]


def test_sense_is_normalised() -> None:
    f = diet()
    flipped = f.model_copy(update={"objective": f.objective.model_copy(
        update={"sense": "maximize", "expression": "-(" + f.objective.expression + ")"})})
    assert check_equivalence(flipped, f, use_llm=False).equivalent is True


def test_infeasible_pair_and_status_mismatch() -> None:
    bad = from_arrays(["x"], [0], [1], [False], "minimize", [1], [({0: 1}, 2, INF)])
    good = from_arrays(["x"], [0], [1], [False], "minimize", [1], [({0: 1}, 0.5, INF)])
    assert check_equivalence(bad, bad, use_llm=False).equivalent is True
    rep = check_equivalence(bad, good, use_llm=False)
    assert rep.equivalent is False and rep.method == "status"


def test_cluster_by_equivalence() -> None:
    f = production()
    group = [f, _apply("rename_shuffle", f), _apply("drop_constraint", f), _apply("slack", f)]
    assert cluster_by_equivalence(group) == [[0, 1, 3], [2]]


def test_baselines() -> None:
    f = production()
    assert wl_equal(_apply("rename_shuffle", f), f)
    assert not wl_equal(_apply("slack", f), f)
    assert execution_equal(_apply("slack", f), f) is True
    assert execution_equal(_apply("rescale", f), f) is False
