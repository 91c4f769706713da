"""`optcopilot eval nlp4lp --mode reference`: records, the summary's reference section, failure reasons."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from optcopilot.cli.main import main
from optcopilot.eval.datasets import load_dataset
from optcopilot.eval.modes import mode_for
from optcopilot.eval.records import Category
from optcopilot.eval.runner import run_eval
from optcopilot.eval.store import RESULTS_FILE, read_records


@pytest.fixture(scope="module")
def nlp4lp(data_dir: Path) -> dict[str, object]:
    if not (data_dir / "nlp4lp" / "nlp4lp_full269.jsonl").is_file():
        pytest.skip("nlp4lp not in the shared data")
    return {p.id: p for p in load_dataset("nlp4lp", data_dir)}


def test_mode_is_registered_for_nlp4lp_only() -> None:
    assert mode_for("nlp4lp", "reference").name == "reference"
    with pytest.raises(ValueError, match="evaluates only nlp4lp"):
        mode_for("optibench", "reference")


def test_reference_run_records_and_summary(nlp4lp: dict, tmp_path: Path) -> None:
    dirty = copy.deepcopy(nlp4lp["nlp4lp:1"])
    dirty.id = "nlp4lp:dirty"  # no OptiMUS program under this id: its problem_info (free index j) is used
    chosen = [nlp4lp["nlp4lp:0"], nlp4lp["nlp4lp:3"], nlp4lp["nlp4lp:5"], dirty]
    summary = run_eval("nlp4lp", out_dir=tmp_path, mode="reference", problems=chosen, progress=False)
    recs = {r.id: r for r in read_records(tmp_path / RESULTS_FILE)}
    assert recs["nlp4lp:0"].reference_check["outcome"] == "reproduced"
    assert recs["nlp4lp:3"].reference_check["source"] == "program" and recs["nlp4lp:3"].category == Category.OK
    five = recs["nlp4lp:5"].reference_check  # Gurobi's 4.08e35 on an unbounded model, on ORThought's list
    assert five["outcome"] == "label_error" and five["label_error"]["note"] == "var_num"
    bad = recs["nlp4lp:dirty"]
    assert bad.category == Category.INVALID_IR and bad.reference_check["outcome"] == "import_failed"
    assert "free index 'j'" in bad.reference_check["reason"]
    ref = summary["reference_check"]
    assert ref["evaluated"] == 4 and ref["imported"] == 3 and ref["reproduced"] == 2
    assert ref["clean"] == 3 and ref["clean_reproduced"] == 2
    text = (tmp_path / "summary.md").read_text()
    assert "## Reference formulations" in text and "| nlp4lp:dirty | import_failed |" in text
    assert "| nlp4lp:5 | label_error |" in text and "corrected 4e+06" in text
    assert json.loads((tmp_path / "summary.json").read_text())["reference_check"]["outcomes"]["label_error"] == 1


def test_cli_reference_mode_needs_no_llm(nlp4lp: dict, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["eval", "nlp4lp", "--mode", "reference", "--limit", "3", "--sample", "first", "--out", str(out),
                 "--no-progress", "--llm", "scripted:/nonexistent"]) == 0
    assert "3/3 correct" in capsys.readouterr().out
    assert all(r.llm is None for r in read_records(out / RESULTS_FILE))
