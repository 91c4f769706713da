"""The LLM interface every backend implements: errors, the response record and the backend protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]
"""One chat message, OpenAI style: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""


class LLMError(Exception):
    """Any failure of the LLM layer; the message is one user-readable line."""


class LLMTimeout(LLMError):
    """The backend did not answer within the requested time."""


@dataclass
class LLMResponse:
    """The text a backend produced, with where it came from and what it cost."""

    text: str
    backend: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cached: bool = False
    reused_prompt_tokens: int = 0  # prompt tokens the backend served from its own prompt (KV) cache
    prompt_seconds: float = 0.0  # the backend's own timing of prompt processing (llama.cpp), where it has one
    generation_seconds: float = 0.0  # ... and of generation


@runtime_checkable
class LLMBackend(Protocol):
    """A chat model; ``name`` is the backend kind ("local", "openai", "hf", "scripted")."""

    name: str
    model: str

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
    ) -> LLMResponse:
        """Answer ``messages``; with ``json_schema`` the text is JSON meant to fit that schema.

        ``grammar`` (GBNF) constrains decoding where the backend can (llama.cpp); others ignore it and the
        caller's reader checks the text as always. When the last message is the assistant's, backends whose
        ``continues_assistant`` is true continue that message instead of starting a new one.
        """
        ...


def check_messages(messages: list[Message]) -> None:
    """Raise LLMError unless ``messages`` is a non-empty list of role/content string dicts."""
    if not messages:
        raise LLMError("No messages to send to the model.")
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise LLMError(
                f"Bad chat message (need a dict with string 'role' and 'content'): {message!r:.80}"
            )
        if message.get("role") not in {"system", "user", "assistant"}:
            raise LLMError(f"Bad chat message role {message.get('role')!r}; use system, user or assistant.")
