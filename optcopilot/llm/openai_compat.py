"""OpenAI-compatible HTTP backend (OpenAI, vLLM, Ollama, llama.cpp server, ...) via the ``openai`` client.

With a schema the first request asks for ``response_format={"type": "json_schema", ...}``; if the server
rejects that, the backend falls back to ``{"type": "json_object"}`` and then to no ``response_format`` (the
schema is then given in the prompt), and remembers the level that worked.
"""

from __future__ import annotations

import os
import time
from typing import Any

from optcopilot.llm.base import LLMError, LLMResponse, LLMTimeout, Message, check_messages
from optcopilot.llm.schema_hint import with_schema_hint

BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"
DUMMY_API_KEY = "sk-no-key-required"
SCHEMA_NAME = "formulation"
GRAMMAR_ENV = "OPTCOPILOT_OPENAI_GRAMMAR"
PREFILL_ENV = "OPTCOPILOT_OPENAI_PREFILL"
_FORMAT_LEVELS = ("json_schema", "json_object", "none")
_REJECTED_STATUSES = {400, 404, 415, 422, 500, 501}


class OpenAIBackend:
    """Chat with a model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 2,
    ) -> None:
        if not model:
            raise LLMError("The openai backend needs a model name: --llm openai:MODEL.")
        try:
            import openai
        except ImportError as exc:
            raise LLMError("The openai backend needs the 'openai' package: pip install openai.") from exc
        self._openai = openai
        self.model = model
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        key = api_key or os.environ.get(API_KEY_ENV) or DUMMY_API_KEY
        self.max_retries = max_retries
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, max_retries=max_retries)
        self.format_level = 0
        # llama.cpp's server takes a GBNF `grammar` and continues a final assistant message; others may not,
        # so both are opt-in (the pipeline then writes the model in one answer and our reader checks it)
        self.send_grammar = os.environ.get(GRAMMAR_ENV, "").strip() == "1"
        self.continues_assistant = os.environ.get(PREFILL_ENV, "").strip() == "1"
        """Index into ("json_schema", "json_object", "none"): the richest format this server accepted."""

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
        """Send ``messages``; with ``json_schema`` ask for schema-shaped JSON, downgrading if rejected."""
        check_messages(messages)
        start = time.monotonic()
        base: dict[str, Any] = {"model": self.model, "temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            base["seed"] = seed
        client = self._client if timeout is None else self._client.with_options(max_retries=0)
        if json_schema is None:
            if grammar is not None and self.send_grammar:
                base["extra_body"] = {"grammar": grammar}
            completion = self._create(client, {**base, "messages": messages}, timeout, start)
        else:
            completion = self._create_with_schema(client, base, messages, json_schema, timeout, start)
        return self._response(completion, start)

    def _create_with_schema(
        self,
        client: Any,
        base: dict[str, Any],
        messages: list[Message],
        schema: dict[str, Any],
        timeout: float | None,
        start: float,
    ) -> Any:
        level = self.format_level
        while True:
            request = {**base, **self._format_args(_FORMAT_LEVELS[level], messages, schema)}
            try:
                completion = self._create(client, request, timeout, start, raw=True)
            except self._openai.APIStatusError as exc:
                if exc.status_code not in _REJECTED_STATUSES or level + 1 >= len(_FORMAT_LEVELS):
                    raise self._status_error(exc) from exc
                level += 1
                continue
            self.format_level = level
            return completion

    @staticmethod
    def _format_args(level: str, messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
        if level == "json_schema":
            return {
                "messages": messages,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": SCHEMA_NAME, "schema": schema},
                },
            }
        hinted = with_schema_hint(messages, schema)
        if level == "json_object":
            return {"messages": hinted, "response_format": {"type": "json_object"}}
        return {"messages": hinted}

    def _create(
        self, client: Any, request: dict[str, Any], timeout: float | None, start: float, raw: bool = False
    ) -> Any:
        if timeout is not None:
            remaining = timeout - (time.monotonic() - start)
            if remaining <= 0:
                raise LLMTimeout(f"No answer from {self._where()} within {timeout:g} s.")
            client = client.with_options(timeout=remaining)
        try:
            return client.chat.completions.create(**request)
        except self._openai.APITimeoutError as exc:
            raise LLMTimeout(f"No answer from {self._where()} within {timeout or 600:g} s.") from exc
        except self._openai.APIStatusError as exc:
            if raw:
                raise
            raise self._status_error(exc) from exc
        except self._openai.APIConnectionError as exc:
            raise LLMError(f"Cannot reach {self._where()}: {str(exc).rstrip('.')}.") from exc
        except self._openai.OpenAIError as exc:
            raise LLMError(f"Request to {self._where()} failed: {str(exc).rstrip('.')}.") from exc

    def _status_error(self, exc: Any) -> LLMError:
        detail = str(getattr(exc, "message", exc)).splitlines()[0][:300]
        return LLMError(f"HTTP {exc.status_code} from {self._where()}: {detail}")

    def _where(self) -> str:
        return f"the OpenAI-compatible server {self.base_url or 'api.openai.com'} (model {self.model})"

    def _response(self, completion: Any, start: float) -> LLMResponse:
        choices = getattr(completion, "choices", None) or []
        if not choices:
            raise LLMError(f"No choices in the answer from {self._where()}.")
        message = choices[0].message
        usage = getattr(completion, "usage", None)
        return LLMResponse(
            text=(message.content if message is not None else None) or "",
            backend=self.name,
            model=self.model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            seconds=time.monotonic() - start,
        )
