"""The capability registry decides which solver takes a model (solve, the emitters and the CLI ask it)."""

from __future__ import annotations

import importlib

import pytest

from optcopilot.compile.capabilities import (
    PYOMO,
    REGISTRY,
    NoCapableSolverError,
    SolverFeature,
    UnknownSolverError,
    capabilities,
    choose_solver,
    required_features,
    supports,
)
from optcopilot.compile.instance import instantiate
from optcopilot.ir.model import Formulation
from tests.problems import PROBLEMS, Problem

EXPECTED_AUTO = {"LP": "highs", "MILP": "highs", "QP": "highs", "NLP": "scip", "MINLP": "scip"}


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
def test_auto_choice_by_problem_class(problem: Problem) -> None:
    inst = instantiate(problem.formulation)
    assert choose_solver(inst) == EXPECTED_AUTO[problem.problem_class]
    assert supports("cpsat", inst) == inst.is_cp_friendly() == problem.cp_friendly
    assert choose_solver(inst, among=["scip"]) == "scip"  # SCIP takes everything


def test_nonconvex_quadratic_objective_needs_a_global_solver() -> None:
    f = Formulation.model_validate({"variables": [{"name": "x", "lb": -1, "ub": 1}],
                                    "objective": {"sense": "maximize", "expression": "x * x"}})
    inst = instantiate(f)
    assert SolverFeature.NONLINEAR in required_features(inst)
    assert choose_solver(inst) == "scip"
    with pytest.raises(NoCapableSolverError, match="no solver among highs"):
        choose_solver(inst, among=["highs", "cpsat"])


def test_requests_for_duals_and_iis() -> None:
    inst = instantiate(PROBLEMS[0].formulation)
    assert choose_solver(inst, duals=True, iis=True) == "highs"
    assert choose_solver(inst, among=["scip", "mathopt"], iis=True) == "scip"
    with pytest.raises(NoCapableSolverError):
        choose_solver(inst, among=["scip"], duals=True)


def test_names() -> None:
    assert capabilities("pyomo:gurobi") is PYOMO
    assert list(REGISTRY) == ["highs", "scip", "cpsat", "mathopt"]
    assert [n for n, c in REGISTRY.items() if c.auto] == ["highs", "scip"]  # CP-SAT, MathOpt only on request
    for bad in ("gurobi", "pyomo:", ""):
        with pytest.raises(UnknownSolverError, match="unknown solver"):
            capabilities(bad)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_routes_declare_their_registry_entry(name: str) -> None:
    module, cls = REGISTRY[name].route.split(":")
    route = getattr(importlib.import_module(module), cls)
    assert route.name == name and route.features == REGISTRY[name].features
