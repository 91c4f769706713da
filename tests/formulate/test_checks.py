"""Each verifier with a case it must flag and one it must pass."""

from __future__ import annotations

from optcopilot.formulate.checks import (
    borrowed_variables,
    check_copied_data,
    check_counts,
    check_directions,
    check_numbers,
    check_percents,
    check_sense,
    check_solution,
    check_structure,
    copied_example,
    derivable,
    directed_numbers,
    percent_only_numbers,
    text_numbers,
)
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.formulate.prompts import FIXED_STAGED_EXAMPLES

PRODUCTION = ("A workshop makes chairs and tables. A chair needs 4 hours of carpentry and 1 hour of finishing; a table "
              "needs 6 hours of carpentry and 3 hours of finishing. There are 240 carpentry hours and 90 finishing "
              "hours a week. A chair earns $30 and a table $50. How many of each maximize profit?")
RIGHT = """chairs = var(integer, desc="number of chairs")
tables = var(integer, desc="number of tables")
maximize(30 * chairs + 50 * tables)
subject_to(4 * chairs + 6 * tables <= 240)
subject_to(chairs + 3 * tables <= 90)"""
BAKERY_TEXT, BAKERY = FIXED_STAGED_EXAMPLES[0]


def codes(findings: list) -> list[str]:
    return [f.code for f in findings]


def test_text_numbers_reads_commas_percentages_and_skips_labels() -> None:
    nums = text_numbers("Plant 2 ships 1,200 units; 30% of them go to Store 3 in 2024 at $4.50 each.")
    assert 1200 in nums.data and 0.3 in nums.data and 4.5 in nums.data
    assert 2 not in nums.data and 3 not in nums.data and 2024 not in nums.data  # labels and years
    assert 30 in nums.all and 2 in nums.all


def test_derivable_allows_percent_forms_and_one_product() -> None:
    pool = [12, 5, 30]
    assert derivable(0.3, pool) and derivable(60, pool) and derivable(17, pool)
    assert not derivable(248, pool) and not derivable(7.7, pool)


def test_the_right_model_passes_every_check() -> None:
    f = parse_dsl(RIGHT)
    assert check_numbers(f, PRODUCTION, FIXED_STAGED_EXAMPLES, answer=RIGHT) == []
    assert check_sense(f, PRODUCTION) == [] and check_counts(f) == []


def test_a_copied_worked_example_is_refused() -> None:
    f = parse_dsl(BAKERY)
    found = check_numbers(f, PRODUCTION, FIXED_STAGED_EXAMPLES, answer=BAKERY)
    assert codes(found) == ["copied-example"] and found[0].hard
    assert copied_example(BAKERY, [BAKERY]) and not copied_example(RIGHT, [BAKERY])
    # the example's numbers are caught even when its lines are rewritten
    renamed = BAKERY.replace("bread", "loaf").replace("cake", "pie")
    assert codes(check_numbers(parse_dsl(renamed), PRODUCTION, FIXED_STAGED_EXAMPLES)) == ["copied-example"]


def test_variables_only_a_worked_example_talks_about_are_a_copy() -> None:
    # the workshop's numbers, but the bakery's things: a rewritten copy of the example
    borrowed = RIGHT.replace("chairs", "bread").replace("tables", "cake").replace(
        "number of bread", "number of loaves of bread").replace("number of cake", "number of cakes")
    found = check_numbers(parse_dsl(borrowed), PRODUCTION, FIXED_STAGED_EXAMPLES)
    assert codes(found) == ["copied-example"] and found[0].hard and "bread" in found[0].message
    assert borrowed_variables(parse_dsl(borrowed), PRODUCTION, [BAKERY_TEXT]) == ["bread", "cake"]
    # the problem's own things, or words neither text uses, are not borrowed
    assert borrowed_variables(parse_dsl(RIGHT), PRODUCTION, [BAKERY_TEXT]) == []
    generic = RIGHT.replace("chairs", "x1").replace("tables", "x2").replace("number of x1", "units of product 1")
    assert borrowed_variables(parse_dsl(generic), PRODUCTION, [BAKERY_TEXT]) == []


def test_invented_numbers_are_refused() -> None:
    invented = RIGHT.replace("<= 240", "<= 777").replace("<= 90", "<= 913")
    found = check_numbers(parse_dsl(invented), PRODUCTION)
    assert codes(found) == ["alien-numbers"] and found[0].hard and "777" in found[0].message


