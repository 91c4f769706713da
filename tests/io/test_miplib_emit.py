"""The CLI's emitted Pyomo and OR-Tools scripts reproduce MIPLIB optima when run standalone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optcopilot.cli.main import main
from tests.io.miplib import rel_close

# small instances: gt2 and p0201 are pure integer (the OR-Tools script uses CP-SAT or MathOpt), flugpl is mixed
INSTANCES = ("flugpl", "gt2", "p0201")


def _last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", INSTANCES)
def test_emitted_scripts_reproduce_the_optimum(name: str, miplib_dir: Path, solu: dict, tmp_path: Path, capsys):
    path = miplib_dir / "instances" / f"{name}.mps.gz"
    assert main(["solve", str(path), "--json", "--emit", "pyomo", "--emit", "ortools", "--emit", "ir",
                 "--out", str(tmp_path), "--time-limit", "120"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert rel_close(out["objective"], solu[name])
    for kind in ("pyomo", "ortools"):
        script = Path(out["emitted"][kind])
        run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                             cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        answer = _last_json_line(run.stdout)
        assert answer["status"] == "optimal", (kind, answer["status"])
        assert rel_close(answer["objective"], solu[name]), (kind, answer["objective"])
    assert main(["solve", out["emitted"]["ir"], "--json"]) == 0
    assert rel_close(json.loads(capsys.readouterr().out)["objective"], solu[name])
