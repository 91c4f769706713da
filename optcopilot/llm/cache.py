"""SQLite response cache that wraps any backend.

Keys are the SHA-256 of (backend, model, messages, schema, temperature, max_tokens, seed). Sampling calls
(temperature > 0 without a seed) are never cached. WAL mode and one short transaction per operation keep it
safe for several processes; a broken cache only logs a warning and never fails a call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from optcopilot.llm.base import LLMBackend, LLMResponse, Message
from optcopilot.llm.paths import cache_dir

CACHE_FILENAME = "llm_cache.sqlite"
_LOG = logging.getLogger(__name__)
_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    """``<cache dir>/llm_cache.sqlite``."""
    return cache_dir() / CACHE_FILENAME


def cache_key(
    backend: str,
    model: str,
    messages: list[Message],
    json_schema: dict[str, Any] | None,
    temperature: float,
    max_tokens: int,
    seed: int | None,
    grammar: str | None = None,
    avoid_repeats: bool = False,
) -> str:
    """SHA-256 hex digest identifying one request."""
    payload = {
        "backend": backend,
        "model": model,
        "messages": messages,
        "schema": json_schema,
        "temperature": float(temperature),
        "max_tokens": int(max_tokens),
        "seed": seed,
    }
    if grammar is not None:  # only then, so keys of earlier requests stay valid
        payload["grammar"] = grammar
    if avoid_repeats:
        payload["avoid_repeats"] = True
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedBackend:
    """A backend that answers repeated requests from SQLite; hits come back with ``cached=True``."""

    def __init__(self, inner: LLMBackend, path: str | Path | None = None) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.model: str = inner.model
        self.continues_assistant: bool = bool(getattr(inner, "continues_assistant", False))
        self.avoids_repeats: bool = bool(getattr(inner, "avoids_repeats", False))
        self.path = Path(path).expanduser() if path else default_cache_path()
        self._ready = False

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
        """Return the cached answer if there is one, else ask the wrapped backend and store its answer."""
        kwargs: dict[str, Any] = {
            "json_schema": json_schema,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "timeout": timeout,
            "grammar": grammar,
        }
        if avoid_repeats:  # only backends that take it (`avoids_repeats`) are asked with it
            kwargs["avoid_repeats"] = True
        if temperature > 0 and seed is None:
            return self.inner.chat(messages, **kwargs)
        start = time.monotonic()
        key = cache_key(self.name, self.model, messages, json_schema, temperature, max_tokens, seed, grammar,
                        avoid_repeats)
        hit = self._get(key)
        if hit is not None:
            hit.seconds = time.monotonic() - start
            return hit
        response = self.inner.chat(messages, **kwargs)
        self._put(key, response)
        return response

    def clear(self) -> None:
        """Delete every cached response."""
        with self._connect() as conn:
            conn.execute("DELETE FROM responses")

    def __len__(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def _get(self, key: str) -> LLMResponse | None:
        try:
            with self._connect() as conn:
                row = conn.execute(
                    "SELECT backend, model, text, prompt_tokens, completion_tokens FROM responses "
                    "WHERE key = ?",
                    (key,),
                ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            _LOG.warning("LLM cache %s unreadable, skipping it: %s", self.path, exc)
            return None
        if row is None:
            return None
        backend, model, text, prompt_tokens, completion_tokens = row
        return LLMResponse(text, backend, model, prompt_tokens, completion_tokens, 0.0, cached=True)

    def _put(self, key: str, response: LLMResponse) -> None:
        row = (
            key,
            response.backend,
            response.model,
            response.text,
            response.prompt_tokens,
            response.completion_tokens,
            response.seconds,
            time.time(),
        )
        try:
            with self._connect() as conn:
                conn.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        except (sqlite3.Error, OSError) as exc:
            _LOG.warning("LLM cache %s unwritable, not storing: %s", self.path, exc)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0)
        try:
            if not self._ready:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA_SQL)
                self._ready = True
            with conn:
                yield conn
        finally:
            conn.close()
