"""SQLite response cache: hits, misses on any changed parameter, no caching of sampling, concurrency."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest

from optcopilot.llm import CachedBackend, LLMError, LLMTimeout, ScriptedBackend
from optcopilot.llm.cache import cache_key, default_cache_path

MESSAGES = [{"role": "user", "content": "x = 3"}]
SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}}


def _counting(tmp_path: Path) -> tuple[CachedBackend, ScriptedBackend]:
    inner = ScriptedBackend(lambda messages, schema: f"answer {len(inner.calls)}")
    return CachedBackend(inner, tmp_path / "c.sqlite"), inner


def test_hit_after_miss(tmp_path: Path) -> None:
    cached, inner = _counting(tmp_path)
    first = cached.chat(MESSAGES, json_schema=SCHEMA)
    second = cached.chat(MESSAGES, json_schema=SCHEMA)

    assert (first.cached, second.cached) == (False, True)
    assert first.text == second.text == "answer 1"
    assert (second.backend, second.model) == ("scripted", "script")
    assert len(inner.calls) == 1
    assert (cached.name, cached.model, len(cached)) == ("scripted", "script", 1)


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "x = 4"}]},
        {"json_schema": {"type": "object"}},
        {"json_schema": None},
        {"temperature": 0.5, "seed": 1},
        {"max_tokens": 10},
        {"seed": 7},
    ],
)
def test_any_changed_parameter_misses(tmp_path: Path, change: dict[str, Any]) -> None:
    cached, inner = _counting(tmp_path)
    base: dict[str, Any] = {
        "messages": MESSAGES,
        "json_schema": SCHEMA,
        "temperature": 0.0,
        "max_tokens": 100,
        "seed": None,
    }
    cached.chat(**base)
    response = cached.chat(**{**base, **change})
    assert not response.cached
    assert len(inner.calls) == 2


def test_key_depends_on_backend_and_model() -> None:
    args = (MESSAGES, None, 0.0, 100, None)
    assert (
        cache_key("local", "a", *args) != cache_key("openai", "a", *args) != cache_key("openai", "b", *args)
    )
    assert cache_key("local", "a", *args) == cache_key("local", "a", *args)


def test_sampling_without_seed_is_not_cached(tmp_path: Path) -> None:
    cached, inner = _counting(tmp_path)
    cached.chat(MESSAGES, temperature=0.7)
    assert not cached.chat(MESSAGES, temperature=0.7).cached
    assert len(inner.calls) == 2 and len(cached) == 0

    cached.chat(MESSAGES, temperature=0.7, seed=3)
    assert cached.chat(MESSAGES, temperature=0.7, seed=3).cached


def test_errors_are_not_cached(tmp_path: Path) -> None:
    inner = ScriptedBackend([{"timeout": True}, {"error": "nope"}, "ok"])
    cached = CachedBackend(inner, tmp_path / "c.sqlite")
    with pytest.raises(LLMTimeout):
        cached.chat(MESSAGES)
    with pytest.raises(LLMError, match="nope"):
        cached.chat(MESSAGES)
    assert cached.chat(MESSAGES).text == "ok"
    assert cached.chat(MESSAGES).cached


def test_persists_across_instances_and_clear(tmp_path: Path) -> None:
    CachedBackend(ScriptedBackend(["stored"]), tmp_path / "c.sqlite").chat(MESSAGES)
    again = CachedBackend(ScriptedBackend([]), tmp_path / "c.sqlite")
    assert again.chat(MESSAGES).text == "stored"
    again.clear()
    with pytest.raises(LLMError, match="ran out"):
        again.chat(MESSAGES)


def test_default_path_is_in_cache_dir(tmp_path: Path) -> None:
    assert default_cache_path() == tmp_path / "cache" / "llm_cache.sqlite"
    assert CachedBackend(ScriptedBackend([])).path == default_cache_path()


def test_broken_cache_never_fails_the_call(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    cached = CachedBackend(ScriptedBackend(["a", "b"]), blocker / "c.sqlite")
    assert cached.chat(MESSAGES).text == "a"
    assert cached.chat(MESSAGES).text == "b"
    assert "LLM cache" in caplog.text


def _writer(path: str, worker: int) -> None:
    backend = CachedBackend(ScriptedBackend(lambda messages, schema: messages[0]["content"]), path)
    for index in range(25):
        backend.chat([{"role": "user", "content": f"{worker}-{index}"}])
        backend.chat([{"role": "user", "content": "shared"}])


def test_concurrent_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    ctx: Any = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    procs = [ctx.Process(target=_writer, args=(path, worker)) for worker in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0] * 4
    cached = CachedBackend(ScriptedBackend([]), path)
    assert len(cached) == 4 * 25 + 1
    assert cached.chat([{"role": "user", "content": "3-24"}]).text == "3-24"
