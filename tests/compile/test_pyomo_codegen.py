"""Shared codegen helpers and the emitted Pyomo scripts (run in a subprocess, compared with solve())."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from optcopilot.compile.codegen_common import (
    FLAT_NAME_SOURCE,
    CodegenError,
    Namer,
    check_identifier,
    comment,
    param_source,
    py_literal,
    safe_identifier,
    set_source,
)
from optcopilot.compile.codegen_expr import ExprWriter
from optcopilot.compile.codegen_pyomo import PYOMO_DIALECT, emit_pyomo
from optcopilot.compile.instance import instantiate, var_label
from optcopilot.ir.data import resolve_data
from optcopilot.ir.expr import parse_expression
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import parse_formulation
from optcopilot.solve.api import solve
from tests.problems import BY_NAME, PROBLEMS

# ---- codegen_common ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -3, 2.5, 1e-300, "a'b\"c\n", ("x", 1), (1,), [1, (2, "b")], {"k": [1.5]},
                                   {(1, "a"): 2}, None, True])
def test_py_literal_round_trips(value: object) -> None:
    assert ast.literal_eval(py_literal(value)) == value


def test_py_literal_infinities() -> None:
    assert eval(py_literal(math.inf), {"math": math}) == math.inf
    assert eval(py_literal([-math.inf]), {"math": math}) == [-math.inf]


def test_namer_renames_reserved_and_keeps_names_stable() -> None:
    names = Namer(reserved={"solutions"})
    assert names("x") == "x" and names("x") == "x"
    assert names("json") == "json_" and names("list") == "list_" and names("solutions") == "solutions_"
    assert names("model") == "model_" and names("model_") == "model__"
    assert names.fresh("x") == "x_"


@pytest.mark.parametrize("bad", ["a b", "__import__", "1x", "x;y", "for", ""])
def test_check_identifier_rejects(bad: str) -> None:
    with pytest.raises(CodegenError):
        check_identifier(bad)


def test_safe_identifier_and_comment() -> None:
    assert safe_identifier("out-limit 1") == "out_limit_1"
    assert safe_identifier("9 lives", "c") == "c_9_lives"
    assert safe_identifier("!!", "c") == "c"
    assert comment("line1\nimport os\r\x00") == "line1 import os"


def test_flat_names_match_the_instance() -> None:
    namespace: dict = {}
    exec(FLAT_NAME_SOURCE, namespace)
    for name, key in (("x", ()), ("x", (1,)), ("x", (1, "a")), ("y", ("b's", 2.5))):
        expected = var_label(name, key)
        pyomo_key = None if not key else key[0] if len(key) == 1 else key
        assert namespace["flat_name"](name, pyomo_key) == expected


_DATA = Formulation.model_validate({
    "sets": [{"name": "I", "range": [1, 3]}, {"name": "A", "elements": [[1, "a"], [2, "b"]]},
             {"name": "S", "index": ["I"], "members": {"1": [2, 3], "2": [], "3": [1]}}],
    "parameters": [{"name": "p", "index": ["I"], "value": [2, 5, 3]}, {"name": "q", "value": 1.5},
                   {"name": "r", "index": ["A"], "value": {"1,a": 4}, "default": -1}],
    "variables": [{"name": "x"}],
    "objective": {"sense": "minimize", "expression": "x"},
})


@pytest.mark.parametrize("text", [
    "-(2 - 3)**2", "2**-1", "(1 - 2) - (3 - 4)", "8 / (4 / 2)", "2**3**2", "-2**2", "(-2)**2",
    "p[1] if q > 1 else p[2]", "sum(p[i] * 2 for i in I if i != 2)", "max(p[i] for i in I) - min(p[1], p[2])",
    "len(I) * q", "prod(p[i] for i in I)", "abs(-q) + floor(2.5) + ceil(2.1)", "sum(r[k] for k in A)",
    "sum(r[i, c] for (i, c) in A)", "sum(p[j] for i in I for j in S[i])", "sum(1 for (i, c) in A if i in I and c != 'b')",
    "sum(p[i] for i in range(1, 3))", "sum(p[i] for i in I if not (i == 1 or i == 3))", "exp(0) + log(e) + pi",
    "sum(1 for i in I if (i, 'a') in A)", "1 if 2 > 1 and not 3 < 2 else 0", "sum(3, p[2], q)",
])
def test_data_expressions_translate_exactly(text: str) -> None:
    """The emitted source, run on the emitted data, gives what our grounding computes."""
    f = _DATA.model_copy(update={"objective": _DATA.objective.model_copy(update={"expression": f"x + {text}"})})
    parsed = parse_formulation(f)
    data = resolve_data(f)
    expected = instantiate(parsed).objective_constant()
    names = Namer()
    writer = ExprWriter(parsed, data, names, PYOMO_DIALECT)
    source = writer.expr(parse_expression(text), {})
    namespace: dict = {"math": math}
    for s in f.sets:
        namespace[names(s.name)] = eval(set_source(data.sets[s.name]), {"math": math})
    for p in f.parameters:
        namespace[names(p.name)] = eval(param_source(data.params[p.name]), {"math": math})
    assert eval(source, namespace) == pytest.approx(expected, rel=1e-12), source


# ---- emitted scripts -----------------------------------------------------------------------------

_FUNCTIONS = Formulation.model_validate({
    "name": "functions",
    "variables": [{"name": "x", "ub": 10}, {"name": "y", "ub": 10}],
    "objective": {"sense": "minimize", "expression": "-log10(x + 1) - sin(y) - cos(y) + x**0.5 + 2**x"},
    "constraints": [
        {"name": "a", "expression": "abs(x - y) <= 3"},
        {"name": "b", "expression": "max(x, y) - min(x, 1) >= 0.5"},
        {"name": "c", "expression": "x * y / (1 + x) <= 4"},
        {"name": "d", "expression": "x**y <= 50"},
    ],
})

_ALLOWED_IMPORTS = {"json", "math", "pyomo.environ", "pyomo.contrib.solver.common.factory",
                    "pyomo.core.expr.numeric_expr", "pyomo.core.expr.relational_expr", "pyomo.core.expr.visitor"}

_DRIVER = """
import contextlib, io, json, runpy, sys
out = {}
for path in sys.argv[1:]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(path, run_name="__main__")
    out[path] = buf.getvalue()
