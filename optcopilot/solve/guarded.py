"""Run a solver route in a forked child that is killed at the deadline or when it outgrows its memory budget.

SCIP through Pyomo (and other Pyomo routes) spends uninterruptible time and memory translating a large model
before the solver's own time limit starts; pyscipopt can also crash in native code on big models. For large
instances `solve()` therefore runs those routes here: the child inherits the grounded instance by `fork`
(nothing to pickle on the way in), sends back the pickled `Result`, and is killed with SIGKILL when the
deadline plus a grace period passes (a time-limit result) or when its resident memory grows by more than
`OPTCOPILOT_SOLVER_MEMORY_MB` (an error naming that setting). A child that dies is an error, not a crash
of this process. Small models (most LLM-written ones) run in-process: forking is not free, and a process
holding an embedded model's threads is better not forked without need.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable

from optcopilot.ir.budget import env_positive
from optcopilot.solve.result import Result, Termination

GRACE_SECONDS = 1.0  # after the deadline, for a solver that stops at its own limit and reports back
MEMORY_ENV = "OPTCOPILOT_SOLVER_MEMORY_MB"
DEFAULT_MEMORY_MB = 1024
POLL_SECONDS = 0.05


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def memory_budget_mb() -> int:
    return int(env_positive(MEMORY_ENV, DEFAULT_MEMORY_MB))


def run_guarded(work: Callable[[], Result], seconds: float, solver: str) -> Result:
    """`work()` in a forked child, within `seconds` (+ grace) and the memory budget."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: solve, send the result, leave without running the parent's exit handlers
        os.close(read_end)
        die_with_parent()
        code = 0
        try:
            try:
                result = work()
            except BaseException as exc:
                result = Result(Termination.ERROR, solver=solver, message=f"{type(exc).__name__}: {exc}"[:300])
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        return _collect(pid, read_end, seconds, solver)
    finally:
        os.close(read_end)


def _collect(pid: int, fd: int, seconds: float, solver: str) -> Result:
    deadline = time.monotonic() + seconds + GRACE_SECONDS
    limit_kb = memory_budget_mb() * 1024
    start_kb = _rss_kb(os.getpid())
    chunks: list[bytes] = []
    reason = ""
    while True:
        ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
        if ready:
            data = os.read(fd, 1 << 20)
            if not data:
                break  # the child closed the pipe: done (or dead)
            chunks.append(data)
            continue
        if time.monotonic() > deadline:
            reason = "time"
        elif _rss_kb(pid) - start_kb > limit_kb:
            reason = "memory"
        if reason:
            _kill(pid)
            break
    status = _reap(pid)
    if reason == "time":
        return Result(Termination.TIME_LIMIT_NO_SOLUTION, solver=solver,
                      message=f"time limit reached while {solver} was building or solving the model (stopped)")
    if reason == "memory":
        return Result(Termination.ERROR, solver=solver, message=(
            f"{solver} needed more than {limit_kb // 1024} MB for this model (stopped); make the model smaller or "
            f"raise {MEMORY_ENV}"))
    try:
        result = pickle.loads(b"".join(chunks))
    except Exception:
        why = f"signal {-status}" if status < 0 else f"exit code {status}"
        return Result(Termination.ERROR, solver=solver, message=f"{solver} crashed ({why})")
    return result if isinstance(result, Result) else Result(Termination.ERROR, solver=solver,
                                                            message=f"{solver} returned no result")


def die_with_parent() -> None:
    """End this process when its parent ends, even by `kill -9` (worker-pool initializer; guarded children).

    Linux: the kernel sends SIGKILL (`prctl(PR_SET_PDEATHSIG)`), whatever this process is doing. Elsewhere a
    daemon thread polls the parent's pid.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the call
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


PR_SET_PDEATHSIG = 1


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return 0


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> int:
    """Wait for the child; its exit code, or minus the signal that ended it."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
