"""The restricted DSL: parsed with ast into the IR, never executed."""

from __future__ import annotations

import pytest

from optcopilot.formulate.dsl import DSLError, parse_dsl, to_dsl
from optcopilot.solve.api import solve

MODEL = '''```python
P = set("chair", "table")
profit = param([5, 4], P)
wood = {"chair": 15, "table": 20}
x = var(P, integer, desc="units made")
maximize(sum(profit[p] * x[p] for p in P))
subject_to(sum(wood[p] * x[p] for p in P) <= 450, name="wood")
for p in P:
    subject_to(x[p] <= 20, name="cap")
```'''


def test_parse_and_solve() -> None:
    f = parse_dsl(MODEL)
    assert [v.name for v in f.variables] == ["x"] and f.variables[0].domain == "integer"
    assert f.constraints[1].forall == "p in P"
    assert f.parameters[1].index == ["P"]  # a dict literal's index is inferred from its keys
    result = solve(f)
    assert result.objective == pytest.approx(128.0)


def test_scalar_model_and_roundtrip() -> None:
    f = parse_dsl("x = var(lb=0, ub=4)\ny = var(integer)\nmaximize(3*x + 2*y)\nx + y <= 6\nsubject_to(y <= 5)")
    assert solve(f).objective == pytest.approx(16.0)
    assert solve(parse_dsl(to_dsl(f))).objective == pytest.approx(16.0)


def test_loop_with_condition_and_range() -> None:
    f = parse_dsl("I = range(1, 4)\nx = var(I, ub=10)\nmaximize(sum(x[i] for i in I))\n"
                  "for i in I:\n    if i > 1:\n        subject_to(x[i] <= i, name='cap')")
    assert f.sets[0].range == [1, 3]
    assert f.constraints[0].forall == "i in I if i > 1"
    assert solve(f).objective == pytest.approx(15.0)


@pytest.mark.parametrize("code", [
    "__import__('os')",
    "x = var()\nmaximize(x.real)",
    "x = var()\nmaximize(x)\nos.system('rm -rf /')",
    "f = lambda: 1",
    "import os\nx = var()\nmaximize(x)\nos.system('rm -rf /')",
    "x = var()\nmaximize(x)\nc = subject_to(x.real <= 1)",
    "x = param([2**1000])",
    "x = param([1/0])",
    "x = param(['a' * 3])",
    "x = var()\nmaximize(x)\nexec('print(1)')",
    "x = var()\nmaximize(__builtins__)",
    "x = open('/etc/passwd')",
    "x = var()\nmaximize(x)\ndel x",
    "x = var()\nwith open('f') as h:\n    maximize(x)",
    "class A: pass",
    "x = var()\nmaximize(x)\nfor i in I:\n    y = var()",
])
def test_refuses_code(code: str) -> None:
    with pytest.raises(DSLError, match="line"):
        parse_dsl(code)


def test_refused_expression_inside_objective() -> None:
    # the DSL copies the expression; the IR expression parser then refuses non-whitelisted calls
    from optcopilot.ir.errors import FormulationError
    from optcopilot.ir.validate import parse_formulation

    f = parse_dsl("x = var()\nmaximize(eval('1'))")
    with pytest.raises(FormulationError):
        parse_formulation(f)


@pytest.mark.parametrize("code, message", [
    ("", "empty"),
    ("x = var()", "no objective"),
    ("maximize(3)", "no variables"),
    ("x = var()\nmaximize(x)\nmaximize(x)", "only one objective"),
    ("x = var()\nx = var()\nmaximize(x)", "defined twice"),
    ("x = var(\nmaximize(x)", "syntax error"),
    ("d = [1, 2]\nx = var()\nmaximize(x)", "say which sets"),
])
def test_errors_are_located(code: str, message: str) -> None:
    with pytest.raises(DSLError, match=message):
        parse_dsl(code)


def test_named_expression_is_inlined() -> None:
    f = parse_dsl("x = var(ub=3)\ny = var(ub=2)\nprofit = 5*x + 4*y\nmaximize(profit)\nsubject_to(profit <= 100)")
    assert f.objective.expression.replace(" ", "") == "5*x+4*y"
    assert not f.parameters
    assert solve(f).objective == pytest.approx(23.0)


def test_generator_constraint_becomes_forall() -> None:
    f = parse_dsl("C = set('a', 'b')\nx = var(C)\nmaximize(sum(x[c] for c in C))\n"
                  "subject_to((x[c] <= 5 for c in C if c != 'b'), name='cap')\nsubject_to(x['b'] <= 1)")
    assert f.constraints[0].forall == "c in C if c != 'b'"
    assert solve(f).objective == pytest.approx(6.0)


def test_import_lines_are_skipped_not_run() -> None:
    f = parse_dsl("import numpy as np\nfrom math import *\nx = var(ub=4)\nmaximize(2*x)")
    assert [v.name for v in f.variables] == ["x"] and not f.parameters
    assert solve(f).objective == pytest.approx(8.0)


def test_named_objective_and_constraints() -> None:
    f = parse_dsl("P = set('a', 'b')\nx = var(P)\nobj = maximize(sum(x[p] for p in P))\n"
                  "total = subject_to(sum(x[p] for p in P) <= 7)\n"
                  "for p in P:\n    cap = subject_to(x[p] <= 5)\n"
                  "other = subject_to(x['a'] <= 3, name='a_cap')")
    assert f.objective.sense == "maximize"
    assert [c.name for c in f.constraints] == ["total", "cap", "a_cap"]
    assert f.constraints[1].forall == "p in P"
    assert solve(f).objective == pytest.approx(7.0)


def test_arithmetic_on_numbers_in_data_is_folded() -> None:
    f = parse_dsl("P = set('a', 'b')\ndemand = param([50, 70/100*50], P)\nbudget = 2**10 - 24\n"
                  "x = var(P)\nminimize(sum(x[p] for p in P))\nfor p in P:\n    subject_to(x[p] >= demand[p])")
    params = {p.name: p.value for p in f.parameters}
    assert params["demand"] == [50, pytest.approx(35.0)]
    assert params["budget"] == 1000
    assert solve(f).objective == pytest.approx(85.0)
