"""Run the real `optcopilot` command in a child process and measure it: exit code, output, wall time, peak RSS.

Peak memory is the child's own `ru_maxrss` from `os.wait4` (it covers the descendants it waited for), so
each test bounds exactly the command it runs. The child gets a 4 GB address-space cap, so a regression fails
the test instead of eating the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
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


def run_cli(*args: str, timeout: float = 120.0, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """`optcopilot ARGS...` in a child process; killed (and the test failed by its caller) after `timeout`."""
    start = time.monotonic()
    proc = _MeasuredPopen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, **(env or {})}, preexec_fn=_cap)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[test harness: killed after {timeout} s]"
    seconds = time.monotonic() - start
    peak = _peak_kb(proc)
    return Run(proc.returncode if proc.returncode is not None else -9, out, err, seconds, peak)


def _peak_kb(proc: _MeasuredPopen) -> int:
    return int(proc.rusage.ru_maxrss) if proc.rusage is not None else 0


def write_model(path: Path, model: dict[str, Any]) -> Path:
    path.write_text(json.dumps(model), encoding="utf-8")
    return path
