"""`optcopilot solve` on model files: results, JSON output, emitted IR, and the bad-input contract."""

import json

import pytest

from optcopilot.cli.main import main
from tests.ir.test_validate import build


@pytest.fixture
def model_path(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(build().to_json())
    return path


def test_json_output_and_exit_code(model_path, capsys):
    assert main(["solve", str(model_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # maximise x[a] + 2 x[b] + y subject to x[a] + x[b] + y <= 10  ->  20 with x[b] = 10
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(20.0)
    assert out["variables"]["x[b]"] == pytest.approx(10.0)
    assert out["solver"] == "highs"


def test_human_output_shows_status_and_values(model_path, capsys):
    assert main(["solve", str(model_path)]) == 0
    text = capsys.readouterr().out
    assert "optimal" in text and "x[b]" in text


def test_emit_ir_then_solve_gives_the_same_optimum(model_path, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["solve", str(model_path), "--emit", "ir", "--out", str(out_dir), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    emitted = out_dir / "model.ir.json"
    assert main(["solve", str(emitted), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(first["objective"])


def test_infeasible_is_a_definitive_answer(tmp_path, capsys):
    f = build(constraints=[{"name": "low", "expression": "y <= 1"}, {"name": "high", "expression": "y >= 2"}])
    path = tmp_path / "inf.json"
    path.write_text(f.to_json())
    assert main(["solve", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "infeasible"
    assert {"low", "high"} <= set(out["iis"])


def _bad(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _expr_model(objective="y", constraint="y <= 1", sets=None):
    f = build(objective={"sense": "maximize", "expression": objective},
              constraints=[{"name": "k", "expression": constraint}])
    data = json.loads(f.to_json())
    if sets is not None:
        data["sets"] = sets
    return json.dumps(data)


@pytest.mark.parametrize(("name", "content", "words"), [
    ("empty.json", "", "empty"),
    ("binary.json", bytes(range(256)) * 4, "not UTF-8"),
    ("malformed.json", '{"objective": ', "malformed JSON"),
    ("list.json", "[1, 2]", "JSON object"),
    ("noobj.json", '{"variables": []}', "objective"),
    ("unknown.json", _expr_model(constraint="y + ghost <= 1"), "unknown symbol 'ghost'"),
    ("outside.json", _expr_model(constraint="x['zz'] <= 1"), "outside the index"),
    ("import.json", _expr_model(objective="__import__('os')"), "unknown function '__import__'"),
    ("attr.json", _expr_model(objective="__import__('os').system('echo hi')"), "only plain function names"),
    ("huge.json", _expr_model(sets=[{"name": "I", "range": [1, 100_000_000]}]), "limit"),
])
def test_bad_input_one_line_and_exit_2(tmp_path, capsys, name, content, words):
    path = _bad(tmp_path, name, content)
    assert main(["solve", str(path)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error:") and words in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in captured.err + captured.out


def test_missing_file_and_bad_flags(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "nope.json")]) == 2
    assert main(["solve", "x.json", "--time-limit", "-1"]) == 2
    assert main(["frobnicate"]) == 2
    assert "error:" in capsys.readouterr().err
