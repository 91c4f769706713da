"""`optcopilot solve PROBLEM.txt` / `optcopilot formulate` with a scripted LLM; bad inputs exit cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optcopilot.cli.main import main

DSL_ANSWER = """```python
chairs = var(integer, desc="chairs made")
tables = var(integer, desc="tables made")
maximize(30*chairs + 50*tables)
subject_to(4*chairs + 6*tables <= 240, name="carpentry")
subject_to(chairs + 3*tables <= 90, name="finishing")
```"""
JSON_ANSWER = json.dumps({
    "sets": [], "parameters": [],
    "variables": [{"name": "chairs", "description": "chairs made", "index": [], "type": "integer", "lb": 0,
                   "ub": None},
                  {"name": "tables", "description": "tables made", "index": [], "type": "integer", "lb": 0,
                   "ub": None}],
    "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
    "constraints": [{"name": "carpentry", "expression": "4*chairs + 6*tables <= 240", "forall": ""},
                    {"name": "finishing", "expression": "chairs + 3*tables <= 90", "forall": ""}],
})


def _script(tmp_path: Path, answers: list) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return f"scripted:{path}"


PRODUCTION = ("Chairs need 4 hours of carpentry and 1 hour of finishing; tables need 6 and 3. There are 240 "
              "carpentry and 90 finishing hours. A chair earns $30 and a table $50. Maximize profit.")


def _problem(tmp_path: Path, text: str | bytes = PRODUCTION) -> str:
    path = tmp_path / "problem.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_solve_text_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", _problem(tmp_path), "--llm", _script(tmp_path, [DSL_ANSWER]), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["status"] == "optimal" and out["objective"] == pytest.approx(1900.0)
    assert out["formulation"]["objective"]["sense"] == "maximize"
    assert len(out["attempts"]) == 1 and out["confidence"] == 1.0 and out["llm"]["backend"] == "scripted"


def test_solve_text_human_with_repair(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", _problem(tmp_path), "--llm", _script(tmp_path, ["x = eval('1')", DSL_ANSWER])])
    out = capsys.readouterr().out
    assert code == 0
    assert "Objective" in out and "1900" in out and "carpentry" in out and "attempt 2 (repair" in out


@pytest.mark.parametrize("surface, answer", [("json", JSON_ANSWER), ("dsl", DSL_ANSWER)])
def test_formulate_writes_ir(tmp_path: Path, capsys: pytest.CaptureFixture[str], surface: str, answer: str) -> None:
    target = tmp_path / "model.json"
    code = main(["formulate", _problem(tmp_path), "--surface", surface, "--llm", _script(tmp_path, [answer]),
                 "-o", str(target)])
    assert code == 0 and json.loads(target.read_text())["objective"]["expression"].replace(" ", "") == "30*chairs+50*tables"


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("   \n", "empty"),
    ("x" * 5_000_000, "larger than"),
    (b"\xff\xfe\xfa not utf8", "not UTF-8"),
])
def test_bad_problem_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes,
                           message: str) -> None:
    code = main(["solve", _problem(tmp_path, content), "--llm", _script(tmp_path, [DSL_ANSWER])])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_missing_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", _problem(tmp_path), "--data", str(tmp_path / "nope.csv"),
                 "--llm", _script(tmp_path, [DSL_ANSWER])])
    assert code == 2 and "no such data file" in capsys.readouterr().err


def test_llm_answer_never_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["formulate", _problem(tmp_path), "--surface", "json",
                 "--llm", _script(tmp_path, ["no", "still no", "nope"])])
    err = capsys.readouterr().err
    assert code == 1 and "not valid JSON" in err and len(err.strip().splitlines()) == 1


def test_llm_answer_never_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", _problem(tmp_path), "--llm", _script(tmp_path, ["no", "still no", "nope"])])
    err = capsys.readouterr().err
    assert code == 1 and "did not produce a valid model after 3" in err and len(err.strip().splitlines()) == 1


def test_llm_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", _problem(tmp_path), "--llm", _script(tmp_path, [{"timeout": True}]), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and "LLM timeout" in captured.err
    assert json.loads(captured.out)["status"] == "error"


def test_infeasible_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = DSL_ANSWER.replace("```\n", "").rstrip("`") + "\nsubject_to(chairs >= 1000, name='too_many')"
    code = main(["solve", _problem(tmp_path), "--max-repairs", "0", "--llm", _script(tmp_path, [bad])])
    err = capsys.readouterr().err
    assert code == 1 and "infeasible" in err


@pytest.mark.parametrize("command", ["solve", "formulate"])
def test_no_cache_flag_reaches_the_backend_factory(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    import optcopilot.llm as llm
    from optcopilot.llm import ScriptedBackend

    seen: list[bool] = []

    def factory(spec: str | None = None, *, cache: bool = True, **options: object) -> ScriptedBackend:
        seen.append(cache)
        return ScriptedBackend([DSL_ANSWER])

    monkeypatch.setattr(llm, "make_backend", factory)
    model = tmp_path / "stand-in.gguf"  # the CLI checks that a local model file exists; the factory is faked
    model.write_bytes(b"GGUF")
    assert main([command, _problem(tmp_path), "--llm", f"local:{model}", "--no-cache", "--json"]) == 0
    assert main([command, _problem(tmp_path), "--llm", f"local:{model}", "--json"]) == 0
    assert seen == [False, True]
    capsys.readouterr()


@pytest.mark.parametrize("command", ["solve", "formulate"])
def test_techniques_option_reaches_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    import optcopilot.cli.formulate_cmd as cmd
    from optcopilot.formulate.techniques import Techniques

    seen: list[Techniques | None] = []
    real = cmd.formulate_and_solve if command == "solve" else cmd.formulate_only

    def spy(*args: object, techniques: Techniques | None = None, **kwargs: object) -> object:
        seen.append(techniques)
        return real(*args, techniques=techniques, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cmd, "formulate_and_solve" if command == "solve" else "formulate_only", spy)
    script = _script(tmp_path, [DSL_ANSWER])
    assert main([command, _problem(tmp_path), "--llm", script, "--techniques", "accurate", "--json"]) == 0
    assert main([command, _problem(tmp_path), "--llm", script, "--techniques", "fast", "--json"]) == 0
    assert seen == [Techniques.parse("accurate"), Techniques(compact=True, single_example=True)]
    assert main([command, _problem(tmp_path), "--llm", script, "--techniques", "speedy"]) == 2
    assert "unknown technique" in capsys.readouterr().err
