"""Embedded backend logic against a fake xllamacpp server (the real model is in test_embedded_slow.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optcopilot.llm import LLMError, LLMTimeout, embedded
from optcopilot.llm.embedded import EmbeddedBackend

SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
MESSAGES = [{"role": "user", "content": "x = 3"}]


class FakeServer:
    """Streams ``pieces`` like xllamacpp's ``handle_chat_completions`` does, with optional delays/errors."""

    def __init__(self, pieces: list[str], delay: float = 0.0, fail_first: Exception | None = None) -> None:
        self.pieces = pieces
        self.delay = delay
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []
        self.stopped_early = threading.Event()

    def handle_chat_completions(self, request: dict[str, Any], callback: Callable[[Any], bool]) -> None:
        self.requests.append(request)
        if self.fail_first is not None:
            error, self.fail_first = self.fail_first, None
            raise error
        chunks: list[dict[str, Any]] = [{"choices": [], "prompt_progress": {"total": 5, "processed": 0}}]
        chunks += [
            {"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in self.pieces
        ]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": len(self.pieces)}})
        for chunk in chunks:
            time.sleep(self.delay)
            if callback(chunk):
                self.stopped_early.set()
                return


@pytest.fixture
def fake(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., tuple[EmbeddedBackend, FakeServer]]:
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF....")

    def build(*args: Any, **kwargs: Any) -> tuple[EmbeddedBackend, FakeServer]:
        server = FakeServer(*args, **kwargs)
        monkeypatch.setattr(embedded, "load_server", lambda *a, **k: server)
        return EmbeddedBackend(model, n_ctx=1024), server

    return build


def test_streams_text_and_usage(fake: Callable[..., tuple[EmbeddedBackend, FakeServer]]) -> None:
    backend, server = fake(['{"x"', ": 3}"])
    response = backend.chat(MESSAGES, json_schema=SCHEMA, max_tokens=5000, seed=4)

    assert response.text == '{"x": 3}'
    assert (response.backend, response.model) == ("local", "tiny")
    assert (response.prompt_tokens, response.completion_tokens) == (9, 2)
    request = server.requests[0]
    assert request["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert request["max_tokens"] == 1024  # capped at the context size
    assert (request["seed"], request["temperature"], request["top_k"]) == (4, 0.0, 1)
    assert request["stream"] is True and request["return_progress"] is True
    assert request["messages"] == MESSAGES


def test_sampling_request_has_no_greedy_override(
    fake: Callable[..., tuple[EmbeddedBackend, FakeServer]],
) -> None:
    backend, server = fake(["hi"])
    backend.chat(MESSAGES, temperature=0.7)
    assert "top_k" not in server.requests[0] and "seed" not in server.requests[0]
    assert "response_format" not in server.requests[0]


def test_timeout_raises_and_cancels_generation(
    fake: Callable[..., tuple[EmbeddedBackend, FakeServer]],
) -> None:
    backend, server = fake(["a"] * 100, delay=0.05)
    start = time.monotonic()
    with pytest.raises(LLMTimeout, match=r"within 0\.3 s"):
        backend.chat(MESSAGES, timeout=0.3)
    assert time.monotonic() - start < 0.6
    assert server.stopped_early.wait(2.0)


def test_schema_rejected_falls_back_to_plain_json(
    fake: Callable[..., tuple[EmbeddedBackend, FakeServer]],
) -> None:
    backend, server = fake(["{}"], fail_first=ValueError("JSON schema error at #: unrecognized type bogus"))
    assert backend.chat(MESSAGES, json_schema={"type": "bogus"}).text == "{}"
    assert server.requests[1]["response_format"] == {"type": "json_object"}


def test_server_error_becomes_llm_error(fake: Callable[..., tuple[EmbeddedBackend, FakeServer]]) -> None:
    backend, _ = fake(["x"], fail_first=ValueError("context overflow"))
    with pytest.raises(LLMError, match="context overflow"):
        backend.chat(MESSAGES)


def test_error_chunk_becomes_llm_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class ErrorServer:
        def handle_chat_completions(self, request: dict[str, Any], callback: Callable[[Any], bool]) -> None:
            callback({"error": {"message": "bad request", "code": 400}})

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(embedded, "load_server", lambda *a, **k: ErrorServer())
    with pytest.raises(LLMError, match=r"llama\.cpp error: bad request"):
        EmbeddedBackend(model).chat(MESSAGES)


def test_load_server_loads_once_across_threads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    created: list[Path] = []

    def create(path: Path, *args: Any) -> object:
        time.sleep(0.1)
        created.append(path)
        return object()

    monkeypatch.setattr(embedded, "_create_server", create)
    monkeypatch.setattr(embedded, "_SERVERS", {})
    model = tmp_path / "m.gguf"
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(embedded.load_server(model))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(created) == 1 and len({id(r) for r in results}) == 1
    assert embedded.load_server(model, n_ctx=2048) is not results[0]


def test_default_model_joins_lazily(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "joined.gguf"
    model.write_bytes(b"GGUF")
    calls: list[object] = []

    def ensure(on_prepare: object) -> Path:
        calls.append(on_prepare)
        return model

    monkeypatch.setattr(embedded, "ensure_embedded_model", ensure)
    marker = object()
    backend = EmbeddedBackend(on_prepare=marker)  # type: ignore[arg-type]
    assert calls == []
    assert backend.model_path == model and backend.model_path == model
    assert calls == [marker]


def test_model_name_follows_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "my-model-q8_0.gguf"
    model.write_bytes(b"GGUF")
    assert EmbeddedBackend().model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    monkeypatch.setenv("OPTCOPILOT_MODEL_PATH", str(model))
    backend = EmbeddedBackend()
    assert (backend.model, backend.model_path) == ("my-model-q8_0", model)


def test_thread_count_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embedded.default_threads() == -1  # llama.cpp picks the physical core count
    monkeypatch.setenv("OPTCOPILOT_LLM_THREADS", "1")
    assert embedded.default_threads() == 1
    monkeypatch.setenv("OPTCOPILOT_LLM_THREADS", "many")
    with pytest.raises(LLMError, match="OPTCOPILOT_LLM_THREADS"):
        embedded.default_threads()
