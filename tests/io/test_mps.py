"""Model files <-> IR: MIPLIB round trips, synthetic models with awkward names, writing, bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import highspy
import numpy as np
import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.compile.to_highs import build_highs
from optcopilot.io.mps import (
    ModelFileError,
    column_values,
    decode_name,
    encode_name,
    formulation_from_lp,
    read_model_file,
    write_model_file,
)
from optcopilot.ir.model import Formulation
from optcopilot.solve.api import solve
from optcopilot.solve.result import Termination
from tests.io.miplib import rel_close

INF = highspy.kHighsInf
OPTS = {"mip_rel_gap": 0.0, "threads": 1}


def _instance(miplib_dir: Path, name: str) -> Path:
    return miplib_dir / "instances" / f"{name}.mps.gz"


def _raw(h: highspy.Highs) -> tuple[highspy.HighsModelStatus, float]:
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    h.run()
    return h.getModelStatus(), h.getInfo().objective_function_value


def _mixed_model(names: bool = True) -> highspy.Highs:
    """Every column kind and row type, odd names, maximised, with an objective constant."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    cols = ["x(1,2)", "1", "2.5", "a,b", "it's", "[q]", "%20", "inf"]
    lo = np.array([-INF, -3.0, 0.0, 0.0, -5.0, 0.0, 1.0, -2.0])
    up = np.array([10.0, 7.0, 1.0, INF, 5.0, 1.0, 4.0, 2.0])
    cost = np.array([1.0, -2.0, 3.0, 0.0, 1.0, 2.0, -1.0, 0.5])
    h.addVars(len(cols), lo, up)
    h.changeColsCost(len(cols), np.arange(len(cols), dtype=np.int32), cost)
    ints = np.array([1, 2, 5, 6], dtype=np.int32)
    h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger))
    rows = [  # (lo, hi, {col: coef})
        (-INF, 4.0, {0: 1.0, 1: 1.0}),  # <=
        (-6.0, INF, {0: 1.0, 3: -1.0, 4: 2.0}),  # >=
        (3.0, 3.0, {2: 1.0, 3: 1.0, 5: 1.0, 6: 0.5}),  # ==
        (-2.0, 6.0, {1: 1.0, 4: 1.0, 7: 1.0}),  # ranged
        (-INF, INF, {0: 1.0, 7: 1.0}),  # free
        (-1.0, 1.0, {}),  # empty, satisfied by 0
        (-INF, 12.0, {0: 1.0, 3: 1.0}),  # bounds x and a,b from above
    ]
    for r_lo, r_hi, coefs in rows:
        idx = np.array(list(coefs), dtype=np.int32)
        h.addRow(r_lo, r_hi, len(idx), idx, np.array(list(coefs.values())))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.changeObjectiveOffset(2.5)
    if names:
        for j, n in enumerate(cols):
            h.passColName(j, n)
        for i, n in enumerate(["le 1", "ge,1", "(eq)", "rng", "free", "empty", "cap"]):
            h.passRowName(i, n)
    return h


# ---- MIPLIB --------------------------------------------------------------------------------------
def test_flugpl_round_trip(miplib_dir):
    f = read_model_file(_instance(miplib_dir, "flugpl"))
    result = solve(f, solver="highs", time_limit=60, **OPTS)
    assert result.status == Termination.OPTIMAL
    assert rel_close(result.objective, 1201500.0)
    values = column_values(result)
    assert len(values) == 18 and "STM1" in values
    assert {v.name: v.domain for v in f.variables} == {"x": "continuous", "y": "integer"}


def test_structure_of_the_ir(miplib_dir):
    f = read_model_file(_instance(miplib_dir, "flugpl"))
    sets = {s.name: s for s in f.sets}
    assert len(sets["COLS"].elements or []) == 18 and len(sets["ROWS"].elements or []) == 18
    assert sets["RC"].index == ["ROWS"]
    cons = {c.name: c for c in f.constraints}
    assert cons["le"].forall == "r in ROWS_L"
    assert cons["le"].expression == ("sum(A[r, j]*x[j] for j in RC[r]) + sum(A[r, j]*y[j] for j in RI[r]) "
                                     "<= rhs[r]")
    assert f.objective.expression == "sum(c[j]*x[j] for j in C) + sum(c[j]*y[j] for j in I)"


