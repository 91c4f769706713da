"""Issue 15, class 2: inputs that used to give a wrong definitive answer with exit code 0."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from tests.reliability.cli_run import run_cli
from tests.reliability.conftest import MIPLIB, knapsack

LIMIT_S = 30.0  # every case here ends in seconds; the bound catches a hang


def test_constraint_at_least_infinity_is_bad_input_not_optimal(model_file) -> None:
    path = model_file(knapsack(constraints=[{"name": "cap", "expression": "sum(w[i]*x[i] for i in P) <= 450"},
                                            {"name": "big", "expression": "x['a'] >= inf"}]))
    run = run_cli("solve", path, timeout=LIMIT_S)  # was "optimal 900"
    assert run.code == 2 and run.one_error_line and "+inf" in run.err, run.err


@pytest.mark.parametrize("weight", ['"inf"', "Infinity"])
def test_infinite_coefficient_in_data_is_bad_input(model_file, weight: str) -> None:
    text = json.dumps(knapsack()).replace("[15, 20]", f"[{weight}, 20]")
    run = run_cli("solve", model_file(text), timeout=LIMIT_S)  # was "optimal 900", breaking 20*100 <= 450
    assert run.code == 2 and run.one_error_line and "coefficient of x[a] is inf" in run.err, run.err


def test_nan_objective_coefficient_is_bad_input(model_file) -> None:
    run = run_cli("solve", model_file(json.dumps(knapsack()).replace("[5, 9]", "[NaN, 9]")), timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "NaN" in run.err, run.err  # was "optimal, Objective: nan"


def test_nan_bounds_are_bad_input(model_file) -> None:
    text = '{"variables": [{"name": "x", "lb": NaN, "ub": NaN}], "objective": {"sense": "maximize", "expression": "x"}}'
    run = run_cli("solve", model_file(text), timeout=LIMIT_S)  # was "unbounded"
    assert run.code == 2 and run.one_error_line and "NaN" in run.err, run.err


def test_bounded_box_is_never_reported_unbounded(model_file) -> None:
    path = model_file({"variables": [{"name": "x", "ub": 2}, {"name": "y", "ub": 2}],
                       "objective": {"sense": "maximize", "expression": "(x+y+1)**64"}})
    run = run_cli("solve", path, "--json", timeout=LIMIT_S)  # SCIP says "unbounded"; the maximum is 5**64
    data = json.loads(run.out)
    assert run.code == 1 and data["status"] != "unbounded", run.out
    assert "not trusted" in data["message"]


def test_overflowing_but_bounded_objective_is_never_unbounded(model_file) -> None:
    path = model_file({"variables": [{"name": "x", "lb": 1, "ub": 2}],
                       "objective": {"sense": "maximize", "expression": "exp(exp(exp(exp(x))))"}})
    run = run_cli("solve", path, "--json", timeout=LIMIT_S)  # SCIP says "unbounded"; the box is compact
    assert run.code == 1 and json.loads(run.out)["status"] != "unbounded", run.out


def test_log_outside_its_domain_is_a_modelling_error(model_file) -> None:
    path = model_file({"variables": [{"name": "x", "lb": -10, "ub": 10}],
                       "objective": {"sense": "minimize", "expression": "log(x)"}})
    run = run_cli("solve", path, timeout=LIMIT_S)  # was "optimal 2.3026 at x=10", the maximum
    assert run.code == 2 and run.one_error_line and "log(x)" in run.err and "-10" in run.err, run.err


def test_log_with_a_constraint_keeping_it_positive_is_solved(model_file) -> None:
    path = model_file({"variables": [{"name": "x", "lb": -10, "ub": 10}],
                       "objective": {"sense": "minimize", "expression": "log(x)"},
                       "constraints": [{"name": "pos", "expression": "x >= 1"}]})
    run = run_cli("solve", path, "--json", timeout=LIMIT_S)
    assert run.code == 0 and json.loads(run.out)["objective"] == pytest.approx(0.0, abs=1e-6), run.out + run.err


@pytest.fixture()
def air05() -> Path:
    path = MIPLIB / "air05.mps.gz"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


def test_cut_gzip_stream_is_refused(tmp_path: Path, air05: Path) -> None:
    cut = tmp_path / "air05_cut.mps.gz"
    cut.write_bytes(air05.read_bytes()[:100_000])
    run = run_cli("solve", str(cut), timeout=LIMIT_S)  # was "optimal 0" (optimum 26374)
    assert run.code == 2 and run.one_error_line and "cut short" in run.err, run.err


def test_clean_gzip_ending_inside_columns_is_refused(tmp_path: Path, air05: Path) -> None:
    text = gzip.decompress(air05.read_bytes())
    cut = tmp_path / "air05_noend.mps.gz"
    start, end = text.index(b"\nCOLUMNS"), text.index(b"\nRHS")
    cut.write_bytes(gzip.compress(text[: (start + end) // 2]))  # a whole gzip of half the file
    run = run_cli("solve", str(cut), timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "ENDATA" in run.err, run.err


def test_whole_file_still_reads(tmp_path: Path, air05: Path) -> None:
    copy = tmp_path / "flugpl.mps.gz"
    shutil.copy(air05.with_name("flugpl.mps.gz"), copy)
    run = run_cli("solve", str(copy), "--json", timeout=LIMIT_S)
    assert run.code == 0 and json.loads(run.out)["objective"] == pytest.approx(1201500), run.err


def test_time_limit_nan_is_refused(model_file, tmp_path: Path) -> None:
    run = run_cli("solve", model_file(knapsack()), "--time-limit", "nan", timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "--time-limit" in run.err, run.err
    out = tmp_path / "run"
    run = run_cli("eval", "miplib-mps", "--time-limit", "nan", "--out", str(out), timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line, run.err
    assert not (out / "config.json").exists()  # it used to record NaN there
