"""Run untrusted Python (LLM-written solver scripts) in a contained subprocess.

Layers, each best-effort on its own:

* ``python -I`` (isolated mode: no user site, no ``PYTHON*`` env vars, script dir not trusted);
* a fresh empty temporary working directory, also used as ``HOME`` and ``TMPDIR``;
* a minimal environment (no proxy variables, no credentials, one thread per BLAS pool);
* ``resource`` limits set in ``preexec_fn``: CPU seconds, address space (~4 GB), file size, core dumps;
* a new session, so a wall-clock timeout kills the whole process group;
* a private network namespace via ``unshare -rn`` when the host allows it (no interfaces but loopback);
* an audit-hook prelude that refuses sockets, process spawning and writes outside the working directory.

The audit hook is a guard rail against accidents, not a security boundary on its own; the subprocess,
the limits and the namespace are what contain a hostile script.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY = 4 * 1024**3
DEFAULT_FSIZE = 64 * 1024**2
MAX_OUTPUT_CHARS = 200_000
SCRIPT_NAME = "solution.py"

# Runs first inside the child: refuse network, process spawning and writes outside the work dir.
PRELUDE = r'''
import os as _os, sys as _sys
_ROOT = _os.path.realpath(_os.getcwd())
_BLOCKED = ("socket.", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
            "os.forkpty", "pty.spawn", "webbrowser.open", "urllib.Request", "http.client.connect",
            "ftplib.connect", "smtplib.connect")
_ALLOWED_SOCKET = ("socket.getaddrinfo", "socket.gethostname", "socket.getservbyname", "socket.gethostbyname")
_PREFIXES = (_ROOT + _os.sep, "/dev/null")

def _sandbox_hook(event, args):
    if event.startswith(_BLOCKED) and not event.startswith(_ALLOWED_SOCKET):
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "open" and len(args) >= 2:
        path, mode = args[0], args[1]
        flags = args[2] if len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (_os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_APPEND | _os.O_TRUNC))
        if writing and isinstance(path, (str, bytes, _os.PathLike)):
            real = _os.path.realpath(_os.fsdecode(path))
            if not (real == _ROOT or real.startswith(_PREFIXES)):
                raise PermissionError(f"sandbox: writing {real} outside the working directory is not allowed")
    if event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.symlink", "os.link",
                 "shutil.rmtree", "os.truncate") and args:
        real = _os.path.realpath(_os.fsdecode(args[0])) if isinstance(args[0], (str, bytes, _os.PathLike)) else ""
        if real and not real.startswith(_ROOT + _os.sep):
            raise PermissionError(f"sandbox: {event} on {real} outside the working directory is not allowed")

_sys.addaudithook(_sandbox_hook)
del _sandbox_hook
'''


@dataclass
class SandboxResult:
    """What the sandboxed script did."""

    stdout: str
    stderr: str
    returncode: int | None
    timed_out: bool
    seconds: float
    network_isolated: bool
    killed_by: str = ""

    @property
    def ok(self) -> bool:
        """The script exited normally with code 0."""
        return self.returncode == 0 and not self.timed_out


@functools.cache
def _unshare_prefix() -> tuple[str, ...]:
    """``("unshare", "-rn")`` when a private user+network namespace can be created here, else ()."""
    exe = shutil.which("unshare")
    if exe is None or sys.platform != "linux":
        return ()
    try:
        proc = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=10, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError):
        return ()
    return (exe, "-rn") if proc.returncode == 0 else ()


def clean_env(workdir: str) -> dict[str, str]:
    """A minimal child environment: no proxies, no credentials, no Python path tweaks."""
    return {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NO_PROXY": "*",
    }


def _limits(cpu_seconds: int, memory_bytes: int, fsize_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_OUTPUT_CHARS * 4)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")[:MAX_OUTPUT_CHARS]


def _signal_name(code: int | None) -> str:
    if code is None or code >= 0:
        return ""
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_python(
    code: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cpu_seconds: int | None = None,
    memory_bytes: int = DEFAULT_MEMORY,
    fsize_bytes: int = DEFAULT_FSIZE,
    isolate_network: bool = True,
    guard: bool = True,
) -> SandboxResult:
    """Run ``code`` as a script in a fresh temp dir under limits; never raises for script failures.

    ``timeout`` is wall-clock (the process group is killed with SIGKILL); ``cpu_seconds`` defaults to it.
    """
    cpu = int(cpu_seconds if cpu_seconds is not None else max(1, round(timeout)))
    prefix = _unshare_prefix() if isolate_network else ()
    with tempfile.TemporaryDirectory(prefix="optcopilot-sandbox-") as root:
        work = Path(root) / "work"
        work.mkdir()
        script = work / SCRIPT_NAME
        script.write_text((PRELUDE if guard else "") + "\n" + code, encoding="utf-8")
        out_path, err_path = Path(root) / "stdout.txt", Path(root) / "stderr.txt"
        start = time.perf_counter()
        timed_out = False
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                proc = subprocess.Popen(
                    [*prefix, sys.executable, "-I", "-B", SCRIPT_NAME],
                    cwd=work,
                    env=clean_env(str(work)),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    preexec_fn=functools.partial(_limits, cpu, memory_bytes, fsize_bytes),
                    close_fds=True,
                )
            except OSError as exc:
                return SandboxResult("", f"could not start the sandbox: {exc}", None, False, 0.0, bool(prefix))
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)
        seconds = time.perf_counter() - start
        code_ = proc.returncode
        killed = "timeout" if timed_out else _signal_name(code_)
        return SandboxResult(_read(out_path), _read(err_path), code_, timed_out, seconds, bool(prefix), killed)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (children it spawned included), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
