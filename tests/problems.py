"""Shared small test problems with known answers (in the spirit of CVXPY's solver_test_helpers).

Each `Problem` holds a Formulation, the expected termination, the expected optimal objective (None
unless optimal), its problem class and whether CP-SAT can solve it exactly. `tests/solve/test_problems.py`
runs every problem on every solver route that applies (the `solver_route` fixture of `tests/conftest.py`
and `applicable`); `check` is the one assertion every route's answer must pass (linopy's `testing.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from optcopilot.compile.capabilities import capabilities, required_features
from optcopilot.compile.instance import Instance, instantiate
from optcopilot.ir.model import Formulation
from optcopilot.solve.base import Solver
from optcopilot.solve.result import Result, Termination


@dataclass(frozen=True)
class Problem:
    name: str
    formulation: Formulation
    status: Termination
    objective: float | None
    problem_class: str  # LP, MILP, QP, NLP, MINLP
    cp_friendly: bool = False
    iis: tuple[str, ...] | None = None  # expected rows of the (unique) IIS, for infeasible problems


def _f(spec: dict[str, Any]) -> Formulation:
    return Formulation.model_validate(spec)


LP_0 = Problem("lp_0", _f({
    "name": "production",
    "description": "Two products on three plants (Wyndor Glass).",
    "variables": [{"name": "doors"}, {"name": "windows"}],
    "objective": {"sense": "maximize", "expression": "3 * doors + 5 * windows"},
    "constraints": [
        {"name": "plant1", "expression": "doors <= 4"},
        {"name": "plant2", "expression": "2 * windows <= 12"},
        {"name": "plant3", "expression": "3 * doors + 2 * windows <= 18"},
    ],
}), Termination.OPTIMAL, 36.0, "LP")

LP_1 = Problem("lp_1", _f({
    "name": "transport",
    "description": "GAMS trnsport: ship cases from plants to markets at least cost.",
    "sets": [{"name": "I", "elements": ["seattle", "san-diego"]},
             {"name": "J", "elements": ["new-york", "chicago", "topeka"]}],
    "parameters": [
        {"name": "a", "index": ["I"], "value": [350, 600]},
        {"name": "b", "index": ["J"], "value": {"new-york": 325, "chicago": 300, "topeka": 275}},
        {"name": "d", "index": ["I", "J"], "value": [[2.5, 1.7, 1.8], [2.5, 1.8, 1.4]]},
        {"name": "f", "value": 90},
    ],
    "variables": [{"name": "x", "index": ["I", "J"]}],
    "objective": {"sense": "minimize", "expression": "sum(f * d[i, j] / 1000 * x[i, j] for i in I for j in J)"},
    "constraints": [
        {"name": "supply", "expression": "sum(x[i, j] for j in J) <= a[i]", "forall": "i in I"},
        {"name": "demand", "expression": "sum(x[i, j] for i in I) >= b[j]", "forall": "j in J"},
    ],
}), Termination.OPTIMAL, 153.675, "LP")

LP_2 = Problem("lp_2", _f({
    "name": "transshipment",
    "description": "Min-cost flow from node 1 to node 4 with language features the code emitters must handle.",
    "sets": [
        {"name": "N", "range": [1, 4]},
        {"name": "ARCS", "elements": [[1, 2], [1, 3], [2, 3], [2, 4], [3, 4]]},
        {"name": "OUT", "index": ["N"], "members": {"1": [2, 3], "2": [3, 4], "3": [4], "4": []}},
        {"name": "json", "elements": ["a", "b's \"x\""]},  # clashes with the script's import; quotes
    ],
    "parameters": [
        {"name": "cap", "index": ["ARCS"], "value": {"1,2": 4, "1,3": 3, "2,3": 3, "2,4": 2, "3,4": 6}},
        {"name": "cost", "index": ["ARCS"], "value": [1, 4, 1, 5, 1]},
        {"name": "supply", "index": ["N"], "value": [5, 0, 0, -5]},
        {"name": "model", "value": 2},  # clashes with the script's model object
        {"name": "weight", "index": ["json"], "value": {"a": 1}, "default": 3},
    ],
    "variables": [
        {"name": "flow", "index": ["ARCS"], "ub": "cap"},
        {"name": "print", "index": ["json"], "ub": "model * 10"},  # a builtin name
    ],
    "objective": {"name": "total cost", "sense": "minimize",
                  "expression": "sum(cost[a] * flow[a] for a in ARCS) + sum(weight[k] * print[k] for k in json)"},
    "constraints": [
        {"name": "balance", "forall": "i in N",
         "expression": "sum(flow[i, j] for j in OUT[i]) - sum(flow[k, m] for (k, m) in ARCS if m == i) == supply[i]"},
        {"name": "out-limit 1", "forall": "i in N", "expression": "sum(flow[i, j] for j in OUT[i]) <= 100"},
        {"name": "soft", "forall": "a in ARCS", "expression": "flow[a] <= (cap[a] if cost[a] > 2 else 2 * cap[a])"},
        {"name": "chain", "expression": "sum(flow[t, t + 1] for t in range(1, 4) if (t, t + 1) in ARCS) >= 0"},
        {"name": "range", "expression": "1 <= sum(flow[a] for a in ARCS) <= 100"},
        {"name": "minimum", "forall": "k in json", "expression": "print[k] >= model + 1 - len(json)"},
        {"name": "data_calls", "forall": "k in json",
         "expression": "print[k] <= floor(7.5) + abs(-2) + max(1, 2) + exp(0) + sqrt(4) + min(weight[k], 9)"},
    ],
}), Termination.OPTIMAL, 23.0, "LP")
# 3 units on 1-2-3-4 (cost 3 each), 2 on 1-3-4 (cost 5 each) = 19; print[k] >= 1 costs 1 + 3 more.

LP_INFEASIBLE = Problem("lp_infeasible", _f({
    "name": "infeasible",
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "minimize", "expression": "x + y"},
    "constraints": [
        {"name": "total", "expression": "x + y <= 1"},
        {"name": "spread", "expression": "x - y <= 10"},
        {"name": "least", "expression": "x >= 2"},
        {"name": "cap_y", "expression": "y <= 5"},
    ],
}), Termination.INFEASIBLE, None, "LP", iis=("least", "total"))

LP_UNBOUNDED = Problem("lp_unbounded", _f({
    "name": "unbounded",
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "maximize", "expression": "x + y"},
    "constraints": [{"name": "c", "expression": "x - y <= 1"}],
}), Termination.UNBOUNDED, None, "LP")

MILP_0 = Problem("milp_0", _f({
    "name": "knapsack",
    "sets": [{"name": "K", "range": [1, 5]}],
    "parameters": [
        {"name": "value", "index": ["K"], "value": [10, 13, 7, 8, 4]},
        {"name": "weight", "index": ["K"], "value": [5, 6, 4, 3, 2]},
        {"name": "cap", "value": 11},
    ],
    "variables": [{"name": "take", "index": ["K"], "domain": "binary"}],
    "objective": {"sense": "maximize", "expression": "sum(value[k] * take[k] for k in K)"},
    "constraints": [{"name": "capacity", "expression": "sum(weight[k] * take[k] for k in K) <= cap"}],
}), Termination.OPTIMAL, 25.0, "MILP", cp_friendly=True)

MILP_1 = Problem("milp_1", _f({
    "name": "assignment",
    "description": "Assign workers to tasks; the cheapest pairs (cost <= 1) are forbidden.",
    "sets": [{"name": "W", "elements": ["w1", "w2", "w3", "w4"]}, {"name": "T", "range": [1, 4]}],
    "parameters": [{"name": "cost", "index": ["W", "T"],
                    "value": [[9, 2, 7, 8], [6, 4, 3, 7], [5, 8, 1, 8], [7, 6, 9, 4]]}],
    "variables": [{"name": "x", "index": ["W", "T"], "domain": "binary"},
                  {"name": "total", "lb": None}],
    "objective": {"sense": "minimize", "expression": "total"},
    "constraints": [
        {"name": "define", "expression": "total == sum(cost[w, t] * x[w, t] for w in W for t in T)"},
        {"name": "one_task", "expression": "sum(x[w, t] for t in T) == 1", "forall": "w in W"},
        {"name": "one_worker", "expression": "sum(x[w, t] for w in W) == 1", "forall": "t in T"},
        {"name": "forbid", "expression": "x[w, t] == 0", "forall": "w in W, t in T if cost[w, t] <= 1"},
    ],
}), Termination.OPTIMAL, 14.0, "MILP")

QP_0 = Problem("qp_0", _f({
    "name": "convex_qp",
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "minimize", "expression": "x**2 + x * y + y**2 - 3 * x"},
    "constraints": [{"name": "budget", "expression": "x + y >= 3"}],
}), Termination.OPTIMAL, 0.0, "QP")
# x + y = 3 binds: minimise x² + x(3-x) + (3-x)² - 3x = x² - 6x + 9 -> x = 3, y = 0, objective 0.

NLP_0 = Problem("nlp_0", _f({
    "name": "exp_log",
    "variables": [{"name": "x", "ub": 10}, {"name": "y", "lb": 0.1, "ub": 10}],
    "objective": {"sense": "minimize", "expression": "exp(x) - 3 * x + (y - 2.4)**2"},
    "constraints": [{"name": "cap", "expression": "log(y) <= 0.7"}],
}), Termination.OPTIMAL, 3 - 3 * math.log(3) + (math.exp(0.7) - 2.4) ** 2, "NLP")

NLP_1 = Problem("nlp_1", _f({
    "name": "division",
    "variables": [{"name": "x", "lb": 0.5, "ub": 100}, {"name": "y", "lb": 0.5, "ub": 100}],
    "objective": {"sense": "minimize", "expression": "x + y"},
    "constraints": [{"name": "harmonic", "expression": "4 / x + 1 / y <= 1"}],
}), Termination.OPTIMAL, 9.0, "NLP")  # (sqrt(4) + sqrt(1))**2 at x = 6, y = 3

NLP_2 = Problem("nlp_2", _f({
    "name": "sqrt",
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "maximize", "expression": "sqrt(x) + 2 * sqrt(y)"},
    "constraints": [{"name": "budget", "expression": "x + y <= 5"}],
}), Termination.OPTIMAL, 5.0, "NLP")  # Cauchy-Schwarz: x = 1, y = 4

NLP_3 = Problem("nlp_3", _f({
    "name": "nonsmooth",
    "variables": [{"name": "x", "ub": 10}],
    "objective": {"sense": "minimize", "expression": "abs(x - 3) + max(x, 4 - x) + min(x, 7)"},
}), Termination.OPTIMAL, 5.0, "NLP")  # 7 - x on [0, 2], 3 + x on [2, 3], 3x - 3 above: x = 2

MINLP_0 = Problem("minlp_0", _f({
    "name": "bilinear",
    "variables": [{"name": "x", "ub": 10}, {"name": "y", "domain": "integer", "ub": 5}],
    "objective": {"sense": "minimize", "expression": "exp(x) - 3 * x + (y - 2.4)**2"},
    "constraints": [{"name": "product", "expression": "x * y >= 10"}],
}), Termination.OPTIMAL, math.exp(2.5) - 7.5 + 1.6**2, "MINLP")  # y = 4, x = 2.5

CP_0 = Problem("cp_0", _f({
    "name": "integer_program",
    "sets": [{"name": "V", "elements": ["x", "y", "z"]}, {"name": "R", "range": [1, 3]}],
    "parameters": [
        {"name": "profit", "index": ["V"], "value": [5, 4, 3]},
        {"name": "use", "index": ["R", "V"], "value": [[2, 3, 1], [4, 1, 2], [3, 4, 2]]},
        {"name": "avail", "index": ["R"], "value": [5, 11, 8]},
    ],
    "variables": [{"name": "n", "index": ["V"], "domain": "integer", "ub": 10}],
    "objective": {"sense": "maximize", "expression": "sum(profit[v] * n[v] for v in V)"},
    "constraints": [{"name": "resource", "expression": "sum(use[r, v] * n[v] for v in V) <= avail[r]",
                     "forall": "r in R"}],
}), Termination.OPTIMAL, 13.0, "MILP", cp_friendly=True)

ASSIGN_COST = [[7, 3, 9], [2, 8, 6], [5, 4, 1]]
ASSIGNMENT = Problem("assignment", _f({
    "name": "assignment",
    "sets": [{"name": "W", "elements": ["ann", "bob", "cy"]}, {"name": "T", "range": [1, 3]}],
    "parameters": [{"name": "cost", "index": ["W", "T"], "value": ASSIGN_COST}],
    "variables": [{"name": "x", "index": ["W", "T"], "domain": "binary"}],
    "objective": {"sense": "minimize", "expression": "sum(cost[w, t] * x[w, t] for w in W for t in T)"},
    "constraints": [
        {"name": "one_task", "forall": "w in W", "expression": "sum(x[w, t] for t in T) == 1"},
        {"name": "one_worker", "forall": "t in T", "expression": "sum(x[w, t] for w in W) == 1"},
    ],
}), Termination.OPTIMAL, 6.0, "MILP", cp_friendly=True)  # ann-2, bob-1, cy-3 (3 + 2 + 1)

PURE_INTEGER = Problem("pure_integer", _f({
    "name": "pure_integer",
    "variables": [{"name": v, "domain": "integer", "lb": -10, "ub": 10} for v in ("a", "b", "c")],
    "objective": {"sense": "maximize", "expression": "3 * a - 2 * b + c - 4"},
    "constraints": [
        {"name": "total", "expression": "a + b + c == 7"},
        {"name": "spread", "expression": "-3 <= a - b <= 2"},
        {"name": "mix", "expression": "2 * a + 3 * c <= 15"},
        {"name": "strict", "expression": "c > -2"},
    ],
}), Termination.OPTIMAL, 6.0, "MILP", cp_friendly=True)  # brute force in tests/solve/test_cpsat.py

INFEASIBLE_INT = Problem("infeasible_int", _f({
    "variables": [{"name": "x", "domain": "integer", "ub": 10}],
    "objective": {"sense": "minimize", "expression": "x"},
    "constraints": [{"name": "odd", "expression": "2 * x == 3"}],
}), Termination.INFEASIBLE, None, "MILP", cp_friendly=True)

PROBLEMS: list[Problem] = [LP_0, LP_1, LP_2, LP_INFEASIBLE, LP_UNBOUNDED, MILP_0, MILP_1, QP_0, NLP_0, NLP_1, NLP_2,
                           NLP_3, MINLP_0, CP_0, ASSIGNMENT, PURE_INTEGER, INFEASIBLE_INT]
BY_NAME = {p.name: p for p in PROBLEMS}


def applicable(solver: type[Solver], name: str, instance: Instance) -> str | None:
    """None when `solver` (registered as `name`) should solve `instance`; else the reason to skip.

    Asks the capability registry, as `solve(solver="auto")` does.
    """
    missing = capabilities(name).missing(required_features(instance))
    if missing:
        return f"{name} lacks {', '.join(missing)}"
    if not solver.available():
        return f"{name} is not available here"
    return None


_INSTANCES: dict[str, Instance] = {}


def instance_of(problem: Problem) -> Instance:
    """The grounded instance of a shared problem (built once per test session)."""
    if problem.name not in _INSTANCES:
        _INSTANCES[problem.name] = instantiate(problem.formulation)
    return _INSTANCES[problem.name]


def tolerance(problem: Problem) -> dict[str, float]:
    """LP/MILP answers are exact to solver precision; NLP answers carry SCIP's 1e-6 feasibility slack."""
    if problem.problem_class in ("NLP", "MINLP"):
        return {"rel": 1e-5, "abs": 1e-6}
    return {"rel": 1e-6, "abs": 1e-6}


def check(problem: Problem, result: Result, strict_status: bool = True) -> None:
    """The answer every route must give: the expected status, objective and one value per variable.

    With `strict_status=False` an infeasible or unbounded problem may also be INFEASIBLE_OR_UNBOUNDED.
    """
    allowed = {problem.status}
    if not strict_status and problem.status in (Termination.INFEASIBLE, Termination.UNBOUNDED):
        allowed.add(Termination.INFEASIBLE_OR_UNBOUNDED)
    assert result.status in allowed, (problem.name, result.status, result.message)
    if problem.objective is not None:
        assert result.objective == pytest.approx(problem.objective, **tolerance(problem)), problem.name
        assert list(result.variables) == instance_of(problem).names


def rows_of(iis: list[str]) -> set[str]:
    """The constraint rows of an IIS (without its `bound:` entries)."""
    return {entry for entry in iis if not entry.startswith("bound:")}
