"""Equivalence grading in eval with scripted LLM answers (never the embedded model): NLP4LP references."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from optcopilot.eval.datasets import load_dataset
from optcopilot.eval.equivalence_grading import grade_equivalence
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import EvalRecord
from optcopilot.eval.report import compare_runs
from optcopilot.eval.runner import run_eval
from optcopilot.eval.store import RESULTS_FILE, read_records
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.llm import ScriptedBackend

# NLP4LP item 0 (Mrs. Watson): max 0.5 c + d, c + d <= 760000, c >= 0.2 (c + d), d >= 20000; optimum 684000
ANSWERS = {
    # equivalent but written differently: other names, a scaled constraint with a slack, the 20 % rule rearranged
    "same": "budget = 760000\ncondo = var(desc='dollars in condos')\nhouse = var(desc='dollars in detached houses')\n"
            "spare = var()\nmaximize(0.5*condo + house)\nsubject_to(2*condo + 2*house + 2*spare == 2*budget)\n"
            "subject_to(0.8*condo - 0.2*house >= 0)\nsubject_to(house >= 20000)",
    # not equivalent: the 20 % rule is missing (optimum 760000)
    "dropped": "budget = 760000\ncondo = var()\nhouse = var()\nmaximize(0.5*condo + house)\n"
               "subject_to(condo + house <= budget)\nsubject_to(house >= 20000)",
    # right value, wrong model: the optimal condo amount hard-coded instead of the 20 % rule
    "lucky": "budget = 760000\ncondo = var()\nhouse = var()\nmaximize(0.5*condo + house)\n"
             "subject_to(condo + house <= budget)\nsubject_to(condo >= 152000)\nsubject_to(house >= 20000)",
}


@pytest.fixture(scope="module")
def watson(data_dir: Path) -> Problem:
    if not (data_dir / "nlp4lp" / "nlp4lp_full269.jsonl").is_file():
        pytest.skip("nlp4lp not in the shared data")
    return next(p for p in load_dataset("nlp4lp", data_dir) if p.id == "nlp4lp:0")


def _variant(problem: Problem, tag: str) -> Problem:
    out = copy.deepcopy(problem)
    out.id = f"nlp4lp:0#{tag}"  # no OptiMUS program under this id: the problem_info reference is used
    out.text = f"{problem.text} [{tag}]"
    return out


def _answer(messages: list, schema: object) -> str:
    text = " ".join(str(m.get("content", "")) for m in messages)
    tag = next(t for t in ANSWERS if f"[{t}]" in text)
    return f"```python\n{ANSWERS[tag]}\n```"


def test_grading_one_record(watson: Problem) -> None:
    rec = EvalRecord.for_problem(watson, dataset="nlp4lp", mode="pipeline", llm="scripted")
    grade_equivalence(rec, watson, parse_dsl(ANSWERS["same"]), time_limit=30)
    eq = rec.equivalence
    assert eq["equivalent"] is True and eq["feasible"] is True and eq["equivamap_convention"] is True
    assert eq["reference"]["source"] == "program"
    assert eq["evidence"]["matched_parameters"] == {"budget": "TotalBudget"}
    assert [i["optimal"] for i in eq["evidence"]["matched_parameter_instances"]] == [True, True]
    assert eq["map"]["variables"]
    lucky = EvalRecord.for_problem(watson, dataset="nlp4lp", mode="pipeline", llm="scripted")
    grade_equivalence(lucky, watson, parse_dsl(ANSWERS["lucky"]), time_limit=30)
    assert lucky.equivalence["equivalent"] is False and lucky.equivalence["certificate"]["class"]
    assert lucky.equivalence["feasible"] is False and lucky.equivalence["feasible_certificate"]["kind"]
    none = EvalRecord.for_problem(watson, dataset="nlp4lp", mode="pipeline", llm="scripted")
    grade_equivalence(none, watson, None, time_limit=30)
    assert none.equivalence["equivalent"] is None and none.equivalence["reason"] == "no candidate formulation"


def test_run_summary_shows_both_accuracies_and_the_disagreements(watson: Problem, tmp_path: Path) -> None:
    problems = [_variant(watson, t) for t in ANSWERS]
    summary = run_eval("nlp4lp", out_dir=tmp_path, problems=problems, backend=ScriptedBackend(_answer),
                       progress=False)
    recs = {r.id: r for r in read_records(tmp_path / RESULTS_FILE)}
    assert recs["nlp4lp:0#same"].equivalence["equivalent"] is True
    assert recs["nlp4lp:0#dropped"].equivalence["certificate"]["kind"] == "optimal value"
    assert recs["nlp4lp:0#lucky"].equivalence["equivalent"] is False
    eq = summary["equivalence"]
    assert eq["n"] == 3 and eq["value_correct"] == 2 and eq["optimal"] == {"true": 1, "false": 2, "none": 0}
    assert eq["cells"]["right value / not equivalent"] == ["nlp4lp:0#lucky"]
    assert eq["cells"]["wrong value / not equivalent"] == ["nlp4lp:0#dropped"]
    text = (tmp_path / "summary.md").read_text()
    assert "| value accuracy (the run's rule) | 2/3 = 66.7 % |" in text
    assert "| right value | 1 | 1 | 0 |" in text and "| wrong value | 0 | 1 | 0 |" in text
    assert "Right value but not equivalent (lucky, or an under-constrained model): nlp4lp:0#lucky" in text
    table = compare_runs([tmp_path, tmp_path])
    assert "| equivalent (optimal / feasible level) | 33.3% / 33.3% | 33.3% / 33.3% |" in table
    assert json.loads((tmp_path / "summary.json").read_text())["equivalence"]["certificates"]["optimal value"] == 1


def test_miplib_nl_uses_the_mps_reference(data_dir: Path) -> None:
    from optcopilot.io.mps import read_model_file
    from optcopilot.solve.result import Termination

    problems = {p.id: p for p in load_dataset("miplib-nl", data_dir)}
    flugpl = problems.get("miplib-nl:flugpl")
    if flugpl is None:
        pytest.skip("MIPLIB-NL flugpl not in the shared data")
    from optcopilot.eval.equivalence_grading import miplib_mps_path

    path = miplib_mps_path(flugpl)
    assert path is not None and path.name == "flugpl.mps.gz"
    rec = EvalRecord.for_problem(flugpl, dataset="miplib-nl", mode="pipeline", llm="scripted")
    grade_equivalence(rec, flugpl, read_model_file(path), time_limit=60)
    assert rec.equivalence["equivalent"] is True and rec.equivalence["reference"]["source"] == "miplib-mps"
    wrong = EvalRecord.for_problem(flugpl, dataset="miplib-nl", mode="pipeline", llm="scripted")
    wrong.status, wrong.objective = Termination.OPTIMAL, 1.0
    grade_equivalence(wrong, flugpl, read_model_file(path), time_limit=60)
    cert = wrong.equivalence["certificate"]
    assert wrong.equivalence["equivalent"] is False and cert["reference_optimum_source"].startswith("MIPLIB .solu")


def test_a_failing_check_leaves_the_value_grading(watson: Problem, monkeypatch) -> None:
    import optcopilot.eval.equivalence_grading as grading

    def broken(problem: Problem) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(grading, "reference_for", broken)
    rec = EvalRecord.for_problem(watson, dataset="nlp4lp", mode="pipeline", llm="scripted")
    grade_equivalence(rec, watson, parse_dsl(ANSWERS["same"]), time_limit=30)
    assert rec.equivalence["equivalent"] is None and "disk on fire" in rec.equivalence["reason"]
