"""In-process llama.cpp backend (``xllamacpp``) running the embedded Qwen2.5-Coder-1.5B-Instruct GGUF.

The model is loaded lazily, once per process and path, and shared by all backend instances. llama.cpp logging
is switched off with ``CommonParams.verbosity = 0`` (set ``verbose=True`` to see it). The embedded server also
listens on a random 127.0.0.1 port; a random API key keeps other local processes out of it.

To use the official model file instead of the bundled parts (where a network exists)::

    huggingface-cli download Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
        --local-dir DIR
    optcopilot ... --llm local:DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Requests use xllamacpp's OpenAI-style ``handle_chat_completions`` in streaming mode, so a timeout can stop
generation between tokens; schemas go in ``response_format={"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optcopilot.llm.prefix_state as prefix_state
from optcopilot.llm.base import LLMError, LLMResponse, LLMTimeout, Message, check_messages
from optcopilot.llm.weights import (
    MODEL_FILENAME,
    MODEL_PATH_ENV,
    MODEL_SHA256,
    OFFICIAL_MODEL_HINT,
    ensure_embedded_model,
    is_verified,
)

DEFAULT_N_CTX = 8192
_PROMPT_CACHE_MIB = 512
_N_BATCH = 512  # prompt chunk size; progress (and so cancellation) happens between chunks
THREADS_ENV = "OPTCOPILOT_LLM_THREADS"
DRY_ALLOWED_LENGTH = 12
DRY_SAMPLING = {"dry_multiplier": 0.8, "dry_base": 1.75, "dry_allowed_length": DRY_ALLOWED_LENGTH,
                "dry_penalty_last_n": DEFAULT_N_CTX, "dry_sequence_breakers": ["```"]}
"""llama.cpp's DRY ("don't repeat yourself") sampler settings for ``avoid_repeats``: only the code fence breaks
a run (it needs one breaker), so a repeated run is measured across lines and quotes."""

_SERVERS: dict[tuple[str, int, int, bool], Any] = {}
_SERVERS_LOCK = threading.Lock()
_SLOT_KEYS: dict[int, str] = {}  # id(server) -> the API key of its HTTP endpoint (slot save/restore)
_SLOT_PREFIX: dict[int, str | None] = {}  # id(server) -> SHA-256 of the system message its slot starts with
KV_LAYOUT = f"kv=f16/f16;batch={_N_BATCH}"
"""The settings that shape a saved KV state besides model, prefix, context and build (`prefix_state`)."""


def default_threads() -> int:
    """Threads for llama.cpp: env ``OPTCOPILOT_LLM_THREADS``, else -1 (llama.cpp uses the physical cores).

    On a machine busy with other work (e.g. several model processes on 2 cores) 1 thread, or
    ``OMP_WAIT_POLICY=PASSIVE`` set before start-up, is several times faster than spinning on all cores.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return -1
    try:
        return max(1, int(value))
    except ValueError as exc:
        raise LLMError(f"{THREADS_ENV} must be a whole number of threads, not {value!r}.") from exc


def load_server(
    path: Path,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    verbose: bool = False,
    low_memory: bool = False,
) -> Any:
    """The shared ``xllamacpp.Server`` for this model file, loading it on first use (thread-safe)."""
    threads = n_threads or default_threads()
    key = (str(Path(path).resolve()), n_ctx, threads, low_memory)
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        if server is None:
            server = _SERVERS[key] = _create_server(Path(key[0]), n_ctx, threads, verbose, low_memory)
        return server


def _create_server(path: Path, n_ctx: int, threads: int, verbose: bool, low_memory: bool) -> Any:
    _check_gguf(path)
    try:
        import xllamacpp
    except ImportError as exc:
        raise LLMError("The embedded backend needs the 'xllamacpp' package: pip install xllamacpp.") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.n_batch = _N_BATCH
    params.n_ubatch = _N_BATCH
    params.no_extra_bufts = low_memory  # skip repacked weight copies: ~600 MB less RAM, ~30% slower
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = 3 if verbose else 0
    params.cache_ram_mib = _PROMPT_CACHE_MIB
    params.api_keys = [secrets.token_hex(16)]
    params.endpoint_slots = True  # slot save/restore of the fixed prompt prefix (`prefix_state`)
    params.slot_save_path = str(prefix_state.state_dir()) + os.sep  # llama.cpp appends the file name as is
    try:
        server = xllamacpp.Server(params)
    except (RuntimeError, ValueError) as exc:
        raise LLMError(f"llama.cpp could not load {path} ({exc}); is it a complete chat GGUF model?") from exc
    _SLOT_KEYS[id(server)] = params.api_keys[0]
    return server


