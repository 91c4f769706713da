"""Instance -> CP-SAT / MathOpt models (maps, bounds, rows, objective), refusals, and the worker process.

ortools and highspy cannot share a process, so models are built and inspected inside the OR-Tools
worker (`run_isolated`); the functions below named `inspect_*` run there.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.compile.to_ortools import (
    IsolatedCallError,
    OrToolsConflictError,
    OrToolsUnsupportedError,
    build_cpsat,
    build_mathopt,
    cp_friendly_problems,
    ortools_loaded,
    run_isolated,
)
from optcopilot.ir.model import Formulation
from tests.problems import BY_NAME

HERE = "tests.compile.test_ortools_build"
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

PURE_INTEGER = Formulation.model_validate({
    "name": "pure_integer",
    "sets": [{"name": "I", "elements": ["a", "b"]}],
    "variables": [{"name": "x", "index": ["I"], "domain": "integer", "lb": -10, "ub": 10.5},
                  {"name": "y", "domain": "binary"}],
    "objective": {"sense": "maximize", "expression": "3 * x['a'] - 2 * x['b'] + y - 4"},
    "constraints": [
        {"name": "total", "expression": "x['a'] + x['b'] + y == 7"},
        {"name": "spread", "expression": "-3 <= x['a'] - x['b'] <= 2"},
        {"name": "mix", "forall": "i in I", "expression": "2 * x[i] + 3 * y <= 15"},
        {"name": "strict", "expression": "x['b'] > -2"},
    ],
})


def inspect_cpsat(inst: Instance) -> dict[str, Any]:
    """Runs in the worker: the CP-SAT model as plain data."""
    built = build_cpsat(inst)
    proto = built.model.proto
    return {
        "variables": [(v.name, list(v.domain)) for v in proto.variables],
        "flat_ids": [built.flat_id(v) for v in built.variables],
        "rows": [built.row_index(c) for c in built.constraints],
        "constraints": [(c.name, list(c.linear.vars), list(c.linear.coeffs), list(c.linear.domain))
                        for c in proto.constraints],
        "objective": (list(proto.objective.vars), list(proto.objective.coeffs), proto.objective.offset,
                      proto.objective.scaling_factor),
        "model_name": proto.name,
    }


def inspect_mathopt(inst: Instance) -> dict[str, Any]:
    """Runs in the worker: the MathOpt model as plain data."""
    built = build_mathopt(inst)
    objective = built.model.objective
    return {
        "variables": [(v.name, v.lower_bound, v.upper_bound, v.integer) for v in built.variables],
        "flat_ids": [built.flat_id(v) for v in built.variables],
        "rows": [built.row_index(c) for c in built.constraints],
        "constraints": [(c.name, c.lower_bound, c.upper_bound, sorted((t.variable.name, t.coefficient)
                                                                       for t in c.terms()))
                        for c in built.constraints],
        "linear": sorted((t.variable.name, t.coefficient) for t in objective.linear_terms()),
        "quadratic": sorted((t.key.first_var.name, t.key.second_var.name, t.coefficient)
                            for t in objective.quadratic_terms()),
        "offset": objective.offset,
        "maximize": objective.is_maximize,
        "flags": (built.is_mip, built.quadratic_objective),
    }


@pytest.fixture(scope="module")
def inspected() -> dict[str, dict[str, Any]]:
    pure = instantiate(PURE_INTEGER)
    calls = [(f"{HERE}:inspect_cpsat", (pure,), {}), (f"{HERE}:inspect_mathopt", (pure,), {}),
             (f"{HERE}:inspect_mathopt", (instantiate(BY_NAME["qp_0"].formulation),), {}),
             (f"{HERE}:inspect_mathopt", (instantiate(BY_NAME["lp_0"].formulation),), {})]
    answers = run_isolated(calls, timeout=60)
    return dict(zip(["cpsat", "mathopt", "mathopt_qp", "mathopt_lp"], answers, strict=True))


def test_cpsat_variables_rows_and_maps(inspected: dict[str, dict[str, Any]]) -> None:
    cp = inspected["cpsat"]
    assert cp["model_name"] == "pure_integer"
    assert cp["variables"] == [("x[a]", [-10, 10]), ("x[b]", [-10, 10]), ("y", [0, 1])]
    assert cp["flat_ids"] == [0, 1, 2]
    assert cp["rows"] == [0, 1, 2, 3, 4]
    assert cp["constraints"] == [
        ("total", [0, 1, 2], [1, 1, 1], [7, 7]),
        ("spread", [0, 1], [1, -1], [-3, 2]),
        ("mix[a]", [0, 2], [2, 3], [INT_MIN, 15]),
        ("mix[b]", [1, 2], [2, 3], [INT_MIN, 15]),
        ("strict", [1], [1], [-2, INT_MAX]),  # `>` is `>=`, as everywhere in optcopilot
    ]
    vars_, coeffs, offset, scaling = cp["objective"]
    assert scaling == -1  # maximise: CP-SAT stores the negated objective
    assert dict(zip(vars_, coeffs, strict=True)) == {0: -3, 1: 2, 2: -1} and offset == 4


def test_mathopt_variables_rows_and_maps(inspected: dict[str, dict[str, Any]]) -> None:
    mo = inspected["mathopt"]
    assert mo["variables"] == [("x[a]", -10.0, 10.5, True), ("x[b]", -10.0, 10.5, True),
                               ("y", 0.0, 1.0, True)]
    assert mo["flat_ids"] == [0, 1, 2] and mo["rows"] == [0, 1, 2, 3, 4]
    assert mo["constraints"][2] == ("mix[a]", -math.inf, 15.0, [("x[a]", 2.0), ("y", 3.0)])
    assert mo["constraints"][1][:3] == ("spread", -3.0, 2.0)
    assert mo["linear"] == [("x[a]", 3.0), ("x[b]", -2.0), ("y", 1.0)]
    assert mo["offset"] == -4.0 and mo["maximize"] is True and mo["flags"] == (True, False)


def test_mathopt_quadratic_objective(inspected: dict[str, dict[str, Any]]) -> None:
    qp = inspected["mathopt_qp"]  # x**2 + x*y + y**2 - 3x
    assert qp["quadratic"] == [("x", "x", 1.0), ("x", "y", 1.0), ("y", "y", 1.0)]
    assert qp["linear"] == [("x", -3.0)] and qp["flags"] == (False, True) and qp["maximize"] is False
    lp = inspected["mathopt_lp"]
    assert lp["variables"][0] == ("doors", 0.0, math.inf, False) and lp["flags"] == (False, False)


def test_refusals_happen_before_ortools_is_loaded() -> None:
    with pytest.raises(OrToolsUnsupportedError, match="continuous"):
        build_cpsat(instantiate(BY_NAME["lp_0"].formulation))
    with pytest.raises(OrToolsUnsupportedError, match=r"nonlinear|not linear"):
        build_mathopt(instantiate(BY_NAME["nlp_1"].formulation))
    huge = Formulation.model_validate({"variables": [{"name": "n", "domain": "integer", "ub": 2.0**60}],
                                       "objective": {"sense": "maximize", "expression": "n"}})
    with pytest.raises(OrToolsUnsupportedError, match="too large"):
        build_cpsat(instantiate(huge))
    assert cp_friendly_problems(instantiate(PURE_INTEGER)) == []
    assert not ortools_loaded()  # this (pytest) process must keep a working highspy


def test_guard_when_highspy_is_loaded() -> None:
    import highspy  # noqa: F401

    with pytest.raises(OrToolsConflictError, match="libhighs"):
        build_cpsat(instantiate(PURE_INTEGER))
    with pytest.raises(OrToolsConflictError):
        build_mathopt(instantiate(BY_NAME["lp_0"].formulation))


def test_worker_reports_errors_timeouts_and_crashes_then_recovers() -> None:
    with pytest.raises(IsolatedCallError, match="math domain error"):
        run_isolated([("math:sqrt", (-1.0,), {})], timeout=30)
    with pytest.raises(IsolatedCallError, match="did not finish"):
        run_isolated([("time:sleep", (10,), {})], timeout=0.5)
    assert run_isolated([("math:sqrt", (4.0,), {})], timeout=30) == [2.0]
    with pytest.raises(IsolatedCallError, match="exited with code 3"):
        run_isolated([("os:_exit", (3,), {})], timeout=30)
    assert run_isolated([("math:hypot", (3.0, 4.0), {}), ("math:floor", (2.5,), {})], timeout=30) == [5.0, 2]
