"""Issue 15, class 1: tiny inputs that used to run past the time limit or eat the machine.

Each runs the real CLI and bounds its exit code, its wall time and its peak memory (baseline + 1 GiB).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.reliability.cli_run import run_cli
from tests.reliability.conftest import knapsack

SLACK_S = 8.0  # interpreter start-up and imports on a loaded 2-core machine, plus the kill grace


def test_triple_sum_returns_within_the_time_limit(model_file, memory_bound_kb: int) -> None:
    # 300 bytes, 10^12 terms: building used to hang whatever --time-limit said
    path = model_file({"sets": [{"name": n, "range": [1, 10000]} for n in "IJK"], "variables": [{"name": "x"}],
                       "objective": {"sense": "minimize", "expression": "x + sum(1 for i in I for j in J for k in K)"}})
    run = run_cli("solve", path, "--time-limit", "1")
    assert run.code == 1 and "Traceback" not in run.err, run.err
    assert "time_limit_no_solution" in run.out and "raise --time-limit" in run.out
    assert run.seconds < 1 + SLACK_S
    assert run.peak_kb < memory_bound_kb


def _ten_million(model_file) -> str:  # type: ignore[no-untyped-def]
    return model_file({"sets": [{"name": "I", "range": [1, 10**7]}],
                       "variables": [{"name": "x", "index": ["I"], "ub": 1}],
                       "objective": {"sense": "maximize", "expression": "sum(x[i] for i in I)"}})


def test_ten_million_element_range_is_refused_by_a_named_limit(model_file, memory_bound_kb: int) -> None:
    run = run_cli("solve", _ten_million(model_file), "--time-limit", "5")  # was 64 s and 6.4 GB
    assert run.code == 2 and run.one_error_line, run.err
    assert "OPTCOPILOT_MAX_SET_SIZE" in run.err
    assert run.seconds < 5 + SLACK_S and run.peak_kb < memory_bound_kb


def test_equiv_on_a_ten_million_range_is_bad_input(model_file, memory_bound_kb: int) -> None:
    path = _ten_million(model_file)
    run = run_cli("equiv", path, path)  # was MemoryError at 7.8 GB
    assert run.code == 2 and run.one_error_line and "OPTCOPILOT_MAX_SET_SIZE" in run.err, run.err
    assert run.peak_kb < memory_bound_kb


def test_power_1000_of_a_sum_is_refused_before_expansion(model_file, memory_bound_kb: int) -> None:
    path = model_file({"variables": [{"name": v, "ub": 1} for v in "xyz"],
                       "objective": {"sense": "maximize", "expression": "(x+y+z+1)**1000"}})
    run = run_cli("solve", path, "--time-limit", "5")  # SCIP used to multiply out 1.7e8 terms
    assert run.code == 2 and run.one_error_line and "OPTCOPILOT_MAX_EXPANSION" in run.err, run.err
    assert run.seconds < 5 + SLACK_S and run.peak_kb < memory_bound_kb


def test_300_rows_of_90000_terms_stop_at_the_nonzero_limit(model_file, memory_bound_kb: int) -> None:
    path = model_file({"sets": [{"name": "R", "range": [1, 300]}, {"name": "J", "range": [1, 90000]}],
                       "variables": [{"name": "x", "index": ["J"], "ub": 1}],
                       "objective": {"sense": "maximize", "expression": "sum(x[j] for j in J)"},
                       "constraints": [{"name": "c", "expression": "sum(x[j] for j in J) <= r", "forall": "r in R"}]})
    run = run_cli("solve", path, "--time-limit", "60")  # was 3.5 GB and no end
    assert run.code == 2 and run.one_error_line and "OPTCOPILOT_MAX_NONZEROS" in run.err, run.err
    assert run.seconds < 30 and run.peak_kb < memory_bound_kb


def _scripted(tmp_path: Path, dsl: str) -> str:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps([f"```python\n{dsl}\n```"] * 4), encoding="utf-8")
    return f"scripted:{script}"


def _text_problem(tmp_path: Path) -> str:
    problem = tmp_path / "problem.txt"
    problem.write_text("Choose x in [0, 1] to maximize it.\n", encoding="utf-8")
    return str(problem)


def test_llm_answer_that_doubles_an_expression_40_times_is_a_repairable_error(tmp_path: Path,
                                                                              memory_bound_kb: int) -> None:
    lines = ["x = var(lb=0, ub=1)", "a0 = x", *(f"a{i + 1} = a{i} + a{i}" for i in range(40)), "maximize(a40)"]
    run = run_cli("solve", _text_problem(tmp_path), "--llm", _scripted(tmp_path, "\n".join(lines)),
                  "--max-repairs", "1", "--time-limit", "10")  # was 3.7 GB
    assert run.code == 1 and run.one_error_line, run.err
    assert "attempt" in run.err and "more than" in run.err  # fed back to the LLM as a repair, not a crash
    assert run.seconds < 10 + SLACK_S and run.peak_kb < memory_bound_kb


def test_llm_answer_with_40_nested_loops_is_a_repairable_error(tmp_path: Path, memory_bound_kb: int) -> None:
    lines = ["S = set(1, 2)", "x = var(S, ub=1)", "maximize(sum(x[i] for i in S))"]
    lines += [f"{'    ' * k}for i{k} in S:" for k in range(40)] + [f"{'    ' * 40}subject_to(x[i0] <= 1)"]
    run = run_cli("solve", _text_problem(tmp_path), "--llm", _scripted(tmp_path, "\n".join(lines)),
                  "--max-repairs", "0", "--time-limit", "10")  # was 6.7 GB
    assert run.code == 1 and run.one_error_line and "nest deeper" in run.err, run.err
    assert run.peak_kb < memory_bound_kb


def test_the_same_nesting_written_as_ir_stops_at_the_row_limit_in_time(model_file, memory_bound_kb: int) -> None:
    forall = ", ".join(f"i{k} in S" for k in range(40))
    path = model_file(knapsack(sets=[{"name": "P", "elements": ["a", "b"]}, {"name": "S", "elements": [1, 2]}],
                               constraints=[{"name": "c", "expression": "x['a'] <= 100", "forall": forall}]))
    run = run_cli("solve", path, "--time-limit", "5")
    assert run.code in (1, 2) and run.one_error_line, run.err  # rows limit (2) or the clock (1), whichever first
    assert "OPTCOPILOT_MAX_ROWS" in run.err or "time limit" in run.err
    assert run.seconds < 5 + SLACK_S and run.peak_kb < memory_bound_kb
