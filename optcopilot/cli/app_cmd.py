"""`optcopilot app`: serve the Streamlit app (`optcopilot/app/streamlit_app.py`) headless on a local port."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from optcopilot.app import APP_SCRIPT
from optcopilot.cli.common import UsageError

DEFAULT_PORT = 8501
DEFAULT_HOST = "127.0.0.1"


def app_path() -> Path:
    """The Streamlit script, from the installed package (`optcopilot.app`)."""
    return APP_SCRIPT


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("app", help="open the web app (Streamlit) on a local port")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.set_defaults(func=run)


def streamlit_command(path: Path, port: int, host: str) -> list[str]:
    """The `streamlit run` command line with headless, no-telemetry flags."""
    return [sys.executable, "-m", "streamlit", "run", str(path),
            "--server.headless", "true", "--server.port", str(port), "--server.address", host,
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    path = app_path()
    if not path.is_file():
        raise UsageError(f"the app script {path} is missing from the installed package (reinstall optcopilot)")
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise UsageError("the app needs streamlit: pip install streamlit") from None
    print(f"optcopilot app on http://{args.host}:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    child = subprocess.Popen(streamlit_command(path, args.port, args.host))

    def _stop(signum: int, _frame: object) -> None:
        child.terminate()  # pass a termination on to the server, then wait for it below

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        child.wait(timeout=20)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