print(json.dumps(out))
"""


def _check_script_is_plain(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= _ALLOWED_IMPORTS
        elif isinstance(node, ast.ImportFrom):
            assert node.module in _ALLOWED_IMPORTS
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "open", "__import__", "getattr", "compile"}


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """name -> (script source, stdout): all scripts run in one child interpreter, each via runpy."""
    folder = tmp_path_factory.mktemp("scripts")
    cases = {p.name: p.formulation for p in PROBLEMS} | {"functions": _FUNCTIONS}
    sources, paths = {}, []
    for name, f in cases.items():
        sources[name] = emit_pyomo(f, time_limit=20)
        path = folder / f"{name}.py"
        path.write_text(sources[name], encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", _DRIVER, *paths], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: (sources[name], outputs[str(folder / f"{name}.py")]) for name in cases}


def _summary(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("status: ") and lines[1].startswith("objective: ")
    summary = json.loads(lines[-1])
    assert set(summary) == {"status", "objective", "variables"}
    return summary


@pytest.mark.parametrize("name", [*(p.name for p in PROBLEMS), "functions"])
def test_script_reproduces_in_memory_solve(name: str, script_runs: dict[str, tuple[str, str]]) -> None:
    source, stdout = script_runs[name]
    _check_script_is_plain(source)
    f = _FUNCTIONS if name == "functions" else BY_NAME[name].formulation
    expected = solve(f, time_limit=20)
    summary = _summary(stdout)
    assert summary["status"] == expected.status.value
    if expected.objective is None:
        assert summary["objective"] is None and summary["variables"] == {}
        return
    assert summary["objective"] == pytest.approx(expected.objective, rel=1e-6, abs=1e-9)
    assert list(summary["variables"]) == instantiate(f).names
    if name in BY_NAME:
        assert summary["objective"] == pytest.approx(BY_NAME[name].objective, rel=1e-5, abs=1e-6)


def test_script_runs_standalone(tmp_path: Path) -> None:
    path = tmp_path / "lp_2.py"
    path.write_text(emit_pyomo(BY_NAME["lp_2"].formulation, time_limit=20), encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = _summary(done.stdout)
    assert summary["status"] == "optimal" and summary["objective"] == pytest.approx(23.0)
    assert summary["variables"]["print[b's \"x\"]"] == pytest.approx(1.0)


def test_script_text_is_readable_and_picks_solvers() -> None:
    lp = emit_pyomo(BY_NAME["lp_1"].formulation)
    assert "SOLVER = 'highs'" in lp and "mip" not in lp.lower().replace("rel_gap", "")
    assert "model.x = pyo.Var(model.I, model.J, domain=pyo.Reals, bounds=(0, None))" in lp
    assert "def supply_rule(model, i):" in lp and "model.supply = pyo.Constraint(I, rule=supply_rule)" in lp
    assert "a = {'seattle': 350, 'san-diego': 600}" in lp
    assert "SOLVER = 'scip_direct'" in emit_pyomo(BY_NAME["nlp_0"].formulation)
    assert "SOLVER = 'scip_direct'" in emit_pyomo(BY_NAME["lp_0"].formulation, solver="scip")
    stress = emit_pyomo(BY_NAME["lp_2"].formulation)
    assert "json_ = ['a', 'b\\'s \"x\"']" in stress and "model_ = 2" in stress
    assert "def soft_rule(model, a_1, a_2):\n    a = (a_1, a_2)" in stress
    assert "weight.get(k, 3)" in stress and "pyo.inequality(1, " in stress


def test_text_in_the_formulation_never_becomes_code() -> None:
    f = Formulation.model_validate({
        "name": "x\nimport os\nos.system('echo hi')",
        "description": '"""\nimport os  # """',
        "sets": [{"name": "S", "elements": ["a'); import os; os.system('echo'); ('", "b\nimport os"]}],
        "variables": [{"name": "v", "index": ["S"], "ub": 1, "description": "\nimport os"}],
        "objective": {"sense": "maximize", "expression": "sum(v[s] for s in S)", "description": "\nimport sys"},
        "constraints": [{"name": "c\nimport os", "expression": "sum(v[s] for s in S) <= 1.5",
                         "description": "\nexec('1')"}],
    })
    source = emit_pyomo(f)
    _check_script_is_plain(source)
    assert not any(line.lstrip().startswith(("import os", "os.system", "exec(")) for line in source.splitlines())


def test_codegen_errors() -> None:
    with pytest.raises(CodegenError, match="HiGHS"):
        emit_pyomo(BY_NAME["nlp_0"].formulation, solver="highs")
    with pytest.raises(CodegenError, match="unknown solver"):
        emit_pyomo(BY_NAME["lp_0"].formulation, solver="gurobi")
    floor = Formulation.model_validate({
        "variables": [{"name": "x", "ub": 3}], "objective": {"sense": "maximize", "expression": "floor(x)"}})
    with pytest.raises(CodegenError, match="floor"):
        emit_pyomo(floor, solver="scip")
