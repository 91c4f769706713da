"""Scripted backend: ordered answers, recording, scripted timeouts and errors, files and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optcopilot.llm import LLMBackend, LLMError, LLMTimeout, ScriptedBackend

MESSAGES = [{"role": "user", "content": "hi"}]


def test_answers_in_order_and_recorded() -> None:
    backend = ScriptedBackend(["one", {"text": "two"}])
    assert isinstance(backend, LLMBackend)

    first = backend.chat(MESSAGES, max_tokens=5)
    second = backend.chat([{"role": "user", "content": "again"}], json_schema={"type": "object"}, seed=3)

    assert (first.text, second.text) == ("one", "two")
    assert (first.backend, first.model, first.cached) == ("scripted", "script", False)
    assert backend.received == [MESSAGES, [{"role": "user", "content": "again"}]]
    assert backend.calls[0].max_tokens == 5
    assert (backend.calls[1].json_schema, backend.calls[1].seed) == ({"type": "object"}, 3)
    assert backend.remaining == 0


def test_recorded_messages_are_copies() -> None:
    backend = ScriptedBackend(["a"])
    messages = [{"role": "user", "content": "original"}]
    backend.chat(messages)
    messages[0]["content"] = "changed"
    assert backend.received[0][0]["content"] == "original"


def test_timeout_and_error_entries() -> None:
    backend = ScriptedBackend([{"timeout": True}, {"error": "model exploded"}, "fine"])
    with pytest.raises(LLMTimeout):
        backend.chat(MESSAGES)
    with pytest.raises(LLMError, match="model exploded"):
        backend.chat(MESSAGES)
    assert backend.chat(MESSAGES).text == "fine"
    assert len(backend.calls) == 3


def test_exhausted_raises() -> None:
    backend = ScriptedBackend(["only"])
    backend.chat(MESSAGES)
    with pytest.raises(LLMError, match="ran out of answers after 1 call"):
        backend.chat(MESSAGES)


def test_bad_entry_and_bad_messages() -> None:
    with pytest.raises(LLMError, match="Bad scripted answer"):
        ScriptedBackend([42]).chat(MESSAGES)  # type: ignore[list-item]
    with pytest.raises(LLMError, match="No messages"):
        ScriptedBackend(["x"]).chat([])
    with pytest.raises(LLMError, match="role"):
        ScriptedBackend(["x"]).chat([{"role": "robot", "content": "x"}])


def test_rule_callable_sees_messages_and_schema() -> None:
    def rule(messages: list[dict[str, str]], schema: dict | None) -> str:
        return json.dumps({"echo": messages[-1]["content"], "schema": schema is not None})

    backend = ScriptedBackend(rule)
    assert json.loads(backend.chat(MESSAGES, json_schema={}).text) == {"echo": "hi", "schema": True}
    assert json.loads(backend.chat(MESSAGES).text)["schema"] is False


def test_rule_may_return_timeout_entry() -> None:
    with pytest.raises(LLMTimeout):
        ScriptedBackend(lambda messages, schema: {"timeout": True}).chat(MESSAGES)


def test_from_file(tmp_path: Path) -> None:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(["a", {"timeout": True}]))
    backend = ScriptedBackend.from_file(script)
    assert backend.model == "answers.json"
    assert backend.chat(MESSAGES).text == "a"
    with pytest.raises(LLMTimeout):
        backend.chat(MESSAGES)


@pytest.mark.parametrize(("content", "match"), [("{", "not valid JSON"), ('{"a": 1}', "JSON list")])
def test_from_bad_file(tmp_path: Path, content: str, match: str) -> None:
    script = tmp_path / "bad.json"
    script.write_text(content)
    with pytest.raises(LLMError, match=match):
        ScriptedBackend.from_file(script)
    with pytest.raises(LLMError, match="Cannot read"):
        ScriptedBackend.from_file(tmp_path / "missing.json")
