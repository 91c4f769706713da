"""CSV tables → sets and parameters (our code, deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optcopilot.formulate.tables import TableError, identifier, load_tables


def test_labelled_table(tmp_path: Path) -> None:
    p = tmp_path / "foods.csv"
    p.write_text("Food,Cost ($),Protein (g),note\nbread,2.5,4,x\nmilk,1,8,y\n", encoding="utf-8")
    data = load_tables({"foods": p})
    assert data.sets[0].name == "Foods" and data.sets[0].elements == ["bread", "milk"]
    assert [q.name for q in data.parameters] == ["cost", "protein_g"]
    assert data.parameters[0].value == {"bread": 2.5, "milk": 1.0}
    assert "param cost[Foods]" in data.describe()


def test_numeric_table_from_text() -> None:
    data = load_tables({"demand": "week,units\n1,10\n2,20\n"})
    # a numeric first column named like an index still labels the rows
    assert data.sets[0].elements == [1, 2]
    data = load_tables({"d": "a,b\n1,10\n2,20\n"})
    assert data.sets[0].range == [1, 2] and [q.name for q in data.parameters] == ["a", "b"]


def test_bad_tables(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TableError, match="UTF-8"):
        load_tables({"bad": bad})
    with pytest.raises(TableError, match="not unique"):
        load_tables({"t": "name,v\na,1\na,2\n"})


def test_identifier() -> None:
    assert identifier("Unit cost ($)") == "unit_cost"
    assert identifier("2nd shift") == "c_2nd_shift"
    assert identifier("sum") == "sum_"
    assert identifier("raw materials", capital=True) == "RawMaterials"
