"""Every transformation: its map and inverse send the new model's optimum to an optimum of the original."""

from __future__ import annotations

import numpy as np
import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.equivalence import TRANSFORMATIONS, NotApplicable, to_flat, transformation
from optcopilot.equivalence.solving import optimum, same_value
from optcopilot.equivalence.verify import check_point
from tests.equivalence.eq_models import diet, production

MODELS = {"production": production, "diet": diet}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("t", TRANSFORMATIONS, ids=lambda t: t.name)
def test_map_and_inverse(model_name: str, t) -> None:
    f = MODELS[model_name]()
    if not t.accepts(f):
        pytest.skip(f"{t.name} does not apply to {model_name}")
    try:
        new_f, vmap = t.apply(f, np.random.default_rng(3))
    except NotApplicable:
        assert not t.equivalent, "equivalence-preserving transformations always apply when accepted"
        pytest.skip("no correctly labelled variant")
    inst = instantiate(new_f)
    assert sorted(inst.names) == sorted(vmap.new)  # the map names the variables the Formulation grounds to
    orig, new = to_flat(f), to_flat(new_f)
    so, sn = optimum(orig), optimum(new)
    assert so.optimal
    if t.name == "feasibility":  # same value by design; every feasible point is "optimal" in the variant
        flipped = orig.copy(sense="maximize" if orig.sense == "minimize" else "minimize")
        other = optimum(flipped).objective
        assert not np.any(new.c) and (other is None or not same_value(other, so.objective))
        return
    if not t.equivalent:
        assert not (sn.optimal and same_value(sn.objective, so.objective, 1e-5)), "label must be true"
        return
    assert sn.optimal
    values = t.invert(dict(zip(new.names, sn.x.tolist(), strict=True)), vmap)
    x = np.array([values[n] for n in orig.names])
    verdict = check_point(orig, x, so.objective)
    assert verdict.ok, verdict.evidence
    forward = vmap.new_values(dict(zip(orig.names, so.x.tolist(), strict=True)))
    assert forward is not None
    y = np.array([forward[n] for n in new.names])
    assert check_point(new, y, sn.objective).ok


def test_invert_accepts_results_and_arrays() -> None:
    t = transformation("split_free")
    f = production()
    new_f, vmap = t.apply(f, np.random.default_rng(0))
    sol = optimum(to_flat(new_f))
    by_array = t.invert(sol.x)
    assert set(by_array) == set(vmap.original)
    assert "terms" in next(iter(vmap.as_dict().values()))


def test_unknown_transformation() -> None:
    with pytest.raises(KeyError):
        transformation("nope")
