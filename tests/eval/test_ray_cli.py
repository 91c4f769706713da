"""`optcopilot eval --executor ray` flags: one-line usage errors (runs without Ray installed)."""

from __future__ import annotations

import pytest

from optcopilot.cli.main import main
from optcopilot.eval import ray_executor


def test_without_ray_the_flag_is_a_one_line_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(ray_executor, "ray_available", lambda: False)
    code = main(["eval", "optibench", "--executor", "ray", "--limit", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and 'pip install -e ".[ray]"' in err


def test_ray_address_without_the_ray_executor_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "optibench", "--ray-address", "auto", "--limit", "1"]) == 2
    assert "--executor ray" in capsys.readouterr().err
