"""The LLM-proposed map (scripted backend) and the `equiv` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optcopilot.cli.main import main
from optcopilot.equivalence import check_equivalence, to_flat
from optcopilot.equivalence.flat import from_arrays
from optcopilot.equivalence.llm_map import MAPPING_SCHEMA, _Names, parse_expression, parse_mapping
from optcopilot.llm import ScriptedBackend
from tests.equivalence.eq_models import production

INF = np.inf


def _pair() -> tuple:
    # reference: max 2x + y, x + y <= 3, x <= 2; candidate writes x = 3 - w (complemented), which the
    # structural matcher (positive scales only) does not find
    ref = from_arrays(["x", "y"], [0, 0], [2, INF], [False, False], "maximize", [2, 1], [({0: 1, 1: 1}, -INF, 3)],
                      ["total"])
    cand = from_arrays(["w", "v"], [1, 0], [3, INF], [False, False], "maximize", [-2, 1],
                       [({0: -1, 1: 1}, -INF, 0)], ["total"], c0=6.0)
    return cand, ref


def test_llm_map_is_parsed_and_verified() -> None:
    cand, ref = _pair()
    assert check_equivalence(cand, ref, use_llm=False).equivalent is None
    answer = json.dumps({"mapping": [{"variable": "x", "expression": "3 - w"}, {"variable": "y", "expression": "v"}]})
    backend = ScriptedBackend([answer])
    rep = check_equivalence(cand, ref, llm=backend)
    assert rep.equivalent is True and rep.method == "llm"
    assert rep.mapping["variables"]["x"] == {"terms": {"w": -1.0}, "constant": 3.0}
    call = backend.calls[0]
    assert call.json_schema == MAPPING_SCHEMA and "REFERENCE" in call.messages[-1]["content"]


def test_wrong_or_broken_llm_answers() -> None:
    cand, ref = _pair()
    wrong = json.dumps({"mapping": [{"variable": "x", "expression": "w"}, {"variable": "y", "expression": "v"}]})
    rep = check_equivalence(cand, ref, llm=ScriptedBackend([wrong]))
    assert rep.equivalent is False and rep.method == "llm"
    for answer in ("not json", '{"mapping": [{"variable": "x", "expression": "__import__(\'os\')"}]}',
                   {"error": "backend down"}):
        rep = check_equivalence(cand, ref, llm=ScriptedBackend([answer]))
        assert rep.equivalent is None


def test_expression_parser() -> None:
    m = from_arrays(["y[1,a]", "y[2,a]", "z"], [0, 0, 0], [1, 1, 1], [False] * 3, "minimize", [0, 0, 0], [])
    names = _Names(m)
    assert parse_expression("2*y[1,a] - 0.5 * y[2,a] + 3 - z*4", names) == ({0: 2.0, 1: -0.5, 2: -4.0}, 3.0)
    assert parse_expression("1e-3 y[1, a]", names) == ({0: 0.001}, 0.0)
    assert parse_expression("unknown + 1", names) is None
    fam, _ = parse_mapping(json.dumps({"mapping": [{"variable": "y", "expression": "2*y"},
                                                   {"variable": "z", "expression": "z"}]}), m, m)
    assert fam is not None and fam.ref_expr == [{0: 2.0}, {1: 2.0}, {2: 1.0}]


def _write_ir(path: Path, f) -> Path:
    path.write_text(f.to_json())
    return path


def test_cli_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from optcopilot.equivalence import transformation

    ref = _write_ir(tmp_path / "ref.json", production())
    cand_f, _ = transformation("rename_shuffle").apply(production(), np.random.default_rng(0))
    cand = _write_ir(tmp_path / "cand.json", cand_f)
    assert main(["equiv", str(cand), str(ref), "--no-llm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["equivalent"] is True and set(data) >= {"equivalent", "method", "mapping", "evidence"}
    assert main(["equiv", str(cand), str(ref), "--no-llm"]) == 0
    assert "equivalent" in capsys.readouterr().out
    drop_f, _ = transformation("drop_constraint").apply(production(), np.random.default_rng(0))
    drop = _write_ir(tmp_path / "drop.json", drop_f)
    assert main(["equiv", str(drop), str(ref), "--no-llm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["equivalent"] is False


def test_cli_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = _write_ir(tmp_path / "ref.json", production())
    garbage = tmp_path / "bad.mps"
    garbage.write_text("this is not an MPS file\n")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"objective": {"sense": "minimize", "expression": "0"}}))
    for args in ([str(tmp_path / "missing.json"), str(ref)], [str(garbage), str(ref)], [str(empty), str(ref)],
                 [str(ref), str(ref), "--time-limit", "0"]):
        assert main(["equiv", *args, "--no-llm"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and err.count("\n") == 1


def test_flat_roundtrip_names() -> None:
    from optcopilot.equivalence import to_formulation

    m = to_flat(production())
    again = to_flat(to_formulation(m))
    assert sorted(again.names) != [] and again.n == m.n and again.m == m.m


def test_cli_scripted_llm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from optcopilot.equivalence import to_formulation

    cand, ref = _pair()
    cand_path = _write_ir(tmp_path / "cand.json", to_formulation(cand))
    ref_path = _write_ir(tmp_path / "ref.json", to_formulation(ref))
    answer = {"mapping": [{"variable": "x[x]", "expression": "3 - x[w]"},
                          {"variable": "x[y]", "expression": "x[v]"}]}
    script = tmp_path / "answers.json"
    script.write_text(json.dumps([json.dumps(answer)]))
    assert main(["equiv", str(cand_path), str(ref_path), "--llm", f"scripted:{script}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["equivalent"] is True and data["method"] == "llm"
