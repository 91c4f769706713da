"""Keymap on realistic, hand-written prediction/reference pairs."""

from __future__ import annotations

from optcopilot.eval.keymap import OBJECTIVE, Prediction, map_keys, similarity, stem, tokens
from optcopilot.eval.problems import Problem
from optcopilot.eval.scoring import score


def test_tokens_split_and_normalise() -> None:
    assert tokens("numLaptopsProduced") == ["laptop", "produc"]
    assert tokens("x[New_York,2]") == ["x", "new", "york", "2"]
    assert tokens("The Quantity of Laptops") == ["laptop"]
    assert tokens("HTTPServer") == ["http", "server"]


def test_stem() -> None:
    assert stem("cities") == stem("city")
    assert stem("boxes") == stem("box")
    assert stem("produced") == stem("producing") == stem("produce")
    assert stem("shipped") == stem("ship")
    assert stem("built") == "build"
    assert stem("glass") == "glass" and stem("bus") == "bus"


def test_similarity_prefers_matching_index() -> None:
    key = "Whether a fire station should be built in City 3"
    desc = "1 if a fire station is built in city i"
    assert similarity(key, "build[3]", desc) > similarity(key, "build[2]", desc)


def test_laptop_products_by_name() -> None:
    pred = Prediction(
        objective=283200.0,
        values={"num_laptops": 66, "num_desktops": 120, "num_tablets": 0},
    )
    keys = ["Quantity of Laptop", "Quantity of Desktop", "Quantity of Tablet", "Total Profit"]
    m = map_keys(keys, pred, objective_key="Total Profit")
    assert m.mapping == {
        "Total Profit": OBJECTIVE,
        "Quantity of Laptop": "num_laptops",
        "Quantity of Desktop": "num_desktops",
        "Quantity of Tablet": "num_tablets",
    }
    assert m.values["Quantity of Desktop"] == 120.0 and m.unmapped == []


def test_generic_names_with_descriptions() -> None:
    pred = Prediction(
        objective=3600.0,
        values={"x": 1.1, "y": 5000.0, "z": 4.0},
        descriptions={
            "x": "price per item in dollars",
            "y": "number of items sold",
            "z": "number of 10-cent price cuts",
        },
    )
    keys = [
        "The price per item to maximize profit",
        "The number of items sold to maximize profit",
        "The maximum profit you can get",
    ]
    m = map_keys(keys, pred, objective_key="The maximum profit you can get")
    assert m.mapping["The price per item to maximize profit"] == "x"
    assert m.mapping["The number of items sold to maximize profit"] == "y"
    assert m.mapping["The maximum profit you can get"] == OBJECTIVE


def test_indexed_binary_variables() -> None:
    values = {f"build[{i}]": float(i in (2, 4)) for i in range(1, 7)}
    pred = Prediction(
        objective=2.0, values=values, descriptions={k: "1 if a station is built in city i" for k in values}
    )
    keys = ["The optimal number of fire stations to be built is"] + [
        f"Whether a fire stations should be built in City {i}" for i in range(1, 7)
    ]
    m = map_keys(keys, pred, objective_key=keys[0])
    assert m.unmapped == []
    assert all(
        m.mapping[f"Whether a fire stations should be built in City {i}"] == f"build[{i}]"
        for i in range(1, 7)
    )


def test_transport_tuple_indices() -> None:
    values = {
        "open[NewYork]": 1.0,
        "open[Chicago]": 0.0,
        "ship[NewYork,Region1]": 10.0,
        "ship[NewYork,Region2]": 0.0,
        "ship[Chicago,Region1]": 5.0,
    }
    keys = [
        "The weekly cost of meeting demand is",
        "Open New York Warehouse",
        "Open Chicago Warehouse",
        "Units from New York to Region 1",
        "Units from New York to Region 2",
        "Units from Chicago to Region 1",
    ]
    m = map_keys(keys, Prediction(objective=980.0, values=values), objective_key=keys[0])
    assert m.mapping["Open Chicago Warehouse"] == "open[Chicago]"
    assert m.mapping["Units from New York to Region 2"] == "ship[NewYork,Region2]"
    assert m.mapping["Units from Chicago to Region 1"] == "ship[Chicago,Region1]"
    assert m.unmapped == []


def test_objective_key_unknown_uses_objective_description() -> None:
    pred = Prediction(
        objective=40.0,
        values={"length": 10.0, "width": 10.0},
        objective_description="perimeter of the rectangle",
    )
    keys = ["The length of the rectangle", "The width of the rectangle", "The perimeter of the rectangle"]
    m = map_keys(keys, pred, objective_key=None)
    assert m.mapping == {
        "The perimeter of the rectangle": OBJECTIVE,
        "The length of the rectangle": "length",
        "The width of the rectangle": "width",
    }


def test_unrelated_names_stay_unmapped() -> None:
    pred = Prediction(objective=52.0, values={"a": 15.0, "b": 37.0})
    m = map_keys(["The number of vans", "The number of cars"], pred, objective_key=None, min_score=0.34)
    assert m.mapping == {} and m.unmapped == ["The number of vans", "The number of cars"]


def test_one_to_one_and_missing_objective() -> None:
    pred = Prediction(objective=None, values={"acres_wheat": 30.0}, descriptions={})
    keys = ["Acres of wheat", "Acres of winter wheat", "Total profit"]
    m = map_keys(keys, pred, objective_key="Total profit")
    assert list(m.mapping.values()).count("acres_wheat") == 1
    assert m.mapping.get("Acres of wheat") == "acres_wheat"
    assert "Total profit" in m.unmapped


def test_mapping_feeds_scoring() -> None:
    problem = Problem(
        id="t:1",
        text="bakery",
        answers={"Number of muffins": 15.0, "Number of cakes": 5.0, "Maximum total profit": 55.0},
        objective_key="Maximum total profit",
        source="optibench",
    )
    pred = Prediction(objective=55.0, values={"muffins": 15.0, "cakes": 5.0})
    m = map_keys(list(problem.answers), pred, problem.objective_key)
    verdict = score(problem, m.values, "optimal")
    assert verdict.correct and verdict.unmapped_keys == []
