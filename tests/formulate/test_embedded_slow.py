"""One real run of the embedded model on a tiny LP (slow: loads Qwen2.5-Coder-1.5B)."""

from __future__ import annotations

import os

import pytest

from optcopilot.formulate.pipeline import formulate_and_solve


@pytest.mark.slow
def test_embedded_model_solves_tiny_lp(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.environ.get("OPTCOPILOT_REAL_CACHE_DIR")
    if real:
        monkeypatch.setenv("OPTCOPILOT_CACHE_DIR", real)
    else:
        monkeypatch.delenv("OPTCOPILOT_CACHE_DIR", raising=False)  # share the joined model with normal runs
    from optcopilot.llm import make_backend

    backend = make_backend("local", cache=False)
    text = ("A farmer grows wheat and corn on 100 acres. Wheat earns $200 per acre and corn $300 per acre. "
            "Corn can use at most 40 acres. How many acres of each crop maximize the profit?")
    outcome = formulate_and_solve(text, backend, max_repairs=2, llm_timeout=900)
    assert outcome.result is not None, outcome.error
    assert outcome.result.objective == pytest.approx(24000.0)
