"""Deterministic backend for tests: canned answers in order, or a rule computing each answer.

A script is a list whose entries are answer strings, ``{"text": "..."}``, ``{"timeout": true}`` (raise
LLMTimeout) or ``{"error": "message"}`` (raise LLMError). A JSON file holding such a list works too.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcopilot.llm.base import LLMError, LLMResponse, LLMTimeout, Message, check_messages

Rule = Callable[[list[Message], dict[str, Any] | None], "str | dict[str, Any]"]
"""A callable answering ``(messages, json_schema)`` with a string or a script entry dict."""


@dataclass
class ScriptedCall:
    """One request the scripted backend received."""

    messages: list[Message]
    json_schema: dict[str, Any] | None
    temperature: float
    max_tokens: int
    seed: int | None
    timeout: float | None
    grammar: str | None = None
    avoid_repeats: bool = False


class ScriptedBackend:
    """Return scripted answers in order and record every request (see ``calls`` / ``received``)."""

    name = "scripted"

    def __init__(self, answers: Sequence[str | dict[str, Any]] | Rule = (), *, model: str = "script",
                 continues_assistant: bool = False, avoids_repeats: bool = False) -> None:
        self.model = model
        # scripted answers are whole answers unless a test scripts the continuation of partial ones
        self.continues_assistant = continues_assistant
        self.avoids_repeats = avoids_repeats  # accept `avoid_repeats` (recorded; the script decides the text)
        self._rule: Rule | None = answers if callable(answers) else None
        self._answers: list[str | dict[str, Any]] = [] if callable(answers) else list(answers)
        self._next = 0
        self._lock = threading.Lock()
        self.calls: list[ScriptedCall] = []

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedBackend:
        """Load a JSON list of script entries from ``path``."""
        path = Path(path).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LLMError(f"Cannot read the script {path}: {exc.strerror}.") from exc
        except ValueError as exc:
            raise LLMError(f"The script {path} is not valid JSON: {exc}.") from exc
        if not isinstance(data, list):
            raise LLMError(f"The script {path} must hold a JSON list of answers.")
        return cls(data, model=path.name)

    @property
    def received(self) -> list[list[Message]]:
        """The messages of every call, in order."""
        return [call.messages for call in self.calls]

    @property
    def remaining(self) -> int:
        """How many scripted answers are left (0 for a rule)."""
        return len(self._answers) - self._next

    def chat(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 2048,
        seed: int | None = None,
        timeout: float | None = None,
        grammar: str | None = None,
        avoid_repeats: bool = False,
    ) -> LLMResponse:
        """Record the call and play the next scripted entry."""
        check_messages(messages)
        call = ScriptedCall(copy.deepcopy(messages), json_schema, temperature, max_tokens, seed, timeout, grammar,
                            avoid_repeats)
        with self._lock:
            self.calls.append(call)
            entry = self._take(messages, json_schema)
        return LLMResponse(text=_play(entry), backend=self.name, model=self.model)

    def _take(self, messages: list[Message], json_schema: dict[str, Any] | None) -> str | dict[str, Any]:
        if self._rule is not None:
            return self._rule(messages, json_schema)
        if self._next >= len(self._answers):
            raise LLMError(f"The scripted backend ran out of answers after {len(self._answers)} call(s).")
        entry = self._answers[self._next]
        self._next += 1
        return entry


def _play(entry: str | dict[str, Any]) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if entry.get("timeout"):
            raise LLMTimeout("The scripted backend timed out (scripted).")
        if "error" in entry:
            raise LLMError(str(entry["error"]))
        text = entry.get("text")
        if isinstance(text, str):
            return text
    raise LLMError(
        f"Bad scripted answer {entry!r:.80}; use a string, {{'text'}}, {{'timeout'}} or {{'error'}}."
    )
