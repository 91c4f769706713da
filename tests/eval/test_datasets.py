"""Loaders against the real shared files (skipped when absent) and synthetic dirty records."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from optcopilot.eval.answers import parse_answer, parse_number
from optcopilot.eval.builders import build_orlm
from optcopilot.eval.classify import guess_objective_key, has_table
from optcopilot.eval.datasets import DATASETS, list_datasets, load_dataset, load_optibench_file
from optcopilot.eval.problems import OBJECTIVE_KEY, Problem, load_records
from optcopilot.io.data_dir import DatasetError

from .conftest import SAMPLE

# name -> (loaded, skipped per reason, infeasible references)
EXPECTED: dict[str, tuple[int, dict[str, int], int]] = {
    "optibench": (605, {}, 0),
    "nl4opt-e": (289, {}, 0),
    "mamo-easy": (652, {}, 0),
    "mamo-complex": (211, {}, 0),
    "nl4opt": (230, {}, 0),
    "industryor": (100, {}, 3),
    "industryor-v2": (100, {}, 0),
    "nlp4lp": (242, {"missing answer": 27}, 0),
    "complexor": (18, {}, 0),
    "complexor-44": (44, {}, 0),
    "complexor-orthought": (17, {"missing answer": 1}, 1),
    "orthought-industryor": (82, {"missing answer": 1}, 0),
    "orthought-nlp4lp": (250, {"missing answer": 14}, 8),
    "miplib-mps": (34, {}, 1),
    "miplib-nl": (15, {}, 0),
    "llmopt-nl4opt": (230, {}, 0),
    "llmopt-mamo-easy": (652, {}, 0),
    "llmopt-mamo-complex": (211, {}, 0),
    "llmopt-nlp4lp": (242, {}, 0),
    "llmopt-complexor": (18, {}, 0),
    "llmopt-industryor": (100, {}, 3),
    "llmopt-task3": (410, {}, 0),
    "llmopt-optibench": (605, {}, 0),
    "sirl-nl4opt": (245, {}, 17),
    "sirl-mamo-easy": (652, {}, 0),
    "sirl-mamo-easy-fixed": (642, {}, 1),
    "sirl-mamo-complex": (211, {}, 0),
    "sirl-mamo-complex-fixed": (203, {}, 1),
    "sirl-industryor-fixedv2": (100, {}, 0),
    "sirl-optibench": (605, {}, 0),
    "clean-industryor": (42, {}, 0),
    "clean-mamo-easy": (545, {}, 0),
    "clean-mamo-complex": (111, {}, 0),
    "clean-resocratic": (403, {}, 0),
    "clean-nl4opt": (213, {"missing answer": 1}, 0),
    "clean-nlp4lp": (178, {}, 0),
    "clean-complexor": (18, {}, 0),
}
PTYPE = re.compile(r"^(linear|nonlinear|unknown)-(table|notable|mps)$")


@pytest.fixture(scope="module")
def loaded(data_dir: Path) -> dict[str, list[Problem]]:
    return {name: load_dataset(name, data_dir) for name in EXPECTED}


def by_id(problems: list[Problem]) -> dict[str, Problem]:
    return {p.id: p for p in problems}


# --------------------------------------------------------------------------- registry (no data)


def test_registry_names() -> None:
    assert set(list_datasets()) == set(EXPECTED) == set(DATASETS)
    assert list_datasets() == sorted(list_datasets())


def test_unknown_dataset() -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("no-such-set")


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_dataset("optibench", tmp_path / "absent")


def test_missing_file_in_existing_dir(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="benchmark file missing"):
        load_dataset("optibench", tmp_path)


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_schema(name: str, loaded: dict[str, list[Problem]]) -> None:
    problems = loaded[name]
    n, skips, n_infeasible = EXPECTED[name]
    report = problems.report  # type: ignore[attr-defined]
    assert len(problems) == report.loaded == n
    assert report.skip_counts() == skips
    assert report.records == n + sum(skips.values())
    assert sum(p.infeasible for p in problems) == n_infeasible
    assert len({p.id for p in problems}) == n
    for p in problems:
        assert p.source == name and p.id.startswith(f"{name}:")
        assert PTYPE.match(p.ptype), p.ptype
        assert p.answers
        assert p.objective_key is None or p.objective_key in p.answers
        if p.infeasible:
            assert p.answers == {OBJECTIVE_KEY: None}
        else:
            assert all(isinstance(v, float) for v in p.answers.values())
        if name != "miplib-mps":
            assert p.text.strip()


def test_optibench_types_and_values(loaded: dict[str, list[Problem]]) -> None:
    ob = loaded["optibench"]
    assert Counter(p.ptype for p in ob) == {
        "linear-notable": 342,
        "nonlinear-notable": 133,
        "linear-table": 80,
        "nonlinear-table": 50,
    }
    assert sum(len(p.answers) for p in ob) == 2186
    assert Counter(len(p.answers) for p in ob)[3] == 384
    p = by_id(ob)["optibench:0"]
    assert p.answers == {"The maximum profit you can get": 3600.0}
    assert p.objective_key == "The maximum profit you can get"
    assert by_id(ob)["optibench:387"].answers["The height of the box"] == pytest.approx(3.7797631444364974)


def test_optibench_objective_keys(loaded: dict[str, list[Problem]]) -> None:
    ob = by_id(loaded["optibench"])
    assert ob["optibench:4"].objective_key == "The optimal number of fire stations to be built is"
    assert ob["optibench:78"].objective_key == "The weekly cost of meeting demand is"
    assert ob["optibench:423"].objective_key == "The total number of refills per hour"
    assert ob["optibench:578"].objective_key == "The maximum profit you can get"
    assert ob["optibench:104"].objective_key == "The minimum cost of making the containers"
    assert ob["optibench:30"].objective_key == "The number of meals delivered"
    assert ob["optibench:412"].objective_key == "The product of the two numbers"
    assert ob["optibench:33"].objective_key is None  # only variable shares are given
    problems = loaded["optibench"]
    assert sum(p.objective_key is None for p in problems) == 10
    assert sum(p.objective_key == list(p.answers)[-1] for p in problems) == 583
    nl = by_id(loaded["nl4opt-e"])
    assert nl["nl4opt-e:156"].objective_key == "Minimum number of vans used"
    assert all(p.ptype == "linear-notable" for p in loaded["nl4opt-e"])


def test_table_heuristic_agrees_with_optibench_labels(loaded: dict[str, list[Problem]]) -> None:
    problems = loaded["optibench"]
    disagree = {p.id for p in problems if has_table(p.text) != p.ptype.endswith("-table")}
    # OptiBench typed these *-table: furniture tables (119, 243, 352, 483), "comfortable" /
    # "vegetables" substrings (102, 284, 303) and no table at all (524).
    assert disagree == {f"optibench:{i}" for i in (102, 119, 243, 284, 303, 352, 483, 524)}


def test_table_heuristic_examples() -> None:
    assert has_table("| a | b |\n|---|---|\n| 1 | 2 |")
    assert has_table("The data are shown in Table 1-18.")
    assert has_table("costs are given in the following table:")
    assert has_table("\\begin{tabular}{c|c} 1 & 2 \\end{tabular}")
    assert not has_table("A factory makes chairs and coffee tables.")
    assert not has_table("At table 1, 3 units of powder are used.")


def test_answer_quirks(loaded: dict[str, list[Problem]]) -> None:
    nl4 = by_id(loaded["nl4opt"])
    assert nl4["nl4opt:17"].answers == {"objective": 700.0}  # stored as the string "700.0"
    easy = by_id(loaded["llmopt-mamo-easy"])
    assert easy["llmopt-mamo-easy:648"].answers["objective"] == 1e12  # string "1000000000000"
    cx = loaded["mamo-complex"]
    raw = [p for p in cx if p.extra["raw_answer"] == " 172666.667"]
    assert len(raw) == 1 and raw[0].answers["objective"] == 172666.667
    sirl = [p for p in loaded["sirl-nl4opt"] if p.infeasible]
    assert {p.extra["raw_answer"] for p in sirl} == {"No Best Solution"}
    fixed = [p for p in loaded["sirl-mamo-complex-fixed"] if p.infeasible]
    assert fixed[0].extra["raw_answer"] == "-9999.0"
    ior = [p for p in loaded["industryor"] if p.infeasible]
    assert {p.extra["raw_answer"] for p in ior} == {"-99999"}
    assert {p.id for p in loaded["llmopt-industryor"] if p.infeasible} == {
        "llmopt-industryor:15",
        "llmopt-industryor:49",
        "llmopt-industryor:54",
    }


def test_types_from_metadata(loaded: dict[str, list[Problem]]) -> None:
    ior = Counter(p.ptype.split("-")[0] for p in loaded["industryor"])
    assert ior == {"linear": 98, "nonlinear": 1, "unknown": 1}  # LP/IP/MIP, NLP, Others
    orth = Counter(p.extra["problem_type"] for p in loaded["orthought-industryor"])
    assert orth["NLP"] == 4
    assert all(p.ptype.startswith("unknown") for p in loaded["llmopt-task3"])


def test_orthought_status(loaded: dict[str, list[Problem]]) -> None:
    inf = [p for p in loaded["orthought-nlp4lp"] if p.infeasible]
    assert {p.extra["reference_status"] for p in inf} == {"infeasible_or_unbounded"}
    multi = by_id(loaded["complexor-orthought"])["complexor-orthought:prob_011_multi"]
    assert multi.infeasible


def test_complexor_text_has_data(loaded: dict[str, list[Problem]]) -> None:
    p = by_id(loaded["complexor"])["complexor:aircraft_assignment"]
    assert "Input data (JSON)" in p.text and '"availability": [2, 3, 1]' in p.text
    assert p.answers == {"objective": 700.0}
    nl = loaded["clean-nl4opt"][0]
    assert "Input data" not in nl.text and nl.extra["solution"]


def test_nlp4lp_extra(loaded: dict[str, list[Problem]]) -> None:
    p = by_id(loaded["nlp4lp"])["nlp4lp:0"]
    assert p.answers == {"objective": 684000.0}
    assert p.extra["parameters"]["TotalBudget"] == 760000


def test_miplib_mps(loaded: dict[str, list[Problem]]) -> None:
    mps = by_id(loaded["miplib-mps"])
    assert mps["miplib-mps:air05"].answers == {"objective": 26374.0}
    assert mps["miplib-mps:neos859080"].infeasible
    for p in mps.values():
        assert Path(p.extra["mps_path"]).is_file()
        assert p.ptype == "linear-mps"
    assert mps["miplib-mps:air05"].extra["miplib2017_set"] == "benchmark"


def test_miplib_nl(loaded: dict[str, list[Problem]]) -> None:
    nl = by_id(loaded["miplib-nl"])
    for p in nl.values():
        assert p.tables and all(Path(t).is_file() and t.endswith(".csv") for t in p.tables.values())
        assert p.extra["missing_tables"] == []
    assert nl["miplib-nl:pg"].answers["objective"] == pytest.approx(8674.342607117023)
    assert "opposite sign" in nl["miplib-nl:pg"].extra["caveats"][0]
    assert "suspect" in nl["miplib-nl:neos17"].extra["caveats"][0]
    assert nl["miplib-nl:drayage-100-23"].answers["objective"] == pytest.approx(103333.87407)
    assert set(nl["miplib-nl:gt2"].tables) == {"C1", "C2", "C3", "C4"}
    flagged = {p.id for p in nl.values() if p.extra["caveats"]}
    assert flagged == {"miplib-nl:pg", "miplib-nl:neos17"}


# --------------------------------------------------------------------------- no shared data needed


def test_sample_file_loads() -> None:
    problems = load_optibench_file(SAMPLE)
    assert [p.ptype for p in problems] == ["linear-notable", "nonlinear-notable", "linear-table"]
    assert [p.objective_key for p in problems] == [
        "Maximum total profit",
        "The maximum area of the pen",
        "The minimum total cost",
    ]
    assert problems[2].answers["The minimum total cost"] == 35.0
    assert problems.report.skipped == []


def test_dirty_optibench_records(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"index": 0, "question": "Q0", "type": "linear-notable", "results": {"Total cost": "1,250.5"}}
        ),
        "{not json",
        json.dumps({"index": 1, "question": "", "type": "linear-notable", "results": {"a": "1"}}),
        json.dumps(
            {"index": 2, "question": "Q2", "type": "odd", "results": "{'x': '2', 'Total profit': '3'}"}
        ),
        json.dumps({"index": 3, "question": "Q3", "type": "linear-notable", "results": {"x": "abc"}}),
        json.dumps({"index": 4, "question": "Q4", "type": "linear-notable", "results": {}}),
        json.dumps([1, 2]),
        json.dumps({"index": 0, "question": "Q0 again", "type": "linear-notable", "results": {"y": "2"}}),
    ]
    path = tmp_path / "dirty.json"  # JSON-Lines despite the extension
    path.write_text("\n".join(lines) + "\n\n")
    problems = load_optibench_file(path, "dirty")
    report = problems.report
    assert [p.id for p in problems] == ["dirty:0", "dirty:2", "dirty:0#2"]
    assert problems[0].answers == {"Total cost": 1250.5}
    assert problems[1].answers == {"x": 2.0, "Total profit": 3.0}
    assert problems[1].objective_key == "Total profit"
    assert problems[1].ptype == "unknown-notable"
    assert report.records == 8
    assert report.skip_counts() == {
        "bad json": 1,
        "empty question": 1,
        "non-numeric reference value": 1,
        "missing answer": 1,
        "not an object": 1,
    }
    assert "skipped 5" in report.summary()


def test_dirty_orlm_records(tmp_path: Path) -> None:
    recs = [
        {"en_question": "A", "en_answer": "No Best Solution"},
        {"en_question": "B", "en_answer": "-9999"},
        {"en_question": "C", "en_answer": " 12,000 "},
        {"en_question": "D", "en_answer": None},
        {"en_question": "E", "en_answer": "n/a"},
        {"en_question": "F", "en_answer": 3, "question_type": "NLP"},
    ]
    path = tmp_path / "orlm.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs))

    def build(dataset: str, rec_no: int, rec: dict) -> Problem:
        return build_orlm("linear", dataset, rec_no, rec)

    problems = load_records("orlm", path, build)
    assert [p.infeasible for p in problems] == [True, True, False, False]
    assert problems[2].answers == {"objective": 12000.0}
    assert problems[3].ptype == "nonlinear-notable"
    assert problems.report.skip_counts() == {"missing answer": 1, "unparseable answer": 1}


def test_json_array_file(tmp_path: Path) -> None:
    path = tmp_path / "arr.json"
    path.write_text(
        json.dumps([{"index": 7, "question": "Q", "type": "linear-table", "results": {"Total": 1}}])
    )
    problems = load_optibench_file(path)
    assert problems[0].id == "optibench:7" and problems[0].answers == {"Total": 1.0}


@pytest.mark.parametrize(
    ("raw", "value", "infeasible", "error"),
    [
        (5, 5.0, False, None),
        ("1,234.50", 1234.5, False, None),
        ("$ 99", 99.0, False, None),
        ("No Best Solution", None, True, None),
        ("infeasible", None, True, None),
        (-99999, None, True, None),
        ("-9999.0", None, True, None),
        ({"status": "infeasible or unbounded", "obj": None}, None, True, None),
        ({"status": "optimal", "obj": 7}, 7.0, False, None),
        ({"status": "optimal", "obj": None}, None, False, "missing answer"),
        (None, None, False, "missing answer"),
        ("", None, False, "missing answer"),
        ("abc", None, False, "unparseable answer"),
        (float("nan"), None, False, "unparseable answer"),
        (True, None, False, "unparseable answer"),
    ],
)
def test_parse_answer(raw: object, value: float | None, infeasible: bool, error: str | None) -> None:
    parsed = parse_answer(raw)
    assert (parsed.value, parsed.infeasible, parsed.error) == (value, infeasible, error)


def test_parse_number() -> None:
    assert parse_number("1e3") == 1000.0
    assert parse_number("inf") is None
    assert parse_number([1]) is None


def test_guess_objective_key_rules() -> None:
    assert guess_objective_key("q", ["only"]) == "only"
    assert guess_objective_key("q", []) is None
    keys = ["The radius of the cylinder that minimizes the cost", "The minimum cost of the can"]
    assert guess_objective_key("q", keys) == "The minimum cost of the can"
    keys = ["The number of bikes", "The number of scooters", "The number of meals delivered"]
    question = "How many of each should be used to maximize the number of meals that can be delivered?"
    assert guess_objective_key(question, keys) == "The number of meals delivered"
    keys = ["The number of vans", "The number of trucks"]
    assert guess_objective_key("Minimize the total number of vehicles.", keys) is None
