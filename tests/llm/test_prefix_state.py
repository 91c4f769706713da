"""Saved KV states of the fixed prompt prefix: restored when sound, rebuilt with a log line when not.

A fake slot stands in for llama.cpp (the real one is in `test_prefix_state_slow.py`): it writes the "KV state"
as bytes into the state directory and reads them back, like ``/slots/0?action=save|restore``.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from optcopilot.llm.prefix_state import PrefixStates, StateKey, ensure_prefix, prefix_sha256

KEY = StateKey(model="cc324af0", prefix_sha256=prefix_sha256("You write optimization models."), n_ctx=8192,
               build="2026.10", kv_layout="kv=f16/f16;batch=512")
STATE = b"KV" * 5000


class FakeSlot:
    """Slot 0 of a server whose state is `STATE` (tokens = bytes / 100) once primed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.primed = 0
        self.restored: list[str] = []

    def prime(self) -> None:
        self.primed += 1

    def save(self, filename: str) -> int:
        (self.directory / filename).write_bytes(STATE)
        return len(STATE) // 100

    def restore(self, filename: str) -> int:
        data = (self.directory / filename).read_bytes()
        if not data.startswith(b"KV"):
            raise RuntimeError("failed to restore slot: bad magic")
        self.restored.append(filename)
        return len(data) // 100


def test_the_first_process_builds_the_state_and_the_next_restores_it(tmp_path: Path) -> None:
    states, slot = PrefixStates(tmp_path), FakeSlot(tmp_path)
    first = ensure_prefix(states, KEY, slot, slot.prime)
    assert first.action == "built" and first.tokens == 100 and slot.primed == 1
    later = FakeSlot(tmp_path)
    again = ensure_prefix(PrefixStates(tmp_path), KEY, later, later.prime)
    assert again.action == "restored" and again.tokens == 100 and later.primed == 0
    manifest = json.loads(states.manifest(KEY).read_text())
    assert later.restored == [manifest["file"]] and manifest["tokens"] == 100
    assert not list(tmp_path.glob("tmp-*"))  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncate", "corrupt", "foreign", "missing", "bad manifest"])
def test_a_damaged_or_foreign_state_is_rebuilt_with_a_log_line(tmp_path: Path, damage: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    slot = FakeSlot(tmp_path)
    ensure_prefix(PrefixStates(tmp_path), KEY, slot, slot.prime)
    manifest = PrefixStates(tmp_path).manifest(KEY)
    state = tmp_path / json.loads(manifest.read_text())["file"]
    if damage == "truncate":
        state.write_bytes(STATE[:1000])
    elif damage == "corrupt":
        state.write_bytes(b"XX" + STATE[2:])  # same size, other bytes
    elif damage == "foreign":  # a state of another model put in place of ours, manifest and all
        entry = json.loads(manifest.read_text())
        entry["key"]["model"] = "another-model"
        manifest.write_text(json.dumps(entry))
    elif damage == "missing":
        state.unlink()
    else:
        manifest.write_text("{not json")
    later = FakeSlot(tmp_path)
    with caplog.at_level(logging.WARNING, logger="optcopilot.llm"):
        outcome = ensure_prefix(PrefixStates(tmp_path), KEY, later, later.prime)
    assert outcome.action == "built" and later.primed == 1 and later.restored == []
    assert any("not used" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert PrefixStates(tmp_path).usable(KEY) is not None  # the rebuilt state is sound


def test_a_state_llama_cpp_refuses_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    slot = FakeSlot(tmp_path)
    ensure_prefix(PrefixStates(tmp_path), KEY, slot, slot.prime)

    class Refusing(FakeSlot):
        def restore(self, filename: str) -> int:
            raise RuntimeError("failed to restore slot: incompatible state file")

    later = Refusing(tmp_path)
    with caplog.at_level(logging.WARNING, logger="optcopilot.llm"):
        outcome = ensure_prefix(PrefixStates(tmp_path), KEY, later, later.prime)
    assert outcome.action == "built" and later.primed == 1
    assert any("could not restore" in r.getMessage() for r in caplog.records)


def test_a_restore_with_the_wrong_token_count_is_not_trusted(tmp_path: Path) -> None:
    slot = FakeSlot(tmp_path)
    ensure_prefix(PrefixStates(tmp_path), KEY, slot, slot.prime)

    class Short(FakeSlot):
        def restore(self, filename: str) -> int:
            return 3

    later = Short(tmp_path)
    assert ensure_prefix(PrefixStates(tmp_path), KEY, later, later.prime).action == "built"


def test_a_failed_save_leaves_no_file_and_the_work_goes_on(tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    class Full(FakeSlot):
        def save(self, filename: str) -> int:
            (self.directory / filename).write_bytes(b"KV")
            raise OSError("No space left on device")

    slot = Full(tmp_path)
    with caplog.at_level(logging.WARNING, logger="optcopilot.llm"):
        outcome = ensure_prefix(PrefixStates(tmp_path), KEY, slot, slot.prime)
    assert outcome.action == "failed" and slot.primed == 1 and not list(tmp_path.iterdir())


def test_processes_saving_together_leave_a_sound_state(tmp_path: Path) -> None:
    barrier = threading.Barrier(6)
    outcomes = []

    def start() -> None:
        slot = FakeSlot(tmp_path)
        barrier.wait()
        outcomes.append(ensure_prefix(PrefixStates(tmp_path), KEY, slot, slot.prime).action)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 6 and set(outcomes) <= {"built", "restored"}
    assert PrefixStates(tmp_path).usable(KEY) is not None
    assert not list(tmp_path.glob("tmp-*")) and not list(tmp_path.glob("*.tmp"))


def test_the_key_changes_with_everything_the_state_depends_on() -> None:
    names = {KEY.name}
    for field, value in [("model", "x"), ("prefix_sha256", prefix_sha256("other")), ("n_ctx", 4096),
                         ("build", "2027.1"), ("kv_layout", "kv=q8_0/q8_0;batch=512")]:
        names.add(StateKey(**{**KEY.__dict__, field: value}).name)
    assert len(names) == 6
