"""NLP4LP reference import on the real records (skipped without the shared data) and synthetic dirty ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.io.data_dir import DatasetError, resolve_data_dir
from optcopilot.io.nlp4lp import (
    ImportFailure,
    import_nlp4lp,
    import_nlp4lp_program,
    iter_nlp4lp_references,
    known_label_errors,
    orthought_programs,
)
from optcopilot.io.reference_dsl import DSLRoundTripError, reference_dsl
from optcopilot.ir.model import Formulation, ObjectiveDef, SetDef, VarDef
from optcopilot.ir.validate import parse_formulation
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination


@pytest.fixture(scope="module")
def data_dir() -> Path:
    try:
        path = resolve_data_dir(None)
    except DatasetError as exc:
        pytest.skip(f"shared benchmark data not available ({exc})")
    if not (path / "nlp4lp" / "nlp4lp_full269.jsonl").is_file():
        pytest.skip("nlp4lp/nlp4lp_full269.jsonl not in the shared data")
    return path


@pytest.fixture(scope="module")
def records(data_dir: Path) -> dict[str, dict]:
    lines = (data_dir / "nlp4lp" / "nlp4lp_full269.jsonl").read_text(encoding="utf-8").splitlines()
    return {str(r["id"]): r for r in map(json.loads, filter(None, lines))}


@pytest.fixture(scope="module")
def programs(data_dir: Path) -> dict[str, str]:
    found = orthought_programs(data_dir)
    if not found:
        pytest.skip("orthought/nlp4lp.csv not in the shared data")
    return found


def optimum(f: Formulation) -> float:
    result = solve(instantiate(parse_formulation(f)), time_limit=30)
    assert result.status == Termination.OPTIMAL, result.message
    assert result.objective is not None
    return result.objective


def test_scalar_record_maximize(records: dict[str, dict]) -> None:
    f = import_nlp4lp(records["0"])
    assert f.objective.sense == "maximize"
    assert {v.name for v in f.variables} == {"InvestmentCondos", "InvestmentDetachedHouses"}
    assert all(not v.index for v in f.variables) and not f.sets
    assert len(f.constraints) == 5  # the non-negativity snippet holds two statements
    assert optimum(f) == pytest.approx(records["0"]["answer"], rel=1e-6)


def test_indexed_record_minimize_with_add_constrs(records: dict[str, dict]) -> None:
    record = records["23"]
    f = import_nlp4lp(record)
    assert f.objective.sense == "minimize"
    assert [s.name for s in f.sets] == ["Fertilizers"] and f.sets[0].range == [0, 1]
    nonneg = f.constraints[-1]
    assert nonneg.forall == "k in Fertilizers" and nonneg.expression == "FertilizerQuantity[k] >= 0"
    assert "sum(NitrousOxidePerFertilizer[i] * FertilizerQuantity[i] for i in Fertilizers)" in f.constraints[0].expression
    assert optimum(f) == pytest.approx(record["answer"], rel=1e-6)


def test_free_index_is_rejected_with_its_location(records: dict[str, dict]) -> None:
    with pytest.raises(ImportFailure) as err:
        import_nlp4lp(records["1"])  # constraint 2 uses TotalAvailable[j] with no loop over j
    assert err.value.item_id == "1"
    assert "constraint 2" in err.value.reason and "free index 'j'" in err.value.reason


def test_hard_coded_element_name_is_rejected(records: dict[str, dict]) -> None:
    with pytest.raises(ImportFailure, match=r"constraint 2: hard-coded element name 'acid'"):
        import_nlp4lp(records["73"])


def test_program_carries_integrality_and_reproduces_the_answer(records: dict[str, dict],
                                                               programs: dict[str, str]) -> None:
    record = records["3"]
    relaxed = import_nlp4lp(record)  # problem_info says "continuous" for every variable
    exact = import_nlp4lp_program(record, programs["3"])
    assert {v.domain for v in exact.variables} == {"integer"}
    assert optimum(exact) == pytest.approx(record["answer"])  # 819 (integer)
    assert optimum(relaxed) > record["answer"] + 1  # 822.2, the LP relaxation


def test_program_with_addconstrs_conditions_and_position_tables(records: dict[str, dict],
                                                                programs: dict[str, str]) -> None:
    f = import_nlp4lp_program(records["148"], programs["148"])  # `if i != j:` inside two loops
    pairwise = f.constraints[-1]
    assert pairwise.forall == "i in VehicleTypes, j in VehicleTypes if i != j"
    assert optimum(f) == pytest.approx(records["148"]["answer"])
    g = import_nlp4lp_program(records["119"], programs["119"])  # target_indices = {"Sleep": 0, ...}
    assert "MedicinePerDose[p, 0]" in g.constraints[0].expression
    assert optimum(g) == pytest.approx(records["119"]["answer"])


def test_mismatched_shape_and_missing_data_are_rejected(records: dict[str, dict]) -> None:
    record = copy.deepcopy(records["23"])
    record["parameters"]["CostFertilizer"] = [2, 3, 4]
    with pytest.raises(ImportFailure, match="'CostFertilizer': 3 values but its shape says 2"):
        import_nlp4lp(record)
    del record["parameters"]["CostFertilizer"]
    with pytest.raises(ImportFailure, match="'CostFertilizer' is declared but has no data"):
        import_nlp4lp(record)


def test_snippets_outside_the_subset_are_rejected(records: dict[str, dict]) -> None:
    record = copy.deepcopy(records["0"])
    constraints = record["problem_info"]["constraints"]
    constraints[0]["code"]["gurobipy"] = "model.addConstr(InvestmentCondos < TotalBudget)"
    with pytest.raises(ImportFailure, match="constraint 1: strict inequality"):
        import_nlp4lp(record)
    constraints[0]["code"]["gurobipy"] = "model.addConstr(InvestmentCondos.sum() <= TotalBudget)"
    with pytest.raises(ImportFailure, match="constraint 1: method call"):
        import_nlp4lp(record)
    constraints[0]["code"]["gurobipy"] = "import os\nos.system('echo hi')"
    with pytest.raises(ImportFailure, match="constraint 1: unsupported statement"):
        import_nlp4lp(record)


def test_every_item_and_the_label_errors(data_dir: Path) -> None:
    items = list(iter_nlp4lp_references(data_dir=data_dir))
    assert len(items) == 269
    imported = [i for i in items if i.formulation is not None]
    assert len(imported) >= 260
    assert all(i.failure for i in items if i.formulation is None)
    errors = known_label_errors(data_dir)
    assert errors["5"].note == "var_num" and errors["8"].corrected == 239


def test_reference_dsl_reads_back(records: dict[str, dict], programs: dict[str, str]) -> None:
    f = import_nlp4lp_program(records["148"], programs["148"])
    text = reference_dsl(f)
    assert "NumVehicles = var(VehicleTypes, integer)" in text
    assert "forall='i in VehicleTypes, j in VehicleTypes if i != j'" in text


def test_reference_dsl_refuses_a_model_it_cannot_print() -> None:
    f = Formulation(sets=[SetDef(name="Empty", range=[0, -1])], variables=[VarDef(name="x", index=["Empty"])],
                    objective=ObjectiveDef(sense="minimize", expression="sum(x[i] for i in Empty)"))
    with pytest.raises(DSLRoundTripError, match="does not parse"):
        reference_dsl(f)


def test_iter_reads_an_explicit_file(tmp_path: Path, records: dict[str, dict]) -> None:
    dirty = copy.deepcopy(records["0"])
    dirty["id"] = "dirty"
    dirty["problem_info"]["objective"]["code"]["gurobipy"] = "model.setObjective(Profit * InvestmentCondos)"
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(records["0"]) + "\n" + json.dumps(dirty) + "\n", encoding="utf-8")
    clean, bad = iter_nlp4lp_references(path, use_programs=False)
    assert clean.formulation is not None and clean.source == "problem_info" and clean.answer == 684000.0
    assert bad.formulation is None and bad.failure is not None
    assert "objective: free name 'Profit'" in bad.failure
