"""Emitted OR-Tools scripts run standalone and reproduce the in-memory HiGHS answer; refusals; safety."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from optcopilot.compile.algebra import evaluate
from optcopilot.compile.codegen_common import CodegenError
from optcopilot.compile.codegen_ortools import (
    OrToolsCodegenError,
    emit_ortools,
    ortools_backend,
)
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.compile.to_ortools import ortools_loaded
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from tests.problems import BY_NAME, PROBLEMS


def _f(spec: dict[str, Any]) -> Formulation:
    return Formulation.model_validate(spec)


NETWORK_SETS = [
    {"name": "N", "range": [1, 4]},
    {"name": "ARCS", "elements": [[1, 2], [1, 3], [2, 3], [3, 4], [2, 4]]},
    {"name": "OUT", "index": ["N"], "members": {"1": [2, 3], "2": [3, 4], "3": [4]}},
]
NETWORK_CONSTRAINTS = [
    {"name": "balance", "forall": "n in N", "expression": "sum(flow[i, j] for (i, j) in ARCS if i == n) "
        "- sum(flow[i, n] for i in N if (i, n) in ARCS) == supply[n]"},
    {"name": "open", "forall": "(i, j) in ARCS", "expression": "flow[i, j] <= 10 * y[i]"},
    {"name": "outs", "forall": "n in N if n <= 2", "expression": "sum(flow[n, m] for m in OUT[n]) >= 1"},
    {"name": "out_cap", "forall": "n in N", "expression": "sum(flow[n, m] for m in OUT[n]) <= 10"},
    {"name": "few", "expression": "1 <= sum(y[n] for n in range(1, len(N) + 1)) <= 3"},
    {"name": "z_range", "expression": "3 >= z >= -1"},
    {"name": "z_strict", "expression": "z < 2"},
]

# CP-friendly: tuple sets and targets, indexed sets, defaults, ranges, conditions, renamed symbols
CP_NETWORK = _f({
    "name": "cp network",
    "sets": [*NETWORK_SETS, {"name": "sum_", "elements": ["p", "q"]}],
    "parameters": [
        {"name": "cap", "index": ["ARCS"], "value": {"1,2": 4, "1,3": 2}, "default": 3},
        {"name": "model", "value": 2},
        {"name": "lo", "index": ["sum_"], "value": [1, 0]},
        {"name": "hi", "index": ["sum_"], "value": [3.5, 2]},
        {"name": "supply", "index": ["N"], "value": [5, 0, 0, -5]},
    ],
    "variables": [
        {"name": "flow", "index": ["ARCS"], "domain": "integer", "ub": "cap"},
        {"name": "y", "index": ["N"], "domain": "binary"},
        {"name": "z", "domain": "integer", "lb": -3, "ub": 7},
        {"name": "u", "index": ["sum_"], "domain": "integer", "lb": "lo", "ub": "hi"},
        {"name": "b", "index": ["sum_"], "domain": "binary", "ub": "lo"},
    ],
    "objective": {"sense": "minimize", "expression": "sum(flow[a] * model for a in ARCS) "
                  "+ sum((2 if n > 2 else 1) * y[n] for n in N) - z - sum(u[s] + 2 * b[s] for s in sum_) "
                  "+ len(N)"},
    "constraints": [*NETWORK_CONSTRAINTS,
                    {"name": "pair", "forall": "s in sum_", "expression": "u[s] + b[s] <= 3"}],
})

# The same network with continuous flows, fractional data and a division: a MathOpt (SCIP) script
MIXED_NETWORK = _f({
    "name": "mixed 'network'\n\"\"\" with quotes",
    "description": "line one\nline two",
    "sets": [*NETWORK_SETS, {"name": "list", "elements": ["a'b", "c d"]}],
    "parameters": [
        {"name": "cap", "index": ["ARCS"], "value": {"1,2": 4, "1,3": 2.5}, "default": 3},
        {"name": "json", "value": 2},
        {"name": "w", "index": ["list"], "value": [1.5, 2]},
        {"name": "supply", "index": ["N"], "value": [5, 0, 0, -5]},
    ],
    "variables": [
        {"name": "flow", "index": ["ARCS"], "ub": "cap"},
        {"name": "y", "index": ["N"], "domain": "binary"},
        {"name": "z", "domain": "integer", "lb": -3, "ub": 7},
        {"name": "u", "index": ["list"], "ub": 4},
    ],
    "objective": {"sense": "minimize", "expression": "sum(flow[a] / json for a in ARCS) "
                  "+ sum((2 if n > 2 else 1) * y[n] for n in N) - z + sum(w[s] * u[s] for s in list) "
                  "+ len(N)"},
    "constraints": [*NETWORK_CONSTRAINTS, {"name": "us", "expression": "sum(u[s] for s in list) >= 3"}],
})

# CP-friendly after grounding, but the expression divides a variable sum: written for MathOpt
HALVED_KNAPSACK = _f({
    "sets": [{"name": "K", "range": [1, 5]}],
    "parameters": [{"name": "value", "index": ["K"], "value": [10, 13, 7, 8, 4]},
                   {"name": "weight", "index": ["K"], "value": [5, 6, 4, 3, 2]}],
    "variables": [{"name": "take", "index": ["K"], "domain": "binary"}],
    "objective": {"sense": "maximize", "expression": "sum(value[k] * take[k] for k in K)"},
    "constraints": [{"name": "capacity", "expression": "sum(2 * weight[k] * take[k] for k in K) / 2 <= 11"}],
})

# powers of variable expressions (OR-Tools has no **): literal 2, a data exponent, a maximised concave QP
POWERS_QP = _f({
    "parameters": [{"name": "p", "value": 2}, {"name": "t", "index": ["I"], "value": [1.5, -0.5]}],
    "sets": [{"name": "I", "elements": [1, 2]}],
    "variables": [{"name": "x", "index": ["I"], "lb": -5, "ub": 5}, {"name": "s", "lb": None}],
    "objective": {"sense": "maximize",
                  "expression": "-sum((x[i] - t[i]) ** p for i in I) - (s - 1) ** 2 + s ** 1"},
    "constraints": [{"name": "link", "expression": "x[1] + x[2] + s <= 2"}],
})

HOSTILE = 'x"); import os; os.system("echo pwned"); ("'
HOSTILE_NAMES = _f({
    "name": HOSTILE,
    "sets": [{"name": "print", "elements": ["a\"b\\c", "new\nline", "{brace}", HOSTILE]}],
    "parameters": [{"name": "solver", "index": ["print"], "value": [1, 2, 3, 4]}],
    "variables": [{"name": "status", "index": ["print"], "domain": "integer", "ub": 3}],
    "objective": {"sense": "maximize", "expression": "sum(solver[k] * status[k] for k in print)"},
    "constraints": [{"name": HOSTILE + "\n{k}", "forall": "k in print",
                     "expression": "status[k] <= solver[k]"},
                    {"name": "total", "expression": "sum(status[k] for k in print) <= 5"}],
})

CASES: dict[str, tuple[Formulation, str, str]] = {  # name -> (formulation, backend asked, backend expected)
    **{p.name: (p.formulation, "auto", "cpsat" if p.cp_friendly else "mathopt")
       for p in PROBLEMS if p.problem_class in ("LP", "MILP", "QP")},
    "milp_0_mathopt": (BY_NAME["milp_0"].formulation, "mathopt", "mathopt"),
    "cp_network": (CP_NETWORK, "auto", "cpsat"),
    "mixed_network": (MIXED_NETWORK, "auto", "mathopt"),
    "halved_knapsack": (HALVED_KNAPSACK, "auto", "mathopt"),
    "powers_qp": (POWERS_QP, "auto", "mathopt"),
    "hostile_names": (HOSTILE_NAMES, "auto", "cpsat"),
}


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(path), "20"], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return {name: emit_ortools(f, backend=backend) for name, (f, backend, _) in CASES.items()}


@pytest.fixture(scope="module")
def runs(scripts: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """Every script run as its own process, two at a time."""
    folder = tmp_path_factory.mktemp("ortools_scripts")
    paths = {}
    for name, source in scripts.items():
        paths[name] = folder / f"{name}_ortools.py"
        paths[name].write_text(source, encoding="utf-8")
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(paths, pool.map(_run, paths.values()), strict=True))
    return done


def _answer(run: subprocess.CompletedProcess) -> dict[str, Any]:
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert lines[0].startswith("status: ")
    json_lines = [ln for ln in lines if ln.startswith("{")]
    assert json_lines == [lines[-1]], "exactly one JSON line, and it ends the output"
    return json.loads(lines[-1])


def _assert_feasible(inst: Instance, values: dict[str, float], tol: float) -> None:
    x = [values[n] for n in inst.names]
    for v, lo, hi, integer in zip(x, inst.lb, inst.ub, inst.integer, strict=True):
        assert lo - tol <= v <= hi + tol and (not integer or abs(v - round(v)) <= tol)
    for row in inst.rows:
        assert row.lo - tol <= evaluate(row.body, x) <= row.hi + tol, row.label


@pytest.mark.parametrize("name", list(CASES))
def test_script_reproduces_highs(name: str, runs: dict[str, subprocess.CompletedProcess]) -> None:
    formulation = CASES[name][0]
    answer = _answer(runs[name])
    inst = instantiate(formulation)
    reference = solve(inst, solver="highs", time_limit=20)
    assert answer["status"] == reference.status.value
    if reference.objective is None:
        assert answer["objective"] is None and answer["variables"] == {}
        return
    assert answer["objective"] == pytest.approx(reference.objective, rel=1e-6, abs=1e-6)
    assert list(answer["variables"]) == inst.names
    _assert_feasible(inst, answer["variables"], 1e-5)
    x = [answer["variables"][n] for n in inst.names]
    assert evaluate(inst.objective, x) == pytest.approx(answer["objective"], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_backend_choice(name: str, scripts: dict[str, str]) -> None:
    formulation, asked, expected = CASES[name]
    source = scripts[name]
    if expected == "cpsat":
        assert "from ortools.sat.python import cp_model" in source and "mathopt" not in source
    else:
        assert "from ortools.math_opt.python import mathopt" in source and "cp_model" not in source
    if asked == "auto":
        assert ortools_backend(formulation) == expected


def test_mathopt_backends_per_class(scripts: dict[str, str]) -> None:
    assert "SolverType.GLOP" in scripts["lp_0"] and "Emphasis.OFF" in scripts["lp_unbounded"]
    assert "SolverType.GSCIP" in scripts["milp_1"] and "relative_gap_tolerance = 0.0" in scripts["milp_1"]
    assert "numerics/feastol" in scripts["qp_0"]
    assert "def power(" in scripts["powers_qp"] and "power(" in scripts["powers_qp"].split("def power(")[1]
    assert "def power(" not in scripts["qp_0"] and "x * x" in scripts["qp_0"]


def test_symbols_that_shadow_python_or_script_names_are_renamed(scripts: dict[str, str]) -> None:
    cp = scripts["cp_network"]
    assert "\nmodel_ = 2\n" in cp and "sum_ = ['p', 'q']" in cp
    mixed = scripts["mixed_network"]
    assert "\njson_ = 2\n" in mixed and "\nlist_ = [" in mixed
    hostile = scripts["hostile_names"]
    assert "\nprint_ = [" in hostile and "\nsolver_ = {" in hostile and "\nstatus_ = {" in hostile


def test_formulation_text_never_becomes_code(scripts: dict[str, str],
                                             runs: dict[str, subprocess.CompletedProcess]) -> None:
    source = scripts["hostile_names"]
    tree = ast.parse(source)
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
               for alias in node.names}
    assert imports == {"json", "math", "sys", "cp_model"}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert "os" not in names
    assert not any(isinstance(node, ast.Attribute) and node.attr == "system" for node in ast.walk(tree))
    assert "pwned" not in runs["hostile_names"].stdout.split("\n")[0]
    answer = _answer(runs["hostile_names"])
    assert set(answer["variables"]) == {f"status[{k}]" for k in ["a\"b\\c", "new\nline", "{brace}", HOSTILE]}


def test_nonlinear_models_are_refused() -> None:
    for name in ("nlp_0", "nlp_3", "minlp_0"):
        with pytest.raises(OrToolsCodegenError, match="Pyomo"):
            emit_ortools(BY_NAME[name].formulation)
    assert issubclass(OrToolsCodegenError, CodegenError) and issubclass(OrToolsCodegenError, ValueError)


def test_impossible_backend_requests_are_refused() -> None:
    with pytest.raises(OrToolsCodegenError, match="CP-friendly"):
        emit_ortools(BY_NAME["lp_0"].formulation, backend="cpsat")
    with pytest.raises(OrToolsCodegenError, match="CP-friendly"):
        emit_ortools(HALVED_KNAPSACK, backend="cpsat")
    with pytest.raises(OrToolsCodegenError, match="unknown backend"):
        emit_ortools(BY_NAME["lp_0"].formulation, backend="gurobi")


def test_time_limit_default_and_argument(scripts: dict[str, str]) -> None:
    assert "else 60.0  # seconds" in scripts["lp_0"]
    assert "else 2.5  # seconds" in emit_ortools(BY_NAME["lp_0"].formulation, time_limit=2.5)


def test_emitting_does_not_load_ortools() -> None:
    emit_ortools(CP_NETWORK)
    assert not ortools_loaded()
