"""Alternative optima: the reference's values fixed in our model, solved, compared on the objective."""

from __future__ import annotations

from pathlib import Path

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.eval import runner
from optcopilot.eval.alternatives import fix_at, objective_matches, reference_is_alternative_optimum
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category
from optcopilot.eval.store import read_records
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.llm import ScriptedBackend
from optcopilot.solve.api import solve

# ferry tickets: profit 50 per ticket of either kind, so every split with V >= 10, P >= 5V, V + P = 100 is optimal
FERRY = ("V = var(integer, desc='vehicle tickets')\nP = var(integer, desc='passenger tickets')\n"
         "maximize(50*V + 50*P)\nsubject_to(V + P <= 100)\nsubject_to(V >= 10)\nsubject_to(P >= 5*V)")
MAPPING = {"vehicle tickets sold": "V", "passenger tickets sold": "P", "Total profit": "<objective>"}


def test_objective_matches() -> None:
    assert objective_matches(5000.0, 5000.00005) and objective_matches(1e9, 1e9 + 100)
    assert not objective_matches(5000.0, 5001.0) and not objective_matches(None, 1.0)


def test_other_optimum_verified_and_refuted() -> None:
    f = parse_dsl(FERRY)
    ours = solve(f)
    assert ours.objective == pytest.approx(5000.0)
    ref = {"vehicle tickets sold": 16.0, "passenger tickets sold": 84.0, "Total profit": 5000.0}
    assert reference_is_alternative_optimum(f, MAPPING, ref, ours.objective) is True
    worse = {**ref, "passenger tickets sold": 80.0}  # feasible but 4800 < 5000
    assert reference_is_alternative_optimum(f, MAPPING, worse, ours.objective) is False
    infeasible = {**ref, "vehicle tickets sold": 50.0, "passenger tickets sold": 50.0}  # breaks P >= 5V
    assert reference_is_alternative_optimum(f, MAPPING, infeasible, ours.objective) is False
    fractional = {**ref, "vehicle tickets sold": 16.5}  # V is integer in our model
    assert reference_is_alternative_optimum(f, MAPPING, fractional, ours.objective) is False
    assert reference_is_alternative_optimum(f, {"Total profit": "<objective>"}, ref, ours.objective) is None


def test_fix_at_respects_bounds_and_names() -> None:
    inst = instantiate(parse_dsl("x = var(lb=0, ub=4)\ny = var(integer)\nmaximize(x + y)\nsubject_to(x + y <= 9)"))
    fixed = fix_at(inst, {"x": 2.0, "y": 3.0})
    assert fixed is not None and fixed.lb.tolist() == pytest.approx([2.0 - 1e-4, 3.0])
    assert inst.lb.tolist() == [0.0, 0.0]  # the original is untouched
    assert fix_at(inst, {"x": 7.0}) is None and fix_at(inst, {"z": 1.0}) is None


def test_runner_marks_the_record_and_the_report_explains(tmp_path: Path) -> None:
    ours = solve(parse_dsl(FERRY)).variables["V"]
    v = 16.0 if round(ours) != 16 else 10.0  # a reference optimum other than the one the solver returns
    problem = Problem(id="ferry:1", text="Ferry tickets ...", ptype="linear-notable", source="t",
                      answers={"The number of vehicle tickets sold": v,
                               "The number of passenger tickets sold": 100.0 - v, "Total profit": 5000.0},
                      objective_key="Total profit")
    backend = ScriptedBackend(lambda messages, schema: f"```python\n{FERRY}\n```")
    summary = runner.run_eval("t", out_dir=tmp_path, problems=[problem], backend=backend, progress=False,
                              rule="optibench")
    rec = read_records(tmp_path / "results.jsonl")[0]
    assert rec.category == Category.WRONG_VALUE  # the OptiBench rule is unchanged ...
    assert rec.objective == pytest.approx(5000.0)
    assert rec.verdict is not None and rec.verdict.alternative_checked
    assert rec.verdict.alternative_optimum is True  # ... but the record says why it is "wrong"
    assert summary["alternative_optima"] == {"right_objective_other_values": 1, "verified": 1, "refuted": 0}
    assert "In 1 of them the reference's values are optimal in our model too" in (tmp_path / "summary.md").read_text()
