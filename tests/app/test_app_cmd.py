"""`optcopilot app`: argument parsing and the streamlit command line."""

from __future__ import annotations

from optcopilot.cli import app_cmd
from optcopilot.cli.main import build_parser, main


def test_app_subcommand_is_registered():
    args = build_parser().parse_args(["app", "--port", "8600", "--host", "0.0.0.0"])
    assert args.func is app_cmd.run and args.port == 8600 and args.host == "0.0.0.0"


def test_streamlit_command_is_headless():
    cmd = app_cmd.streamlit_command(app_cmd.app_path(), 8600, "127.0.0.1")
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith("app/streamlit_app.py") and app_cmd.app_path().is_file()
    assert "--server.headless" in cmd and "8600" in cmd and "127.0.0.1" in cmd


def test_bad_port_is_a_usage_error(capsys):
    assert main(["app", "--port", "0"]) == 2
    assert "error: --port" in capsys.readouterr().err
