"""Spec parsing and make_backend: every backend kind, cache wrapping, env defaults and bad specs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from optcopilot.llm import (
    BackendSpec,
    CachedBackend,
    LLMBackend,
    LLMError,
    ScriptedBackend,
    base,
    default_spec,
    make_backend,
    parse_spec,
)
from optcopilot.llm.embedded import EmbeddedBackend
from optcopilot.llm.openai_compat import OpenAIBackend

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", BackendSpec("local", "")),
        ("local:/models/m.gguf", BackendSpec("local", "/models/m.gguf")),
        (" LOCAL : ~/m.gguf ", BackendSpec("local", "~/m.gguf")),
        ("openai:gpt-4o-mini", BackendSpec("openai", "gpt-4o-mini")),
        ("openai:qwen2.5-coder:1.5b", BackendSpec("openai", "qwen2.5-coder:1.5b")),
        ("hf:Qwen/Qwen2.5-Coder-1.5B-Instruct", BackendSpec("hf", "Qwen/Qwen2.5-Coder-1.5B-Instruct")),
        ("scripted:/tmp/a.json", BackendSpec("scripted", "/tmp/a.json")),
        ("scripted", BackendSpec("scripted", "")),
        (r"local:C:\models\m.gguf", BackendSpec("local", r"C:\models\m.gguf")),
    ],
)
def test_parse_spec(spec: str, expected: BackendSpec) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("gpt-4", "Unknown LLM spec 'gpt-4'; use local"),
        ("ollama:qwen", "Unknown LLM spec"),
        ("openai", "needs a model"),
        ("openai:", "needs a model"),
        ("hf:", "needs a model"),
    ],
)
def test_bad_specs(spec: str, match: str) -> None:
    with pytest.raises(LLMError, match=match):
        parse_spec(spec)
    with pytest.raises(LLMError, match=match):
        make_backend(spec)


def test_default_spec_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_spec() == "local"
    assert parse_spec(None) == parse_spec("") == BackendSpec("local")
    monkeypatch.setenv("OPTCOPILOT_LLM", "openai:m")
    assert default_spec() == "openai:m"
    assert parse_spec(None) == BackendSpec("openai", "m")


def test_scripted_is_not_cached_by_default(tmp_path: Path) -> None:
    backend = make_backend("scripted", answers=["a"])
    assert isinstance(backend, ScriptedBackend)
    assert isinstance(backend, LLMBackend)

    cached = make_backend("scripted", answers=["a"], cache=tmp_path / "x.sqlite")
    assert isinstance(cached, CachedBackend) and cached.path == tmp_path / "x.sqlite"
    assert isinstance(cached, LLMBackend)


def test_scripted_from_file(tmp_path: Path) -> None:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(["from file"]))
    backend = make_backend(f"scripted:{script}")
    assert backend.chat(MESSAGES).text == "from file"
    with pytest.raises(LLMError, match="takes no options"):
        make_backend(f"scripted:{script}", answers=["x"])


def test_openai_cached_by_default_in_cache_dir(tmp_path: Path) -> None:
    backend = make_backend("openai:m", base_url="http://127.0.0.1:9/v1")
    assert isinstance(backend, CachedBackend)
    assert backend.path == tmp_path / "cache" / "llm_cache.sqlite"
    assert isinstance(backend.inner, OpenAIBackend)
    assert (backend.name, backend.model, backend.inner.base_url) == ("openai", "m", "http://127.0.0.1:9/v1")
    assert isinstance(make_backend("openai:m", cache=False), OpenAIBackend)


def test_local_backend_is_lazy(tmp_path: Path) -> None:
    backend = make_backend(f"local:{tmp_path / 'model.gguf'}", cache=False, n_ctx=2048)
    assert isinstance(backend, EmbeddedBackend)
    assert (backend.name, backend.model, backend.n_ctx) == ("local", "model", 2048)
    default = make_backend("local", cache=False)
    assert default.model == "qwen2.5-coder-1.5b-instruct-q4_k_m"


def test_local_missing_file_explains_official_download(tmp_path: Path) -> None:
    backend = make_backend(f"local:{tmp_path / 'missing.gguf'}", cache=False)
    with pytest.raises(
        LLMError, match=r"not found.*huggingface-cli download Qwen/Qwen2\.5-Coder-1\.5B-Instruct-GGUF"
    ):
        backend.chat(MESSAGES)


def test_local_non_gguf_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(LLMError, match="not a GGUF model file"):
        make_backend(f"local:{fake}", cache=False).chat(MESSAGES)


def test_unknown_option_is_llm_error() -> None:
    with pytest.raises(LLMError, match="Bad option for the openai backend"):
        make_backend("openai:m", temperature_default=3)


def test_on_prepare_is_accepted_for_every_kind() -> None:
    def hook() -> None:
        raise AssertionError("not called by construction")

    assert isinstance(make_backend("scripted", answers=[], on_prepare=hook), ScriptedBackend)
    assert isinstance(make_backend("openai:m", cache=False, on_prepare=hook), OpenAIBackend)
    local = make_backend("local", cache=False, on_prepare=hook)
    assert local._on_prepare is hook  # type: ignore[attr-defined]


def test_backends_are_built_by_the_factory_only() -> None:
    """`llm.base` is the floor every backend imports; it must not reach up to the factory (no circle)."""
    import optcopilot.llm as package
    from optcopilot.llm import factory

    assert package.make_backend is factory.make_backend
    assert not hasattr(base, "make_backend")
    assert isinstance(package.make_backend("scripted", answers=[]), ScriptedBackend)


@pytest.mark.skipif(importlib.util.find_spec("transformers") is not None, reason="transformers is installed")
def test_hf_without_transformers_says_what_to_install() -> None:
    with pytest.raises(LLMError, match=r"optcopilot\[hf\]"):
        make_backend("hf:/models/some-model", cache=False)
