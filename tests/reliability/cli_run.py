"""Run the real `optcopilot` command in a child process and measure it: exit code, output, wall time, peak RSS.

Peak memory is the child's own `ru_maxrss` from `os.wait4` (it covers the descendants it waited for), so
each test bounds exactly the command it runs. Linux starts a forked child's high-water mark at the parent's
resident size, so when pytest itself is large (the slow tests load the model in-process) `ru_maxrss` can only
say "no more than the parent"; then the child's own `VmHWM`, polled from /proc while it runs, is the figure. The child gets a 4 GB address-space cap, so a regression fails
the test instead of eating the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "optcopilot.cli.main"]
ADDRESS_SPACE_CAP = 4 * 1024**3
GIB_KB = 1024 * 1024


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_kb: int

    @property
    def one_error_line(self) -> bool:
        """stderr is a single `error: ...` line and holds no traceback."""
        lines = [ln for ln in self.err.splitlines() if ln.strip()]
        return "Traceback" not in self.err and bool(lines) and lines[-1].startswith("error:")


class _MeasuredPopen(subprocess.Popen[str]):
    """Popen that reaps with `os.wait4`, keeping the child's resource usage."""

    rusage: Any = None

    def _try_wait(self, wait_flags: int) -> tuple[int, int]:
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            self.rusage = usage
        return pid, status


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
    os.nice(10)


def _hwm_kb(pid: int | str) -> int:
    """VmHWM of a running process (for "self": VmRSS, the size a forked child starts from), in kB; 0 if gone."""
    field = "VmRSS:" if pid == "self" else "VmHWM:"
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_cli(*args: str, timeout: float = 120.0, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """`optcopilot ARGS...` in a child process; killed (and the test failed by its caller) after `timeout`."""
    start = time.monotonic()
    parent_kb = _hwm_kb("self")  # this process's resident size: what a forked child's counter starts from
    proc = _MeasuredPopen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, **(env or {})}, preexec_fn=_cap)
    polled = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            polled[0] = max(polled[0], _hwm_kb(proc.pid))
            done.wait(0.005)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[test harness: killed after {timeout} s]"
    seconds = time.monotonic() - start
    done.set()
    watcher.join()
    peak = _peak_kb(proc, parent_kb, polled[0])
    return Run(proc.returncode if proc.returncode is not None else -9, out, err, seconds, peak)


def _peak_kb(proc: _MeasuredPopen, parent_kb: int, polled_kb: int) -> int:
    """`ru_maxrss`, unless it is only the parent's size inherited at fork: then the polled VmHWM."""
    waited = int(proc.rusage.ru_maxrss) if proc.rusage is not None else 0
    if waited <= parent_kb * 1.05 + 16 * 1024:
        return polled_kb or waited
    return waited


def write_model(path: Path, model: dict[str, Any]) -> Path:
    path.write_text(json.dumps(model), encoding="utf-8")
    return path
