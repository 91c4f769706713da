"""Direct-code baseline and its sandbox: containment, limits, output parsing, an end-to-end run."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from optcopilot.eval.direct_code import extract_code, parse_output, solve_with_code
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category
from optcopilot.eval.runner import run_eval
from optcopilot.eval.sandbox import run_python
from optcopilot.eval.store import read_records
from optcopilot.llm import ScriptedBackend

PYOMO_SCRIPT = '''Here is the program:
```python
import pyomo.environ as pyo
m = pyo.ConcreteModel()
m.chairs = pyo.Var(within=pyo.NonNegativeIntegers)
m.tables = pyo.Var(within=pyo.NonNegativeIntegers)
m.wood = pyo.Constraint(expr=2 * m.chairs + 5 * m.tables <= 40)
m.obj = pyo.Objective(expr=30 * m.chairs + 70 * m.tables, sense=pyo.maximize)
pyo.SolverFactory("appsi_highs").solve(m)
print("chairs =", pyo.value(m.chairs))
print("tables =", pyo.value(m.tables))
print("objective =", pyo.value(m.obj))
```
'''


# --------------------------------------------------------------------------- parsing


def test_parse_output_objective_and_variables() -> None:
    out = parse_output("Status: ok\nchairs = 20.0\nNumber of tables: 0\nTotal profit = 600.0\n")
    assert out.objective == 600.0 and out.status == "optimal"
    assert out.values == {"chairs": 20.0, "Number of tables": 0.0}
    assert parse_output("x = 1e3\nobjective: -2.5e-1").objective == -0.25
    assert parse_output("The problem is infeasible").status == "infeasible"
    assert parse_output("Problem unbounded!").status == "unbounded"
    assert parse_output("").status is None and parse_output("").objective is None
    assert parse_output("x1 = 3\nvalue nan\n").objective == 3.0  # names with digits are not numbers


def test_extract_code() -> None:
    assert extract_code(PYOMO_SCRIPT).startswith("import pyomo.environ")
    assert extract_code("```python\nprint(1)\n") == "print(1)\n"  # cut-off answer
    assert extract_code("print(2)") == "print(2)\n"
    assert extract_code("   ") == ""
    two = "```python\nx = 1\n```\ntext\n```python\nimport sys\nprint(sys.argv)\n```"
    assert extract_code(two) == "import sys\nprint(sys.argv)\n"


# --------------------------------------------------------------------------- sandbox


def test_sandbox_runs_and_captures_output() -> None:
    r = run_python("import os\nprint('cwd', os.getcwd())\nopen('ok.txt', 'w').write('local is fine')\nprint(7)")
    assert r.ok and r.stdout.strip().endswith("7") and "optcopilot-sandbox-" in r.stdout


def test_sandbox_timeout_kills_the_process_group() -> None:
    code = textwrap.dedent("""
        import os, time
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        print(pid, flush=True)
        time.sleep(60)
    """)
    r = run_python(code, timeout=8, guard=False)
    assert r.timed_out and r.killed_by == "timeout" and r.seconds < 30
    child = int(r.stdout.split()[0])
    status = Path(f"/proc/{child}/status")
    if status.exists():  # reaped or at least dead (a zombie waiting for init)
        assert "zombie" in status.read_text().lower() or "(dead)" in status.read_text().lower()


def test_sandbox_cpu_limit() -> None:
    r = run_python("while True:\n    pass", timeout=30, cpu_seconds=1)
    assert not r.ok and not r.timed_out and r.killed_by in {"SIGXCPU", "SIGKILL"} and r.seconds < 15


def test_sandbox_memory_limit() -> None:
    r = run_python("x = bytearray(6 * 1024**3)\nprint('allocated')", timeout=30)
    assert "allocated" not in r.stdout and "MemoryError" in r.stderr


def test_sandbox_blocks_writes_outside_cwd(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = f"open({str(target)!r}, 'w').write('x')\nprint('wrote')"
    r = run_python(code, timeout=20)
    assert not target.exists() and "wrote" not in r.stdout and "PermissionError" in r.stderr
    r = run_python(f"import os\nos.remove({str(tmp_path)!r})", timeout=20)
    assert tmp_path.exists() and "PermissionError" in r.stderr


def test_sandbox_blocks_network_and_subprocess() -> None:
    code = textwrap.dedent("""
        import socket, subprocess
        for what, fn in [("net", lambda: socket.create_connection(("127.0.0.1", 9), timeout=2)),
                         ("proc", lambda: subprocess.run(["true"]))]:
            try:
                fn()
                print(what, "allowed")
            except Exception as exc:
                print(what, "blocked", type(exc).__name__)
    """)
    r = run_python(code, timeout=20)
    assert "net blocked" in r.stdout and "proc blocked" in r.stdout


def test_sandbox_environment_is_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    r = run_python("import os\nprint(sorted(os.environ))", timeout=20)
    assert "HTTPS_PROXY" not in r.stdout and "OPENAI_API_KEY" not in r.stdout and "PATH" in r.stdout
    if r.network_isolated:  # private network namespace: not even a route out
        code = "import socket\nprint(len(socket.if_nameindex()))"
        assert run_python(code, timeout=20, guard=False).stdout.strip() == "1"


# --------------------------------------------------------------------------- end to end


def test_solve_with_code_pyomo() -> None:
    out = solve_with_code("make chairs and tables", ScriptedBackend([PYOMO_SCRIPT]), time_limit=30)
    assert out.error is None, (out.error, out.run and out.run.stderr)
    assert out.parsed.objective == 600.0 and out.parsed.values == {"chairs": 20.0, "tables": 0.0}


def test_solve_with_code_failures() -> None:
    out = solve_with_code("p", ScriptedBackend([{"timeout": True}]))
    assert out.error_kind == "timeout" and out.run is None
    out = solve_with_code("p", ScriptedBackend(["```python\nraise SystemExit(3)\n```"]))
    assert out.error_kind == "script_error" and out.run is not None and out.run.returncode == 3


def test_run_eval_direct_code_mode(tmp_path: Path) -> None:
    problems = [
        Problem(id="dc:1", text="chairs", answers={"Total profit": 600.0, "chairs": 20.0, "tables": 0.0},
                objective_key="Total profit", ptype="linear-notable", source="optibench"),
        Problem(id="dc:2", text="broken", answers={"objective": 1.0}, ptype="linear-table", source="toy"),
    ]
    backend = ScriptedBackend(lambda messages, schema: PYOMO_SCRIPT if "chairs" in messages[-1]["content"]
                              else "```python\nprint('no idea')\n```")
    s = run_eval("optibench", out_dir=tmp_path, problems=problems, backend=backend, mode="direct-code",
                 progress=False, time_limit=30, sample="first")
    recs = {r.id: r for r in read_records(tmp_path / "results.jsonl")}
    assert recs["dc:1"].category == Category.OK, recs["dc:1"].verdict
    assert recs["dc:1"].mapped["chairs"] == "chairs" and "pyomo" in (recs["dc:1"].code or "")
    assert recs["dc:2"].category == Category.NO_ANSWER
    assert s["correct"] == 1 and s["mode"] == "direct-code" and s["rule"] == "optibench"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sandbox_output_is_capped() -> None:
    r = run_python("import sys\nsys.stdout.write('y' * 10_000_000)", timeout=30, fsize_bytes=1_000_000)
    assert len(r.stdout) <= 1_000_000 and not r.ok
