"""Turn a spec string such as ``local``, ``openai:gpt-4o-mini`` or ``scripted:a.json`` into a backend."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcopilot.llm.base import LLMBackend, LLMError
from optcopilot.llm.cache import CachedBackend

SPEC_ENV = "OPTCOPILOT_LLM"
DEFAULT_SPEC = "local"
KINDS = ("local", "openai", "hf", "scripted")
SPEC_HELP = "use local, local:/path/model.gguf, openai:MODEL, hf:PATH_OR_ID or scripted:/path/answers.json"


@dataclass(frozen=True)
class BackendSpec:
    """A parsed spec: the backend ``kind`` and its ``target`` (model path, model name, or "")."""

    kind: str
    target: str = ""


def default_spec() -> str:
    """The spec from env ``OPTCOPILOT_LLM``, else "local"."""
    return os.environ.get(SPEC_ENV, "").strip() or DEFAULT_SPEC


def parse_spec(spec: str | None) -> BackendSpec:
    """Split ``KIND[:TARGET]`` (only the first colon counts); LLMError for unknown or incomplete specs."""
    text = (spec or "").strip() or default_spec()
    kind, _, target = text.partition(":")
    kind, target = kind.strip().lower(), target.strip()
    if kind not in KINDS:
        raise LLMError(f"Unknown LLM spec {text!r}; {SPEC_HELP}.")
    if kind in {"openai", "hf"} and not target:
        raise LLMError(f"LLM spec {text!r} needs a model after the colon; {SPEC_HELP}.")
    return BackendSpec(kind, target)


def make_backend(spec: str | None = None, *, cache: bool | str | Path = True, **options: Any) -> LLMBackend:
    """Build the backend for ``spec`` (None: env ``OPTCOPILOT_LLM`` or "local"), wrapped in the cache.

    ``cache``: True for the default SQLite cache (off for scripted backends), False for none, or a path.
    ``options`` go to the backend constructor (e.g. ``base_url``, ``api_key``, ``n_ctx``, ``answers`` for
    ``scripted``); ``on_prepare`` (called once before a first-run model join) is accepted for every kind.
    """
    parsed = parse_spec(spec)
    if parsed.kind != "local":
        options.pop("on_prepare", None)  # only the embedded model ever needs preparing
    try:
        backend = _build(parsed, options)
    except TypeError as exc:
        raise LLMError(f"Bad option for the {parsed.kind} backend: {exc}.") from exc
    if cache is False or (cache is True and parsed.kind == "scripted"):
        return backend
    return CachedBackend(backend, None if cache is True else Path(cache))


def _build(parsed: BackendSpec, options: dict[str, Any]) -> LLMBackend:
    if parsed.kind == "local":
        from optcopilot.llm.embedded import EmbeddedBackend

        return EmbeddedBackend(parsed.target or None, **options)
    if parsed.kind == "openai":
        from optcopilot.llm.openai_compat import OpenAIBackend

        return OpenAIBackend(parsed.target, **options)
    if parsed.kind == "hf":
        from optcopilot.llm.hf import HFBackend

        return HFBackend(parsed.target, **options)
    from optcopilot.llm.scripted import ScriptedBackend

    if parsed.target:
        if options:
            raise LLMError(
                "scripted:/path takes no options; pass answers=[...] with plain 'scripted' instead."
            )
        return ScriptedBackend.from_file(parsed.target)
    return ScriptedBackend(**options)
