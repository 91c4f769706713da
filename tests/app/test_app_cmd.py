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
    assert cmd[4].endswith("optcopilot/app/streamlit_app.py") and app_cmd.app_path().is_file()
    assert "--server.headless" in cmd and "8600" in cmd and "127.0.0.1" in cmd


def test_bad_port_is_a_usage_error(capsys):
    assert main(["app", "--port", "0"]) == 2
    assert "error: --port" in capsys.readouterr().err


def test_examples_are_listed_from_the_package(capsys):
    from optcopilot.examples import EXAMPLES_DIR

    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert str(EXAMPLES_DIR / "production.txt") in lines and str(EXAMPLES_DIR / "production.ir.json") in lines


def test_installed_ir_example_solves(capsys):
    from optcopilot.examples import EXAMPLES_DIR

    assert main(["solve", str(EXAMPLES_DIR / "production.ir.json"), "--json"]) == 0
    assert '"objective": 1900.0' in capsys.readouterr().out
