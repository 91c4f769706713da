"""The KV state of a prompt's fixed prefix, processed once per machine and restored by every new process.

llama.cpp can save a slot's KV cache to a file and restore it (`SlotFiles`: the embedded server's
``/slots/0?action=save|restore``). The fixed prefix is the system message: the embedded backend primes the slot
with it once (a one-token request), saves the state, and later processes restore it before their first request;
llama.cpp then reuses the restored tokens wherever the new prompt starts with them, so the variable part of the
prompt (retrieved examples, the problem) is all that is processed.

- A state is keyed by the model file's identity (its SHA-256 for the embedded model), the prefix text, the context
  size, the llama.cpp build and the settings that shape the KV cache (`StateKey`).
- A manifest (``<key>.json``) names a content-addressed state file (``<key>-<sha256 prefix>.bin``) with its
  SHA-256 and token count. A file whose hash, size or restored token count does not match is not used: it is
  deleted with a log line and the state is rebuilt.
- Writers save under a unique temporary name, hash, rename to the content-addressed name and replace the
  manifest atomically; state files are never modified in place, so processes starting together cannot corrupt
  each other's files (the last manifest wins; both files are valid).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from optcopilot.llm.paths import cache_dir

log = logging.getLogger("optcopilot.llm")

STATE_ENV = "OPTCOPILOT_PREFIX_STATE"
"""Set to ``0`` to neither restore nor save prefix states."""
MIN_PREFIX_CHARS = 400
"""Shorter system messages are cheaper to process than to restore from disk."""


def enabled() -> bool:
    """Prefix states are on unless env ``OPTCOPILOT_PREFIX_STATE=0``."""
    return os.environ.get(STATE_ENV, "").strip() != "0"


def state_dir() -> Path:
    """``<cache dir>/kv-states`` (created)."""
    path = cache_dir() / "kv-states"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class StateKey:
    """Everything a saved KV state depends on."""

    model: str  # the model file's SHA-256, or its path, size and mtime when no hash is known
    prefix_sha256: str
    n_ctx: int
    build: str  # the xllamacpp (llama.cpp) version
    kv_layout: str  # settings that change the cache's layout or values (cache types, flash attention)

    @property
    def name(self) -> str:
        raw = json.dumps(asdict(self), sort_keys=True).encode()
        return "prefix-" + hashlib.sha256(raw).hexdigest()[:32]


def prefix_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SlotFiles(Protocol):
    """Save and restore slot 0's KV cache as a file name inside the server's slot-save directory."""

    def save(self, filename: str) -> int:
        """Save; return the number of tokens saved."""
        ...

    def restore(self, filename: str) -> int:
        """Restore; return the number of tokens restored (raises on failure)."""
        ...


@dataclass
class Outcome:
    """What `ensure_prefix` did: ``restored``, ``built`` (primed and saved), or ``failed`` (neither)."""

    action: str
    tokens: int = 0
    reason: str = ""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PrefixStates:
    """The manifests and state files of one directory (the server's ``slot_save_path``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def manifest(self, key: StateKey) -> Path:
        return self.directory / f"{key.name}.json"

    def usable(self, key: StateKey) -> tuple[str, int] | None:
        """The state file name and its token count, if the manifest and the file agree; else None (and the
        broken files are removed with a log line)."""
        path = self.manifest(key)
        if not path.exists():
            return None
        try:
            entry = json.loads(path.read_text())
            filename, sha, tokens, size = entry["file"], entry["sha256"], int(entry["tokens"]), int(entry["bytes"])
            if entry.get("key") != asdict(key):
                raise ValueError("the manifest is for another model, prefix or build")
            state = self.directory / filename
            if not state.is_file() or state.stat().st_size != size:
                raise ValueError("the state file is missing or truncated")
            if _sha256_file(state) != sha:
                raise ValueError("the state file's SHA-256 does not match (corrupt)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.discard(key, f"{exc}")
            return None
        return filename, tokens

    def discard(self, key: StateKey, reason: str) -> None:
        """Remove the manifest (and the file it names) of `key`, with a log line saying why."""
        path = self.manifest(key)
        log.warning("prefix state %s not used (%s); rebuilding it", path.name, reason)
        try:
            filename = json.loads(path.read_text()).get("file")
        except (OSError, ValueError, AttributeError):
            filename = None
        for victim in (path, self.directory / filename if isinstance(filename, str) else None):
            if victim is not None and victim.name.startswith("prefix-"):
                victim.unlink(missing_ok=True)

    def temporary_name(self) -> str:
        return f"tmp-{os.getpid()}-{secrets.token_hex(6)}.bin"

    def publish(self, key: StateKey, temporary: str, tokens: int) -> None:
        """Move a freshly saved state to its content-addressed name and point the manifest at it."""
        source = self.directory / temporary
        sha = _sha256_file(source)
        filename = f"{key.name}-{sha[:16]}.bin"
        os.replace(source, self.directory / filename)
        entry = {"file": filename, "sha256": sha, "tokens": tokens, "bytes": (self.directory / filename).stat().st_size,
                 "key": asdict(key)}
        manifest = self.manifest(key)
        scratch = manifest.with_name(f"{manifest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        scratch.write_text(json.dumps(entry, indent=1))
        os.replace(scratch, manifest)


def ensure_prefix(states: PrefixStates, key: StateKey, slots: SlotFiles, prime: Callable[[], None]) -> Outcome:
    """Put the prefix of `key` into slot 0: restore its saved state, or `prime` the slot and save it."""
    found = states.usable(key)
    if found is not None:
        filename, tokens = found
        try:
            restored = slots.restore(filename)
        except Exception as exc:  # llama.cpp refused the file (foreign build, wrong model)
            states.discard(key, f"llama.cpp could not restore it: {exc}")
        else:
            if restored == tokens:
                return Outcome("restored", restored)
            states.discard(key, f"{restored} tokens restored, the manifest says {tokens}")
    prime()
    temporary = states.temporary_name()
    try:
        tokens = slots.save(temporary)
        states.publish(key, temporary, tokens)
    except Exception as exc:  # a full disk or a read-only cache: work on without a saved state
        (states.directory / temporary).unlink(missing_ok=True)
        log.warning("could not save the prefix state (%s)", exc)
        return Outcome("failed", reason=str(exc))
    return Outcome("built", tokens)
