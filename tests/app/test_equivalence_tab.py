"""The Equivalence tab: a benchmark problem's reference picked instead of uploaded; both levels and the map."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from optcopilot.app import APP_SCRIPT, logic
from optcopilot.formulate.dsl import parse_dsl

# NLP4LP item 0 written with other names and a slack: equivalent to its reference
WATSON = parse_dsl("budget = 760000\ncondo = var()\nhouse = var()\nspare = var()\nmaximize(0.5*condo + house)\n"
                   "subject_to(condo + house + spare == budget)\nsubject_to(0.8*condo - 0.2*house >= 0)\n"
                   "subject_to(house >= 20000)")


@pytest.fixture(scope="module")
def with_references() -> list[str]:
    found = logic.reference_datasets()
    if "nlp4lp" not in found:
        pytest.skip("NLP4LP is not in the shared data")
    return found


def test_logic_reads_a_benchmark_reference(with_references: list[str]) -> None:
    reference = logic.benchmark_reference("nlp4lp", "nlp4lp:0")
    report = logic.check_equivalence(WATSON, reference)
    assert report["equivalent"] is True and report["feasible"] is True and report["equivamap_convention"]
    rows = logic.mapping_rows(report["mapping"])
    assert {r["variable"] for r in rows} >= {"InvestmentCondos", "InvestmentDetachedHouses"}
    with pytest.raises(logic.AppInputError, match="no problem"):
        logic.benchmark_reference("nlp4lp", "nlp4lp:nope")


def test_pick_a_reference_in_the_tab(with_references: list[str]) -> None:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=120)
    at.run()
    at.text_area(key="model_paste").set_value(WATSON.to_json())
    at.button(key="load_pasted").click().run()
    assert not at.exception, at.exception
    at.radio(key="equiv_source").set_value("benchmark reference").run()
    at.selectbox(key="equiv_ref_ds").set_value("nlp4lp").run()
    at.selectbox(key="equiv_ref_pid").set_value("nlp4lp:0").run()
    at.button(key="equiv_run").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Equivalent") for s in at.success)
    shown = " ".join(m.value for m in at.markdown)
    assert "Feasible level (feasible sets correspond, objective kept):** equivalent" in shown
    assert "Variable map" in shown and len(at.dataframe) >= 1