def test_unused_problem_numbers_ask_for_a_repair() -> None:
    partial = RIGHT.replace("\nsubject_to(chairs + 3 * tables <= 90)", "")
    found = check_numbers(parse_dsl(partial), PRODUCTION)
    assert codes(found) == ["missing-numbers"] and not found[0].hard and "90" in found[0].message


def test_objective_sense_against_the_question() -> None:
    wrong = parse_dsl(RIGHT.replace("maximize", "minimize"))
    assert codes(check_sense(wrong, PRODUCTION)) == ["objective-sense"]
    assert check_sense(wrong, "Find the plan with the lowest total cost of 3 trucks.") == []
    assert codes(check_sense(parse_dsl(RIGHT), "Minimize the cost.")) == ["objective-sense"]


def test_counts_declared_continuous() -> None:
    f = parse_dsl('x = var(desc="The number of trucks")\ny = var(desc="number of hours of overtime")\n'
                  'z = var(desc="how many vans")\nw = var(desc="The number of acres of wheat")\n'
                  'maximize(x + y + z + w)\nsubject_to(x + y + z + w <= 4)')
    found = check_counts(f)
    assert codes(found) == ["continuous-count"] and "x, z" in found[0].message  # hours and acres measure
    assert check_counts(parse_dsl('x = var(desc="litres of milk")\nmaximize(x)\nsubject_to(x <= 4)')) == []


def test_an_all_zero_solution_asks_for_a_repair() -> None:
    for sense in ("max", "min"):
        found = check_solution({"x": 0.0, "y": 0.0}, sense)
        assert codes(found) == ["all-zero"] and found[0].urgent and not found[0].hard
    assert "at least" in check_solution({"x": 0.0}, "min")[0].message
    assert check_solution({"x": 0.0, "y": 2.0}, "max") == [] and check_solution({"x": 0.0, "y": 2.0}, "min") == []


CONCERTS = ("Each pop concert brings in 100 people and takes 2 days of practice; each R&B concert brings in 240 "
            "people and takes 4 days. He must bring in at least 10000 people and has 180 days of practice. At most "
            "40% of his concerts can be R&B. Minimize the number of concerts.")
CONCERTS_RIGHT = """pop = var(integer, desc="number of pop concerts")
rnb = var(integer, desc="number of R&B concerts")
minimize(pop + rnb)
subject_to(100 * pop + 240 * rnb >= 10000)
subject_to(2 * pop + 4 * rnb <= 180)
subject_to(rnb <= 0.4 * (pop + rnb))"""


def test_a_model_without_constraints_is_refused_when_the_problem_states_limits() -> None:
    bare = parse_dsl('pop = var(integer, desc="number of pop concerts")\nminimize(pop)')
    found = check_structure(bare, CONCERTS)
    assert codes(found) == ["no-constraints"] and found[0].hard and found[0].section == "constraints"
    assert check_structure(parse_dsl(CONCERTS_RIGHT), CONCERTS) == []
    bounded = parse_dsl('pop = var(integer, lb=30, desc="number of pop concerts")\nminimize(pop)')
    assert check_structure(bounded, CONCERTS) == []  # the limit is stated as a bound
    unconstrained = parse_dsl('x = var(lb=None, desc="x")\nminimize((x - 7) ** 2)')
    assert check_structure(unconstrained, "Find the x that minimizes (x - 7) ** 2.") == []  # nothing to constrain


def test_a_percentage_used_as_a_plain_number_asks_for_a_repair() -> None:
    assert percent_only_numbers(CONCERTS) == [40.0]
    assert percent_only_numbers("At most 40% of 40 trucks") == []  # 40 is also a plain number
    wrong = parse_dsl(CONCERTS_RIGHT.replace("0.4 * (pop + rnb)", "40"))
    found = check_percents(wrong, CONCERTS)
    assert codes(found) == ["percent-as-number"] and found[0].urgent and not found[0].hard
    assert "0.4" in found[0].message and found[0].section == "constraints"
    as_bound = parse_dsl(CONCERTS_RIGHT.replace('rnb = var(integer,', 'rnb = var(integer, ub=40,')
                         .replace("\nsubject_to(rnb <= 0.4 * (pop + rnb))", ""))
    assert [f.section for f in check_percents(as_bound, CONCERTS)] == ["variables"]
    assert check_percents(parse_dsl(CONCERTS_RIGHT), CONCERTS) == []
    converted = parse_dsl(CONCERTS_RIGHT.replace("0.4 * (pop + rnb)", "40 / 100 * (pop + rnb)"))
    assert check_percents(converted, CONCERTS) == []  # the model converts the percentage itself