@pytest.mark.parametrize("name", ["flugpl", "gt2", "p0201", "sp150x300d"])
def test_json_round_trip_keeps_the_optimum(miplib_dir, solu, name):
    f = read_model_file(_instance(miplib_dir, name))
    g = Formulation.from_json(f.to_json())
    assert g == f
    result = solve(g, solver="highs", time_limit=60, **OPTS)
    assert result.status == Termination.OPTIMAL
    assert rel_close(result.objective, solu[name])


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_write_and_read_back(miplib_dir, tmp_path, suffix):
    f = read_model_file(_instance(miplib_dir, "flugpl"))
    path = tmp_path / f"flugpl{suffix}"
    write_model_file(f, path)
    g = read_model_file(path)
    # the file holds the columns grouped as the IR numbers them (x, y, z) and the rows by type
    names = {s.name: s.elements for s in f.sets}
    back = {s.name: s.elements for s in g.sets}
    assert back["C"] == names["C"] and back["I"] == names["I"] and back["ROWS_L"] == names["ROWS_L"]
    assert sorted(back["COLS"]) == sorted(names["COLS"]) and sorted(back["ROWS"]) == sorted(names["ROWS"])
    result = solve(g, solver="highs", time_limit=60, **OPTS)
    assert rel_close(result.objective, 1201500.0)


def test_ir_model_equals_the_file_model(miplib_dir):
    """Same columns, bounds, costs and rows as HiGHS reads them (up to the order of the columns)."""
    path = _instance(miplib_dir, "dcmulti")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    raw = h.getLp()
    inst = instantiate(read_model_file(path))
    ours, _ = build_highs(inst)
    lp = ours.getLp()
    order = [list(raw.col_names_).index(decode_name(n.split("[", 1)[1][:-1])) for n in inst.names]
    assert np.array_equal(np.asarray(lp.col_cost_), np.asarray(raw.col_cost_)[order])
    assert np.array_equal(np.asarray(lp.col_lower_), np.asarray(raw.col_lower_)[order])
    assert np.array_equal(np.asarray(lp.col_upper_), np.asarray(raw.col_upper_)[order])
    assert lp.num_row_ == raw.num_row_ and len(lp.a_matrix_.value_) == len(raw.a_matrix_.value_)


# ---- synthetic models ----------------------------------------------------------------------------
def test_mixed_model_matches_highs():
    h = _mixed_model()
    f = formulation_from_lp(h.getLp(), name="mixed")
    status, objective = _raw(_mixed_model())
    assert status == highspy.HighsModelStatus.kOptimal
    result = solve(f, solver="highs", time_limit=30, **OPTS)
    assert result.status == Termination.OPTIMAL
    assert result.objective == pytest.approx(objective, rel=1e-9)
    assert set(column_values(result)) == {"x(1,2)", "1", "2.5", "a,b", "it's", "[q]", "%20", "inf"}
    g = Formulation.from_json(f.to_json())
    assert g == f
    assert solve(g, solver="highs", time_limit=30, **OPTS).objective == pytest.approx(objective, rel=1e-9)


def test_mixed_model_groups_and_row_types():
    f = formulation_from_lp(_mixed_model().getLp())
    sets = {s.name: s.elements for s in f.sets if s.elements is not None}
    assert sets["C"] == [encode_name(n) for n in ["x(1,2)", "a,b", "it's", "inf"]]
    assert sets["I"] == ["1", encode_name("%20")]
    assert sets["B"] == ["2.5", encode_name("[q]")]
    assert sets["ROWS_L"] == [encode_name("le 1"), "cap"]
    assert sets["ROWS_R"] == ["rng", "free"]  # the empty row is dropped
    assert all(isinstance(e, str) for e in sets["COLS"])


def test_names_encode_and_decode():
    for raw in ["x(1,2)", "a b", "it's", '"q"', "[k]", "50%", "plain_name.1", "1", "ü,ß"]:
        enc = encode_name(raw)
        assert decode_name(enc) == raw
        assert not any(ch in enc for ch in " ,'\"()[]") and (enc == raw) == (raw in ("plain_name.1", "1"))


def test_model_without_names_gets_generated_names():
    h = _mixed_model(names=False)
    f = formulation_from_lp(h.getLp())
    cols = next(s for s in f.sets if s.name == "COLS").elements
    assert cols == [f"c{i}" for i in range(1, 9)]
    _, objective = _raw(_mixed_model(names=False))
    assert solve(f, solver="highs", **OPTS).objective == pytest.approx(objective, rel=1e-9)


