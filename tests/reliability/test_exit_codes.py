"""Issue 15, class 3 and 5: bad input and bad arguments exit 2 with one line (not 1); writing failures keep
the answer; names ending in a newline never reach an emitted script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optcopilot.compile.codegen_common import CodegenError, check_identifier
from tests.reliability.cli_run import run_cli
from tests.reliability.conftest import knapsack

LIMIT_S = 30.0
DIGITS_400 = "1" * 400


def test_deeply_nested_json_is_bad_input(model_file) -> None:
    run = run_cli("solve", model_file("[" * 100_000 + "]" * 100_000), timeout=LIMIT_S)  # was RecursionError, 1
    assert run.code == 2 and run.one_error_line and "nests too deeply" in run.err, run.err


@pytest.mark.parametrize("where", ["expression", "forall", "data"])
def test_400_digit_integer_is_bad_input_with_a_location(model_file, where: str) -> None:
    model = knapsack()
    if where == "expression":
        model["objective"]["expression"] = f"sum(p[i]*x[i] for i in P) * {DIGITS_400}"
    elif where == "forall":
        model["constraints"].append({"name": "c", "expression": "x[i] <= 5", "forall": f"i in P if 1 < {DIGITS_400}"})
    else:
        model["parameters"][0]["value"] = [int(DIGITS_400), 20]
    run = run_cli("solve", model_file(model), timeout=LIMIT_S)  # was OverflowError, exit 1
    assert run.code == 2 and run.one_error_line and "400 digits" in run.err, run.err
    assert {"expression": "objective", "forall": "constraint 'c'", "data": "parameter 'w'"}[where] in run.err


def test_nan_right_hand_side_is_bad_input(model_file) -> None:
    model = knapsack(constraints=[{"name": "cap", "expression": "sum(w[i]*x[i] for i in P) <= b"}])
    model["parameters"].append({"name": "b", "value": float("nan")})
    run = run_cli("solve", model_file(json.dumps(model)), timeout=LIMIT_S)  # was a zip() ValueError, exit 1
    assert run.code == 2 and run.one_error_line and "NaN" in run.err, run.err


def test_complex_result_in_data_is_bad_input(model_file) -> None:
    model = knapsack(constraints=[{"name": "cap", "expression": "sum(w[i]*x[i] for i in P) <= b**0.5"}])
    model["parameters"].append({"name": "b", "value": -8})
    run = run_cli("solve", model_file(model), timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "not a real number" in run.err, run.err


def test_complex_result_in_dsl_data_is_refused() -> None:
    from optcopilot.formulate.dsl import DSLError, parse_dsl

    with pytest.raises(DSLError, match="finite number"):
        parse_dsl("S = set(1)\nw = param([(-8)**0.5], S)\nx = var(S)\nmaximize(sum(w[s]*x[s] for s in S))")


def _problem(tmp_path: Path, text: str = "Maximize x with x at most 3.\n") -> str:
    path = tmp_path / "problem.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_missing_local_model_file_is_bad_argument(tmp_path: Path) -> None:
    run = run_cli("solve", _problem(tmp_path), "--llm", "local:/nonexistent.gguf", timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "/nonexistent.gguf" in run.err, run.err


def test_unknown_pyomo_solver_is_bad_argument(model_file) -> None:
    run = run_cli("solve", model_file(knapsack()), "--solver", "pyomo:nonexistent", timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "pyomo:nonexistent" in run.err, run.err


@pytest.mark.parametrize("target", ["existing-file", "/proc/optcopilot-no-such-dir"])
def test_unwritable_out_exits_2_and_still_prints_the_answer(model_file, tmp_path: Path, target: str) -> None:
    out = tmp_path / target if not target.startswith("/") else Path(target)
    if not target.startswith("/"):
        out.write_text("taken", encoding="utf-8")
    run = run_cli("solve", model_file(knapsack()), "--emit", "ir", "--out", str(out), "--json", timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "cannot write" in run.err, run.err
    answer = json.loads(run.out)
    assert answer["status"] == "optimal" and answer["objective"] == pytest.approx(202.5)


def test_problem_larger_than_the_context_is_refused_before_loading_the_model(tmp_path: Path) -> None:
    problem = _problem(tmp_path, "a factory makes chairs and tables. " * 28_000)  # just under the 1 MB cap
    run = run_cli("solve", problem, timeout=LIMIT_S)  # default --llm local: the embedded model is never loaded
    assert run.code == 2 and run.one_error_line and "context" in run.err, run.err
    assert run.seconds < 15 and run.peak_kb < 400 * 1024  # the model alone would be ~1 GB


def test_name_ending_in_a_newline_is_refused(model_file) -> None:
    model = knapsack(variables=[{"name": "x\n", "index": ["P"], "ub": 100}])
    run = run_cli("solve", model_file(model), "--emit", "pyomo", timeout=LIMIT_S)
    assert run.code == 2 and run.one_error_line and "identifier" in run.err, run.err
    with pytest.raises(CodegenError):
        check_identifier("x\n")
