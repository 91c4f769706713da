"""Issue 15, class 6: `eval --workers 2` killed with `kill -9` leaves no worker, forkserver or resource tracker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import MIPLIB


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.add(int(entry.name))
    return out


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_eval_leaves_no_process_behind(tmp_path: Path) -> None:
    if not (MIPLIB / "air05.mps.gz").is_file():
        pytest.skip("MIPLIB instances not available")
    # the first instances include air05 (over a minute alone): the workers are busy when the runner dies
    proc = subprocess.Popen([sys.executable, "-m", "optcopilot.cli.main", "eval", "miplib-mps", "--limit", "4",
                             "--sample", "first", "--workers", "2", "--time-limit", "60", "--no-progress",
                             "--out", str(tmp_path / "run")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: os.nice(10))
    kids: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(kids) < 2:  # the two workers (and the resource tracker)
            time.sleep(0.3)
            kids = _children(proc.pid)
        assert len(kids) >= 2, "the workers never started"
        time.sleep(1.0)
        kids = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while _alive(kids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(kids), f"left behind: {sorted(_alive(kids))}"
    finally:
        for pid in _alive(kids):  # never leave them running, even when the test fails
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
