"""Small models shared by the equivalence tests."""

from __future__ import annotations

from optcopilot.ir.model import Formulation


def production() -> Formulation:
    """A small MIP with a free continuous variable and a general integer with finite bounds."""
    return Formulation.model_validate({
        "name": "production",
        "sets": [{"name": "P", "elements": ["a", "b", "c"]}, {"name": "R", "elements": ["m1", "m2"]}],
        "parameters": [{"name": "profit", "index": ["P"], "value": [3, 5, 4]},
                       {"name": "use", "index": ["R", "P"], "value": [[1, 2, 1], [3, 1, 2]]},
                       {"name": "cap", "index": ["R"], "value": [14, 18]}],
        "variables": [{"name": "x", "index": ["P"], "domain": "integer", "ub": 6},
                      {"name": "t", "lb": None}],
        "objective": {"sense": "maximize", "expression": "sum(profit[p]*x[p] for p in P) - 0.5*t"},
        "constraints": [
            {"name": "cap", "forall": "r in R", "expression": "sum(use[r,p]*x[p] for p in P) <= cap[r]"},
            {"name": "tdef", "expression": "t >= x['a'] - 2"}],
    })


def diet() -> Formulation:
    """A small LP with >= rows and a ranged row."""
    return Formulation.model_validate({
        "name": "diet",
        "sets": [{"name": "F", "elements": ["bread", "milk", "egg"]}, {"name": "N", "elements": ["kcal", "prot"]}],
        "parameters": [{"name": "cost", "index": ["F"], "value": [2.0, 3.5, 8.0]},
                       {"name": "amount", "index": ["N", "F"], "value": [[110, 160, 180], [4, 8, 13]]},
                       {"name": "need", "index": ["N"], "value": [2000, 55]}],
        "variables": [{"name": "buy", "index": ["F"], "ub": 20}],
        "objective": {"sense": "minimize", "expression": "sum(cost[f]*buy[f] for f in F)"},
        "constraints": [
            {"name": "nutrient", "forall": "n in N", "expression": "sum(amount[n,f]*buy[f] for f in F) >= need[n]"},
            {"name": "milk_range", "expression": "1 <= buy['milk'] <= 10"}],
    })
