"""hf backend flow with stand-in ``transformers``/``torch`` modules (no real torch needed)."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from typing import Any, ClassVar

import pytest

from optcopilot.llm import LLMError, LLMTimeout, hf

MESSAGES = [{"role": "user", "content": "x = 3"}]


class _Batch(dict):
    def to(self, device: str) -> _Batch:
        return self


class _Ids(list):
    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), len(self[0]))


class FakeTokenizer:
    pad_token_id = None
    eos_token_id = 0
    seen: ClassVar[list[list[dict[str, str]]]] = []

    @classmethod
    def from_pretrained(cls, model_id: str, **_: Any) -> FakeTokenizer:
        return cls()

    def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> _Batch:
        assert kwargs["add_generation_prompt"] and kwargs["return_dict"]
        FakeTokenizer.seen.append(messages)
        return _Batch(input_ids=_Ids([[1, 2, 3]]))

    def decode(self, tokens: list[int], skip_special_tokens: bool) -> str:
        return '{"x": 3}' if list(tokens) == [7, 8] else "?"


class FakeModel:
    device = "cpu"
    options: ClassVar[list[dict[str, Any]]] = []

    @classmethod
    def from_pretrained(cls, model_id: str, **_: Any) -> FakeModel:
        if model_id == "broken":
            raise OSError("broken is not a model\nmore details")
        return cls()

    def to(self, device: str) -> FakeModel:
        return self

    def eval(self) -> None:
        pass

    def generate(self, input_ids: list[list[int]], **options: Any) -> list[list[int]]:
        FakeModel.options.append(options)
        return [[*input_ids[0], 7, 8]]


@pytest.fixture
def fake_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(is_available=lambda: False)  # type: ignore[attr-defined]
    torch.inference_mode = contextlib.nullcontext  # type: ignore[attr-defined]
    transformers = types.ModuleType("transformers")
    transformers.AutoTokenizer = FakeTokenizer  # type: ignore[attr-defined]
    transformers.AutoModelForCausalLM = FakeModel  # type: ignore[attr-defined]
    transformers.set_seed = lambda seed: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "transformers", transformers)
    monkeypatch.setattr(hf, "_MODELS", {})
    FakeTokenizer.seen, FakeModel.options = [], []


@pytest.mark.usefixtures("fake_modules")
def test_greedy_chat_with_schema_hint() -> None:
    backend = hf.HFBackend("org/model")
    response = backend.chat(MESSAGES, json_schema={"type": "object"}, max_tokens=50)

    assert response.text == '{"x": 3}'
    assert (response.backend, response.model) == ("hf", "org/model")
    assert (response.prompt_tokens, response.completion_tokens) == (3, 2)
    assert FakeModel.options[0]["do_sample"] is False and FakeModel.options[0]["max_new_tokens"] == 50
    assert "temperature" not in FakeModel.options[0]
    assert "JSON schema" in FakeTokenizer.seen[0][-1]["content"]


@pytest.mark.usefixtures("fake_modules")
def test_sampling_and_time_limit_options() -> None:
    hf.HFBackend("org/model").chat(MESSAGES, temperature=0.5, seed=1, timeout=30)
    assert FakeModel.options[0]["do_sample"] is True
    assert (FakeModel.options[0]["temperature"], FakeModel.options[0]["max_time"]) == (0.5, 30)


@pytest.mark.usefixtures("fake_modules")
def test_timeout_when_generation_hits_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 100.0])
    monkeypatch.setattr(hf.time, "monotonic", lambda: next(ticks))
    with pytest.raises(LLMTimeout):
        hf.HFBackend("org/model").chat(MESSAGES, timeout=5, max_tokens=100)


@pytest.mark.usefixtures("fake_modules")
def test_load_failure_is_one_line_llm_error() -> None:
    with pytest.raises(LLMError, match=r"could not load broken: broken is not a model$"):
        hf.HFBackend("broken").chat(MESSAGES)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_real_transformers_importable() -> None:
    assert hf._import_transformers()