@dataclass(frozen=True)
class _HttpSlots:
    """Slot 0 save/restore through the embedded server's own HTTP endpoint (loopback, random API key)."""

    address: str
    api_key: str

    def _post(self, action: str, filename: str) -> dict[str, Any]:
        import json
        import urllib.request

        host = self.address if "://" in self.address else f"http://{self.address}"
        request = urllib.request.Request(
            f"{host}/slots/0?action={action}", data=json.dumps({"filename": filename}).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            body: dict[str, Any] = json.loads(response.read())
        return body

    def save(self, filename: str) -> int:
        return int(self._post("save", filename)["n_saved"])

    def restore(self, filename: str) -> int:
        return int(self._post("restore", filename)["n_restored"])


def _check_gguf(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise LLMError(f"Model file {path} cannot be read ({exc.strerror}); {OFFICIAL_MODEL_HINT}.") from exc
    if magic != b"GGUF":
        raise LLMError(f"{path} is not a GGUF model file; {OFFICIAL_MODEL_HINT}.")


@dataclass
class _Stream:
    """Collects streamed chunks; ``cancel`` makes the next chunk stop generation."""

    parts: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    error: BaseException | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def on_chunk(self, chunk: Any) -> bool:
        if isinstance(chunk, dict):
            if chunk.get("error"):
                self.error = LLMError(f"llama.cpp error: {_error_text(chunk['error'])}")
                return True
            if chunk.get("usage"):
                self.usage = chunk["usage"]
            if chunk.get("timings"):
                self.timings = chunk["timings"]
            for choice in chunk.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    self.parts.append(content)
                self.finish_reason = choice.get("finish_reason") or self.finish_reason
        return self.cancel.is_set()


def _system_sha(messages: list[Message]) -> str | None:
    """SHA-256 of a system message long enough to be worth a saved state, else None."""
    first = messages[0] if messages else None
    if first is None or first["role"] != "system" or len(first["content"]) < prefix_state.MIN_PREFIX_CHARS:
        return None
    return prefix_state.prefix_sha256(first["content"])


def _error_text(error: Any) -> str:
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


class EmbeddedBackend:
    """Chat with a local GGUF model through llama.cpp, in this process."""

    name = "local"
    continues_assistant = True  # llama.cpp continues a final assistant message (prefill)
    avoids_repeats = True  # llama.cpp's DRY sampler (see `chat`)

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        verbose: bool = False,
        low_memory: bool = False,
        on_prepare: Callable[[], None] | None = None,
    ) -> None:
        self._explicit_path = Path(model_path).expanduser() if model_path else None
        self._on_prepare = on_prepare
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.verbose = verbose
        self.low_memory = low_memory
        override = os.environ.get(MODEL_PATH_ENV, "").strip()
        known = self._explicit_path or (Path(override) if override else None)
        self.model = known.stem if known else Path(MODEL_FILENAME).stem
        self._path: Path | None = None

    @property
    def model_path(self) -> Path:
        """The GGUF file in use (joins the embedded model on first access)."""
        if self._path is None:
            if self._explicit_path is not None:
                if not self._explicit_path.is_file():
                    raise LLMError(f"Model file {self._explicit_path} not found; {OFFICIAL_MODEL_HINT}.")
                self._path = self._explicit_path
            else:
                self._path = ensure_embedded_model(self._on_prepare)
        return self._path

    def load(self) -> Any:
        """Load the model now (otherwise it loads on the first chat)."""
        return load_server(self.model_path, self.n_ctx, self.n_threads, self.verbose, self.low_memory)

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
        """Answer ``messages`` with the local model; ``json_schema`` constrains decoding to that schema.

        ``avoid_repeats`` turns on llama.cpp's DRY sampler over the whole context: continuing a run of more than
        `DRY_ALLOWED_LENGTH` tokens that already occurs in the context (e.g. a rejected answer quoted in the
        prompt) is penalized more with every further token.
        """
        check_messages(messages)
        server = self.load()  # loading (seconds, once per process) is not counted against the timeout
        start = time.monotonic()
        request = self._request(messages, json_schema, temperature, max_tokens, seed, grammar)
        if avoid_repeats:
            request.update(DRY_SAMPLING)
        self._prepare_prefix(server, messages)
        stream = self._run(server, request, timeout, start)
        _SLOT_PREFIX[id(server)] = _system_sha(messages)
        if stream.error is not None and json_schema is not None and "schema" in str(stream.error).lower():
            request["response_format"] = {"type": "json_object"}
            stream = self._run(server, request, timeout, start)
        if stream.error is not None:
            raise stream.error if isinstance(stream.error, LLMError) else LLMError(str(stream.error))
        return LLMResponse(
            text="".join(stream.parts),
            backend=self.name,
            model=self.model,
            prompt_tokens=int(stream.usage.get("prompt_tokens") or 0),
            completion_tokens=int(stream.usage.get("completion_tokens") or 0),
            reused_prompt_tokens=int((stream.usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
            seconds=time.monotonic() - start,
            prompt_seconds=float(stream.timings.get("prompt_ms") or 0.0) / 1000,
            generation_seconds=float(stream.timings.get("predicted_ms") or 0.0) / 1000,
        )

    def _prepare_prefix(self, server: Any, messages: list[Message]) -> None:
        """Restore (or build and save) the KV state of the system message before the slot first sees it.

        The system message is always processed on its own (primed) before the rest of a prompt, whether its state
        is restored, built or switched off, so that its KV values, and so the answers at temperature 0, do not
        depend on whether a saved state existed.
        """
        api_key, sha = _SLOT_KEYS.get(id(server)), _system_sha(messages)
        if api_key is None or sha is None or _SLOT_PREFIX.get(id(server)) == sha:
            return
        import xllamacpp

        key = prefix_state.StateKey(self._model_identity(), sha, self.n_ctx, xllamacpp.__version__, KV_LAYOUT)
        system = messages[0]

        def prime() -> None:
            request = self._request([system, {"role": "user", "content": "."}], None, 0.0, 1, None)
            self._run(server, request, None, time.monotonic())

        if not prefix_state.enabled():  # the system message still gets its own batch, so answers stay the same
            prime()
            _SLOT_PREFIX[id(server)] = sha
            return
        start = time.monotonic()
        states = prefix_state.PrefixStates(prefix_state.state_dir())
        outcome = prefix_state.ensure_prefix(states, key, _HttpSlots(server.listening_address, api_key), prime)
        prefix_state.log.info("prefix state %s: %s, %d tokens, %.2f s", key.name, outcome.action, outcome.tokens,
                              time.monotonic() - start)
        _SLOT_PREFIX[id(server)] = sha

    def _model_identity(self) -> str:
        path = self.model_path
        if is_verified(path, MODEL_SHA256):  # the joined embedded model (its marker says it was hashed)
            return MODEL_SHA256
        stat = path.stat()
        return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"

    def _request(
        self,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        temperature: float,
        max_tokens: int,
        seed: int | None,
        grammar: str | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max(1, min(int(max_tokens), self.n_ctx)),
            "temperature": float(temperature),
            "stream": True,
            "stream_options": {"include_usage": True},
            "return_progress": True,  # chunks during prompt processing, so a timeout can cancel it too
        }
        if temperature <= 0:
            request["top_k"] = 1
        if seed is not None:
            request["seed"] = int(seed)
        if json_schema is not None:
            request["response_format"] = {"type": "json_object", "schema": json_schema}
        elif grammar is not None:  # llama.cpp takes a GBNF grammar or a schema, not both
            request["grammar"] = grammar
        return request

    def _run(self, server: Any, request: dict[str, Any], timeout: float | None, start: float) -> _Stream:
        stream = _Stream()

        def work() -> None:
            try:
                server.handle_chat_completions(request, stream.on_chunk)
            except BaseException as exc:  # reported to the caller's thread
                stream.error = exc
            finally:
                stream.done.set()

        # Not a daemon: at interpreter exit a cancelled worker must leave llama.cpp cleanly (killing a
        # daemon thread inside it aborts the process); cancellation ends it at the next chunk.
        worker = threading.Thread(target=work, name="optcopilot-llm")
        worker.start()
        remaining = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
        try:
            finished = stream.done.wait(remaining)
        except BaseException:  # e.g. KeyboardInterrupt: stop generating, then propagate
            stream.cancel.set()
            raise
        if not finished:
            stream.cancel.set()
            raise LLMTimeout(f"The local model did not answer within {timeout:g} s.")
        return stream