def test_a_limit_written_against_the_direction_the_text_states() -> None:
    text = ("At least 10 volunteers must be full-time, at most 30 can be seasonal, and the store does not want to "
            "spend more than 400 points. Maximize the gifts delivered.")
    assert directed_numbers(text) == {10.0: "lower", 30.0: "upper", 400.0: "upper"}
    right = ('full = var(integer, lb=10, desc="full-time")\nseasonal = var(integer, ub=30, desc="seasonal")\n'
             'maximize(8 * full + 5 * seasonal)\nsubject_to(5 * full + 2 * seasonal <= 400)')
    assert check_directions(parse_dsl(right), text) == []
    bound = parse_dsl(right.replace("lb=10", "ub=10"))
    found = check_directions(bound, text)
    assert codes(found) == ["limit-direction"] and found[0].section == "variables" and "ub=10 on full" in found[0].message
    assert not found[0].urgent and not found[0].hard
    reversed_row = parse_dsl(right.replace("<= 400", ">= 400"))
    assert [f.section for f in check_directions(reversed_row, text)] == ["constraints"]


FURNITURE = ("Each table needs 2.5 hours of crafting and 1.5 hours of polishing; each bookcase needs 5 hours of "
             "crafting and 3 hours of polishing. 30 crafting and 20 polishing hours are available. A table earns "
             "$200 and a bookcase $500. Maximize profit.")
FURNITURE_RIGHT = """Products = range(0, 2)
Crafting = param([2.5, 5], Products)
Polishing = param([1.5, 3], Products)
Profit = param([200, 500], Products)
make = var(Products, integer, desc="number of each product")
maximize(sum(Profit[p] * make[p] for p in Products))
subject_to(sum(Crafting[p] * make[p] for p in Products) <= 30)
subject_to(sum(Polishing[p] * make[p] for p in Products) <= 20)"""


def test_parameters_filled_with_a_copy_of_one_list_ask_for_a_repair() -> None:
    assert check_copied_data(parse_dsl(FURNITURE_RIGHT), FURNITURE) == []
    copied = parse_dsl(FURNITURE_RIGHT.replace("param([1.5, 3], Products)", "param([2.5, 5], Products)"))
    found = check_copied_data(copied, FURNITURE)
    assert codes(found) == ["copied-data"] and found[0].urgent and not found[0].hard
    assert found[0].section == "parameters" and "Crafting, Polishing" in found[0].message
    assert "2.5 only once" in found[0].message


def test_a_problem_that_states_the_same_numbers_twice_passes_the_copy_check() -> None:
    text = ("A pack of blueberries has 5 units of minerals and a pack of strawberries 7 units. A pack of blueberries "
            "has 5 grams of sugar and a pack of strawberries 7 grams. At least 100 units of minerals; minimize sugar.")
    model = """Fruits = range(0, 2)
Minerals = param([5, 7], Fruits)
Sugar = param([5, 7], Fruits)
packs = var(Fruits, continuous)
minimize(sum(Sugar[i] * packs[i] for i in Fruits))
subject_to(sum(Minerals[i] * packs[i] for i in Fruits) >= 100)"""
    assert check_copied_data(parse_dsl(model), text) == []
    once = text.replace("has 5 grams of sugar and a pack of strawberries 7 grams", "has little sugar")
    assert codes(check_copied_data(parse_dsl(model), once)) == ["copied-data"]
    assert check_copied_data(parse_dsl(model), once, extra=[5, 7]) == []  # a data table states them again


def test_membership_lists_and_a_single_list_are_not_copies() -> None:
    text = "Route A uses depots 1 and 3, route B uses depots 1 and 3 as well; costs are 40 and 75. Minimize cost."
    model = """Depots = range(1, 3)
UsesA = param([1, 0, 1], Depots)
UsesB = param([1, 0, 1], Depots)
Cost = param([40, 75, 99], Depots)
x = var(Depots, binary)
minimize(sum(Cost[d] * x[d] for d in Depots))
subject_to(sum(UsesA[d] * x[d] for d in Depots) >= 1)
subject_to(sum(UsesB[d] * x[d] for d in Depots) >= 1)"""
    assert check_copied_data(parse_dsl(model), text) == []  # 0/1 lists, and one list with a number not stated
