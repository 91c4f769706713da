"""Equivalence on perturbed data when two formulations name their parameters differently.

A reference (e.g. an imported NLP4LP formulation) is parametrised; a candidate written by an LLM holds
the same numbers under other names and index elements. `match_parameters` pairs a candidate parameter with
a reference parameter when their numbers coincide: a scalar whose value occurs exactly once among the
scalars of each model, or an indexed parameter whose values, read in index order, form a sequence that
exactly one parameter of each model has (keys are then aligned by position). `check_on_matched_parameters`
repeats the equivalence check on instances where each matched pair gets the same random change (the factor
depends on the reference's name and key), so a verdict does not rest on one data set. Parameters that shape
index sets or conditions are never perturbed; unmatched numbers keep their values in both models.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from optcopilot.equivalence.check import EquivalenceReport, check_equivalence
from optcopilot.equivalence.levels import LevelVerdict
from optcopilot.equivalence.perturb import _json, _perturbed_value, _structural_params
from optcopilot.ir.data import Key, ModelData, key_text, resolve_data
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation, ParamDef

SEEDS = (1, 2)


@dataclass
class ParameterPair:
    candidate: str
    reference: str
    keys: list[tuple[Key, Key]]  # (candidate key, reference key); [((), ())] for scalars


def _values(data: ModelData, name: str) -> list[tuple[Key, float]]:
    p = data.params[name]
    if p.scalar is not None:
        return [((), float(p.scalar))]
    order = {k: n for n, k in enumerate(data.product(p.index))}
    return sorted(((k, float(v)) for k, v in p.table.items()), key=lambda kv: order.get(kv[0], len(order)))


def _signatures(f: Formulation) -> tuple[ModelData, dict[tuple[bool, tuple[float, ...]], list[str]]]:
    data = resolve_data(f)
    skip = _structural_params(f)
    out: dict[tuple[bool, tuple[float, ...]], list[str]] = defaultdict(list)
    for name, p in data.params.items():
        if name in skip:
            continue
        values = tuple(v for _, v in _values(data, name))
        if not values or not all(math.isfinite(v) for v in values) or not any(values):
            continue
        out[(p.scalar is not None, values)].append(name)
    return data, out


def match_parameters(candidate: Formulation, reference: Formulation) -> list[ParameterPair]:
    """Parameter pairs with the same numbers, each unambiguous on both sides (see the module docstring)."""
    try:
        dc, sc = _signatures(candidate)
        dr, sr = _signatures(reference)
    except FormulationError:
        return []
    pairs = []
    for sig, ref_names in sr.items():
        cand_names = sc.get(sig, [])
        if len(ref_names) != 1 or len(cand_names) != 1:
            continue
        keys = [(kc, kr) for (kc, _), (kr, _) in zip(_values(dc, cand_names[0]), _values(dr, ref_names[0]),
                                                     strict=True)]
        pairs.append(ParameterPair(cand_names[0], ref_names[0], keys))
    return sorted(pairs, key=lambda p: p.reference)


def _with_values(f: Formulation, changes: dict[str, dict[Key, float]]) -> Formulation:
    data = resolve_data(f)
    params = []
    for p in f.parameters:
        if p.name not in changes:
            params.append(p)
            continue
        new = changes[p.name]
        if not p.index:
            params.append(p.model_copy(update={"value": _json(new[()])}))
            continue
        table = {key_text(k): _json(new.get(k, v)) for k, v in data.params[p.name].table.items()}
        params.append(ParamDef(name=p.name, description=p.description, index=list(p.index), value=table,
                               default=p.default))
    return f.model_copy(update={"parameters": params})


def perturbed_pair(candidate: Formulation, reference: Formulation, pairs: list[ParameterPair],
                   seed: int) -> tuple[Formulation, Formulation]:
    """Both models with every matched pair changed alike (factor from the reference's name and key)."""
    ref_values = resolve_data(reference)
    cand_changes: dict[str, dict[Key, float]] = defaultdict(dict)
    ref_changes: dict[str, dict[Key, float]] = defaultdict(dict)
    for pair in pairs:
        values = dict(_values(ref_values, pair.reference))
        for kc, kr in pair.keys:
            new = _perturbed_value(values[kr], pair.reference, kr, seed)
            cand_changes[pair.candidate][kc] = new
            ref_changes[pair.reference][kr] = new
    return _with_values(candidate, cand_changes), _with_values(reference, ref_changes)


def check_on_matched_parameters(candidate: Formulation, reference: Formulation, *, time_limit: float = 60.0,
                                **options: Any) -> EquivalenceReport:
    """`check_equivalence`, then the same check on perturbed instances of the matched parameters.

    A perturbed instance that is not equivalent makes the verdict `False` (with that instance's certificate);
    one that stays undecided turns a `True` into `None`. `evidence["matched_parameters"]` lists the pairs.
    """
    report = check_equivalence(candidate, reference, time_limit=time_limit, **options)
    pairs = match_parameters(candidate, reference)
    report.evidence["matched_parameters"] = {p.candidate: p.reference for p in pairs}
    if not pairs or report.equivalent is False:
        return report
    instances = []
    for seed in SEEDS:
        try:
            cand, ref = perturbed_pair(candidate, reference, pairs, seed)
            sub = check_equivalence(cand, ref, time_limit=max(1.0, time_limit / 4), **options)
        except (FormulationError, ValueError) as exc:
            instances.append({"seed": seed, "error": str(exc)[:200]})
            continue
        instances.append({"seed": seed, "optimal": sub.equivalent, "feasible": sub.feasible.equivalent})
        _merge(report, sub, seed)
    report.evidence["matched_parameter_instances"] = instances
    return report


def _merge(report: EquivalenceReport, sub: EquivalenceReport, seed: int) -> None:
    where = {"perturbed_seed": seed}
    if report.equivalent is True and sub.equivalent is not True:
        report.equivalent = sub.equivalent
        report.method = f"{sub.method}+matched-parameters"
        report.evidence.update({"certificate": sub.certificate, **where,
                                "reason": "not shown on an instance with the matched parameters perturbed"})
    if report.feasible.equivalent is True and sub.feasible.equivalent is not True:
        report.feasible = LevelVerdict(sub.feasible.equivalent, {**sub.feasible.evidence, **where})
