"""OpenAI-compatible backend against a real HTTP server on 127.0.0.1 started by the test."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from optcopilot.llm import make_backend
from optcopilot.llm.base import LLMError, LLMTimeout
from optcopilot.llm.openai_compat import OpenAIBackend

SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "x = 3"}]


@dataclass
class FakeServer:
    """What the fake endpoint saw, and how it should behave."""

    base_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    reject_formats: set[str] = field(default_factory=set)
    sleep: float = 0.0
    status: int = 200
    answer: str = '{"x": 3}'


def _handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            if state.sleep:
                time.sleep(state.sleep)
            kind = (body.get("response_format") or {}).get("type", "none")
            if kind in state.reject_formats:
                return self._send(400, {"error": {"message": f"response_format {kind} unsupported"}})
            if state.status != 200:
                return self._send(state.status, {"error": {"message": "boom"}})
            return self._send(200, _completion(body, state.answer))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            with contextlib.suppress(OSError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    return Handler


def _completion(body: dict[str, Any], answer: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
    }


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _backend(server: FakeServer, **options: Any) -> OpenAIBackend:
    return OpenAIBackend("test-model", base_url=server.base_url, max_retries=0, **options)


def test_plain_chat_sends_params_and_reports_usage(server: FakeServer) -> None:
    server.answer = "hello"
    response = _backend(server).chat(MESSAGES, temperature=0.0, max_tokens=77, seed=5)

    assert response.text == "hello"
    assert (response.backend, response.model) == ("openai", "test-model")
    assert (response.prompt_tokens, response.completion_tokens) == (11, 5)
    assert response.seconds > 0 and not response.cached
    body = server.requests[0]
    assert body["messages"] == MESSAGES
    assert (body["model"], body["max_tokens"], body["seed"], body["temperature"]) == (
        "test-model",
        77,
        5,
        0.0,
    )
    assert "response_format" not in body


def test_schema_uses_json_schema_response_format(server: FakeServer) -> None:
    backend = _backend(server)
    assert json.loads(backend.chat(MESSAGES, json_schema=SCHEMA).text) == {"x": 3}
    assert server.requests[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "formulation", "schema": SCHEMA},
    }
    assert server.requests[0]["messages"] == MESSAGES
    assert backend.format_level == 0


def test_schema_downgrades_to_json_object_and_remembers(server: FakeServer) -> None:
    server.reject_formats = {"json_schema"}
    backend = _backend(server)

    assert backend.chat(MESSAGES, json_schema=SCHEMA).text == '{"x": 3}'
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]
    assert "JSON schema" in server.requests[1]["messages"][-1]["content"]

    backend.chat(MESSAGES, json_schema=SCHEMA)
    assert server.requests[2]["response_format"] == {"type": "json_object"}
    assert len(server.requests) == 3


def test_schema_downgrades_to_no_response_format(server: FakeServer) -> None:
    server.reject_formats = {"json_schema", "json_object"}
    backend = _backend(server)

    backend.chat(MESSAGES, json_schema=SCHEMA)
    backend.chat(MESSAGES, json_schema=SCHEMA)

    kinds = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", "json_object", None, None]
    assert backend.format_level == 2
    assert '"x"' in server.requests[-1]["messages"][-1]["content"]


def test_downgrade_is_per_instance(server: FakeServer) -> None:
    server.reject_formats = {"json_schema"}
    _backend(server).chat(MESSAGES, json_schema=SCHEMA)
    server.reject_formats = set()
    _backend(server).chat(MESSAGES, json_schema=SCHEMA)
    assert server.requests[-1]["response_format"]["type"] == "json_schema"


def test_timeout_raises_quickly(server: FakeServer) -> None:
    server.sleep = 3.0
    start = time.monotonic()
    with pytest.raises(
        LLMTimeout,
        match=r"^No answer from the OpenAI-compatible .* within 0\.3 s\.$",
    ):
        _backend(server).chat(MESSAGES, timeout=0.3)
    assert time.monotonic() - start < 2.0
    assert len(server.requests) == 1  # no retries once a timeout is given


def test_timeout_during_schema_downgrade(server: FakeServer) -> None:
    server.sleep = 3.0
    server.reject_formats = {"json_schema"}
    start = time.monotonic()
    with pytest.raises(LLMTimeout):
        OpenAIBackend("m", base_url=server.base_url).chat(MESSAGES, json_schema=SCHEMA, timeout=0.3)
    assert time.monotonic() - start < 2.0


def test_server_error_is_llm_error(server: FakeServer) -> None:
    server.status = 503
    with pytest.raises(LLMError, match="HTTP 503") as info:
        _backend(server).chat(MESSAGES)
    assert not isinstance(info.value, LLMTimeout)


def test_unreachable_server_is_llm_error() -> None:
    with pytest.raises(LLMError, match="Cannot reach"):
        OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", max_retries=0).chat(MESSAGES)


def test_env_base_url_and_dummy_key(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    backend = make_backend("openai:qwen2.5-coder:1.5b", cache=False, max_retries=0)

    assert backend.chat(MESSAGES).text == '{"x": 3}'
    assert server.requests[0]["model"] == "qwen2.5-coder:1.5b"
    assert server.headers[0]["authorization"] == "Bearer sk-no-key-required"


def test_api_key_from_env(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    _backend(server).chat(MESSAGES)
    assert server.headers[0]["authorization"] == "Bearer sk-secret"


def test_cached_openai_backend_hits(server: FakeServer) -> None:
    backend = make_backend("openai:test-model", base_url=server.base_url, max_retries=0)
    first = backend.chat(MESSAGES, json_schema=SCHEMA)
    second = backend.chat(MESSAGES, json_schema=SCHEMA)
    assert (first.cached, second.cached) == (False, True)
    assert second.text == first.text
    assert len(server.requests) == 1
