"""`benchmarks/integrality_check.py`: a wrong integer answer that is right once relaxed is told apart."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from optcopilot.eval.store import append_json_line
from optcopilot.ir.model import Formulation
from tests.scripts import benchmark_script


def script() -> ModuleType:
    return benchmark_script("integrality_check")


def bakery(domain: str) -> Formulation:
    """max 20 b + 40 c, 2 b + c <= 70, 0.25 b + 2 c <= 32: 1072 continuous, 1060 with integers."""
    return Formulation.model_validate({
        "variables": [{"name": "b", "domain": domain}, {"name": "c", "domain": domain}],
        "objective": {"sense": "maximize", "expression": "20 * b + 40 * c"},
        "constraints": [{"name": "oven", "expression": "2 * b + c <= 70"},
                        {"name": "pastry", "expression": "0.25 * b + 2 * c <= 32"}],
    })


def record(pid: str, formulation: Formulation, objective: float, reference: float) -> dict[str, object]:
    return {"id": pid, "category": "wrong_value", "objective": objective, "objective_key": "objective",
            "reference": {"objective": reference}, "formulation": formulation.model_dump(mode="json")}


def test_relaxed_keeps_bounds_and_skips_continuous_models() -> None:
    module = script()
    assert module.relaxed(bakery("continuous")) is None
    relaxed = module.relaxed(Formulation.model_validate({
        "variables": [{"name": "y", "domain": "binary"}, {"name": "n", "domain": "integer", "ub": 5}],
        "objective": {"sense": "maximize", "expression": "y + n"}}))
    assert [(v.domain, v.lb, v.ub) for v in relaxed.variables] == [("continuous", 0.0, 1.0), ("continuous", 0.0, 5)]


def test_check_separates_integrality_convention_from_wrong_models(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    append_json_line(run / "results.jsonl", record("p:1", bakery("integer"), 1060.0, 1072.0))  # convention
    append_json_line(run / "results.jsonl", record("p:2", bakery("integer"), 1060.0, 500.0))  # a wrong model
    append_json_line(run / "results.jsonl", record("p:3", bakery("continuous"), 1072.0, 9.0))  # no integers
    rows = script().check(run)
    assert [(pid, round(relaxed or 0)) for pid, _, _, relaxed in rows] == [("p:1", 1072), ("p:2", 1072)]
