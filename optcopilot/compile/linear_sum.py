"""The fast path of grounding `sum(coef * V[...] for j in S)`: a plan recognised once per expression node.

`coef` is a number or a parameter `P[...]`; the indices are plain names, the loop variable at most once
in each. The grounder (`instance._Grounder._linear_sum`) runs the plan without building per-term trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optcopilot.ir.data import Key
from optcopilot.ir.expr import Aggregate, BinOp, Index, Name, Node, Num

PLAIN = (str, int)
MISSING = object()


@dataclass(frozen=True)
class SumPlan:
    """A recognised `sum(coef * V[...] for target in domain)`; coef is a number or `P[...]`."""

    target: str
    domain: Node
    var: str
    var_index: tuple[str, ...]
    param: str | None  # None: the coefficient is `const`
    param_index: tuple[str, ...]
    const: float
    scope_names: frozenset[str]


def sum_plan(node: Aggregate, families: dict[str, Any], params: dict[str, Any]) -> SumPlan | None:
    """Plan for the fast path, or None when the sum is not of the simple linear form."""
    if len(node.generators) != 1:
        return None
    g = node.generators[0]
    if len(g.targets) != 1 or g.conditions:
        return None
    target = g.targets[0]
    body = node.body
    var_node: Node | None = None
    coef_node: Node | None = None
    if isinstance(body, Index):
        var_node, coef_node = body, Num(1.0)
    elif isinstance(body, BinOp) and body.op == "*":
        for a, b in ((body.left, body.right), (body.right, body.left)):
            if isinstance(b, Index) and b.base in families and not (isinstance(a, Index) and a.base in families):
                var_node, coef_node = b, a
                break
    if not isinstance(var_node, Index) or var_node.base not in families:
        return None
    var_index = plain_names(var_node.indices, target)
    if var_index is None:
        return None
    param: str | None = None
    param_index: tuple[str, ...] = ()
    if isinstance(coef_node, Num):
        const = float(coef_node.value)
    elif isinstance(coef_node, Index) and coef_node.base in params and coef_node.base not in families:
        index = plain_names(coef_node.indices, target)
        if index is None:
            return None
        param, param_index, const = coef_node.base, index, 0.0
    else:
        return None
    names = frozenset(n for n in (*var_index, *param_index) if n != target)
    return SumPlan(target, g.domain, var_node.base, var_index, param, param_index, const, names)


def plain_names(indices: tuple[Node, ...], target: str) -> tuple[str, ...] | None:
    """Index names, if every index is a plain name and the target occurs at most once."""
    if not all(isinstance(i, Name) for i in indices):
        return None
    names = tuple(i.id for i in indices)  # type: ignore[attr-defined]
    return names if names.count(target) <= 1 else None


def key_parts(names: tuple[str, ...], target: str, scope: dict[str, Any]) -> tuple[Key, Key]:
    """Key components before and after the target's place (the whole key if the target is absent)."""
    pre: Key = ()
    post: Key = ()
    seen = False
    for n in names:
        if n == target:
            seen = True
        elif seen:
            post += components(scope[n])
        else:
            pre += components(scope[n])
    return pre, post


def components(value: Any) -> Key:
    if isinstance(value, tuple):
        return value
    if isinstance(value, float) and value.is_integer():
        return (int(value),)
    return (value,)