def _qp(maximize: bool) -> highspy.Highs:
    """min x^2 + y^2 - xy - 3x s.t. x + y <= 2 (or the negated maximisation)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(2, np.array([0.0, 0.0]), np.array([INF, INF]))
    sign = -1.0 if maximize else 1.0
    h.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([-3.0 * sign, 0.0]))
    h.addRow(-INF, 2.0, 2, np.array([0, 1], dtype=np.int32), np.array([1.0, 1.0]))
    hess = highspy.HighsHessian()
    hess.dim_ = 2
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = [0, 2, 3]
    hess.index_ = [0, 1, 1]
    hess.value_ = [2.0 * sign, -1.0 * sign, 2.0 * sign]
    h.passHessian(hess)
    if maximize:
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.passColName(0, "x")
    h.passColName(1, "y")
    h.passRowName(0, "cap")
    return h


@pytest.mark.parametrize("maximize", [False, True])
def test_quadratic_objective_round_trip(tmp_path, maximize):
    h = _qp(maximize)
    model = h.getModel()
    f = formulation_from_lp(model.lp_, model.hessian_)
    assert "Q[i, k]*x[i]*x[k]" in f.objective.expression
    status, raw = _raw(_qp(maximize))
    assert status == highspy.HighsModelStatus.kOptimal
    assert raw == pytest.approx(2.75 if maximize else -2.75, abs=1e-6)  # x = 1.5, y = 0.5
    result = solve(f, solver="highs", **OPTS)
    assert result.objective == pytest.approx(raw, abs=1e-6)
    for suffix in (".mps", ".lp"):
        path = tmp_path / f"qp{suffix}"
        write_model_file(f, path)
        back = read_model_file(path)
        assert back.objective.sense == ("maximize" if maximize else "minimize")
        assert solve(back, solver="highs", **OPTS).objective == pytest.approx(raw, abs=1e-6)


def test_semicontinuous_columns_are_rejected():
    h = _mixed_model()
    h.changeColsIntegrality(1, np.array([3], dtype=np.int32), np.array([highspy.HighsVarType.kSemiContinuous]))
    with pytest.raises(ModelFileError, match="semi-continuous"):
        formulation_from_lp(h.getLp())


def test_write_rejects_nonlinear_models(tmp_path):
    f = Formulation.model_validate({
        "variables": [{"name": "x", "lb": 0.1, "ub": 2}],
        "objective": {"sense": "minimize", "expression": "exp(x) - x"},
    })
    with pytest.raises(ModelFileError, match="NLP"):
        write_model_file(f, tmp_path / "nl.mps")


def test_write_general_formulation_uses_labels(tmp_path):
    f = Formulation.model_validate({
        "sets": [{"name": "I", "elements": ["a", "b"]}],
        "parameters": [{"name": "w", "index": ["I"], "value": [2, 3]}],
        "variables": [{"name": "x", "index": ["I"], "ub": 4}],
        "objective": {"sense": "maximize", "expression": "sum(w[i]*x[i] for i in I)"},
        "constraints": [{"name": "cap", "expression": "sum(x[i] for i in I) <= 5"}],
    })
    path = tmp_path / "general.mps"
    write_model_file(f, path)
    back = read_model_file(path)
    assert next(s for s in back.sets if s.name == "COLS").elements == [encode_name("x[a]"), encode_name("x[b]")]
    result = solve(back, solver="highs", **OPTS)
    assert result.objective == pytest.approx(2 * 1 + 3 * 4)
    assert column_values(result) == pytest.approx({"x[a]": 1.0, "x[b]": 4.0})


# ---- bad files -----------------------------------------------------------------------------------
def _expect_error(path: Path, match: str) -> None:
    with pytest.raises(ModelFileError, match=match) as info:
        read_model_file(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nope.mps", "not found")


def test_empty_files(tmp_path):
    (tmp_path / "empty.mps").write_bytes(b"")
    _expect_error(tmp_path / "empty.mps", "empty")
    (tmp_path / "blank.lp").write_text("  \n\n")
    _expect_error(tmp_path / "blank.lp", "empty")
    with gzip.open(tmp_path / "empty.mps.gz", "wb"):
        pass
    _expect_error(tmp_path / "empty.mps.gz", "empty")


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "noise.mps").write_bytes(b"\x00" + rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    _expect_error(tmp_path / "noise.mps", "binary")
    (tmp_path / "fake.mps.gz").write_bytes(b"NAME not gzip\n")
    _expect_error(tmp_path / "fake.mps.gz", "cannot read")


def test_malformed_files(tmp_path):
    (tmp_path / "bad.lp").write_text("min: x + ;\n")
    _expect_error(tmp_path / "bad.lp", "cannot read bad.lp as LP")
    (tmp_path / "words.lp").write_text("this is not a model\n")
    _expect_error(tmp_path / "words.lp", "no columns")
    (tmp_path / "bad.mps").write_text("NAME x\nROWS\n N obj\n Q c1\nCOLUMNS\n x obj 1\nENDATA\n")
    _expect_error(tmp_path / "bad.mps", "cannot read bad.mps as MPS")


def test_unsupported_paths(tmp_path):
    (tmp_path / "model.txt").write_text("NAME\n")
    _expect_error(tmp_path / "model.txt", "unsupported file type")
    (tmp_path / "dir.mps").mkdir()
    _expect_error(tmp_path / "dir.mps", "not a file")
    with pytest.raises(ModelFileError, match="unsupported"):
        write_model_file(formulation_from_lp(_mixed_model().getLp()), tmp_path / "out.json")
