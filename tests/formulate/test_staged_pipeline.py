"""The staged pipeline with a scripted model that writes one section per call."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from optcopilot.formulate.events import FailureKind, ProgressEvent, Stage
from optcopilot.formulate.grammar import FENCE_CLOSE, SECTIONS, header
from optcopilot.formulate.pipeline import Techniques, formulate_and_solve
from optcopilot.formulate.prompts import (
    FIXED_STAGED_EXAMPLES,
    STAGED_RULES,
    STAGED_RULES_COMPACT,
    compact_answer,
)
from optcopilot.llm import ScriptedBackend
from optcopilot.llm.base import Message

TEXT = ("A workshop makes chairs and tables. A chair needs 4 hours of carpentry and 1 hour of finishing; a table "
        "needs 6 hours of carpentry and 3 hours of finishing. There are 240 carpentry hours and 90 finishing "
        "hours a week. A chair earns $30 and a table $50. How many of each maximize profit?")
HEAD = """```python
# sets
# parameters
carpentry_available = 240
finishing_available = 90
# variables
chairs = var(integer, desc="number of chairs")
tables = var(integer, desc="number of tables")
# objective
maximize(30 * chairs + 50 * tables)
# constraints
"""
GOOD = HEAD + """subject_to(4 * chairs + 6 * tables <= carpentry_available, name="carpentry")
subject_to(chairs + 3 * tables <= finishing_available, name="finishing")
```"""
INFEASIBLE = HEAD + """subject_to(4 * chairs + 6 * tables <= carpentry_available, name="carpentry")
subject_to(chairs + 3 * tables >= 900, name="finishing")
```"""


def continuing(answers: Callable[[list[Message]], str]) -> ScriptedBackend:
    """A model that continues the assistant's partial answer with the next section of `answers(messages)`."""

    def rule(messages: list[Message], _schema: object) -> str:
        assert messages[-1]["role"] == "assistant"
        done, full = messages[-1]["content"], answers(messages)
        assert full.startswith(done), (done, full)
        rest = full[len(done):]
        for k, section in enumerate(SECTIONS):
            if done.endswith(header(section)):
                end = header(SECTIONS[k + 1]) if k + 1 < len(SECTIONS) else FENCE_CLOSE
                return rest[: rest.index(end) + len(end)]
        raise AssertionError("the partial answer must end with a section header")

    return ScriptedBackend(rule, continues_assistant=True, avoids_repeats=True)


def is_repair(messages: list[Message]) -> bool:
    return any(m["role"] == "user" and m["content"].startswith("Your model has a problem") for m in messages)


def test_each_section_is_one_call_under_its_grammar() -> None:
    backend = continuing(lambda _m: GOOD)
    events: list[ProgressEvent] = []
    out = formulate_and_solve(TEXT, backend, progress=events.append)
    assert out.error is None and out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert len(backend.calls) == 5 and all(c.grammar for c in backend.calls)
    assert out.attempts[0].calls == 5 and out.llm["calls"] == 5
    assert [e.stage for e in events][:1] == [Stage.WRITING] and Stage.SOLVING in {e.stage for e in events}
    assert "# objective" in backend.calls[3].grammar or "maximize(" in backend.calls[3].grammar
    # the retrieved examples came first, the problem last
    assert out.examples and all(not i.startswith("fixed") for i in out.examples)


def test_a_repair_rewrites_only_the_faulty_section() -> None:
    backend = continuing(lambda m: GOOD if is_repair(m) else INFEASIBLE)
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert [a.stage for a in out.attempts] == ["generate", "repair"]
    assert out.attempts[0].error_kind == "infeasible" and out.attempts[1].repairs == "infeasible"
    repair_calls = [c for c in backend.calls if is_repair(c.messages)]
    assert len(repair_calls) == 1  # only the constraints section was written again
    assert repair_calls[0].messages[-1]["content"].endswith(header("constraints"))


def test_a_repeated_answer_is_resampled_once_then_the_chain_stops() -> None:
    backend = continuing(lambda _m: INFEASIBLE)
    out = formulate_and_solve(TEXT, backend, max_repairs=2, techniques=Techniques(second_opinion=False))
    assert out.result is not None and out.error is not None and out.error_kind == FailureKind.INFEASIBLE
    assert len(out.attempts) == 2 and out.attempts[1].repeated
    assert out.attempts[1].calls == 2  # the repeat and one resample at a higher temperature
    resample = [c for c in backend.calls if is_repair(c.messages)]
    assert [c.temperature for c in resample] == [0.3, 0.8]
    assert [c.avoid_repeats for c in resample] == [False, True]  # the resample penalizes repeats of the context


def test_a_resample_that_comes_out_different_is_judged_as_a_new_answer() -> None:
    def answers(m: list[Message]) -> str:
        if not is_repair(m):
            return INFEASIBLE
        return GOOD if backend.calls[-1].avoid_repeats else INFEASIBLE  # the call being answered

    backend = continuing(answers)
    out = formulate_and_solve(TEXT, backend, max_repairs=2)
    assert out.error is None and out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert not out.attempts[1].repeated and out.attempts[1].calls == 2


def test_without_the_repairs_technique_repeats_are_taken_again() -> None:
    backend = continuing(lambda _m: INFEASIBLE)
    out = formulate_and_solve(TEXT, backend, max_repairs=2, techniques=Techniques(repairs=False, second_opinion=False))
    assert len(out.attempts) == 3 and out.attempts[1].repeated and out.attempts[2].repeated


def test_a_copied_worked_example_is_never_the_answer() -> None:
    bakery = FIXED_STAGED_EXAMPLES[0][1]
    backend = continuing(lambda _m: bakery)
    out = formulate_and_solve(TEXT, backend, techniques=Techniques(retrieval=False))
    assert out.result is None or not out.result.status.has_solution
    assert out.error_kind == FailureKind.REJECTED and out.attempts[0].error_kind == "copied-example"


CONTINUOUS = GOOD.replace("var(integer,", "var(continuous,")  # counts declared continuous: a soft finding


def test_a_soft_finding_keeps_the_earlier_answer_when_the_repair_is_worse() -> None:
    backend = continuing(lambda m: INFEASIBLE if is_repair(m) else CONTINUOUS)
    out = formulate_and_solve(TEXT, backend, techniques=Techniques(soft_repairs=True))
    assert out.error is None and out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert out.attempts[0].findings == ["continuous-count"] and out.attempts[1].error_kind == "infeasible"


def test_by_default_a_soft_finding_is_recorded_but_not_repaired() -> None:
    backend = continuing(lambda m: INFEASIBLE if is_repair(m) else CONTINUOUS)
    out = formulate_and_solve(TEXT, backend)
    assert out.error is None and len(out.attempts) == 1 and out.attempts[0].findings == ["continuous-count"]
    assert not any(is_repair(call.messages) for call in backend.calls)


SHARE_TEXT = TEXT + " At most 40% of the pieces made can be tables."
SHARE_GOOD = GOOD.removesuffix("```") + 'subject_to(tables <= 0.4 * (chairs + tables), name="share")\n```'
SHARE_AS_NUMBER = SHARE_GOOD.replace("0.4 * (chairs + tables)", "40")


def test_a_percentage_used_as_a_number_is_repaired_even_with_soft_repairs_off() -> None:
    backend = continuing(lambda m: SHARE_GOOD if is_repair(m) else SHARE_AS_NUMBER)
    out = formulate_and_solve(SHARE_TEXT, backend)
    assert out.error is None and out.formulation is not None
    assert any("0.4" in c.expression for c in out.formulation.constraints)
    assert out.attempts[0].findings == ["percent-as-number"] and out.attempts[1].repairs == "percent-as-number"


def test_an_urgent_finding_keeps_the_earlier_answer_when_the_repair_fails() -> None:
    backend = continuing(lambda m: INFEASIBLE if is_repair(m) else SHARE_AS_NUMBER)
    out = formulate_and_solve(SHARE_TEXT, backend)
    assert out.error is None and out.result is not None and out.result.status.has_solution
    assert [a.error_kind for a in out.attempts][:2] == [None, "infeasible"]  # the first answer stands


def test_an_infeasible_answer_is_repaired_with_its_urgent_findings() -> None:
    infeasible_share = SHARE_AS_NUMBER.replace("<= finishing_available", ">= 900")
    backend = continuing(lambda m: SHARE_GOOD if is_repair(m) else infeasible_share)
    out = formulate_and_solve(SHARE_TEXT, backend)
    assert out.error is None and out.attempts[0].error_kind == "infeasible"
    error = out.attempts[0].error or ""
    assert "infeasible" in error and "40% is 0.4" in error  # both problems in one repair message


def test_an_all_zero_optimum_asks_for_a_repair() -> None:
    does_nothing = GOOD.replace("<= carpentry_available", "<= 0")
    backend = continuing(lambda m: GOOD if is_repair(m) else does_nothing)
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert "all-zero" in out.attempts[0].findings and out.attempts[1].repairs == "all-zero"


def test_a_model_without_constraints_is_refused() -> None:
    backend = continuing(lambda m: GOOD if is_repair(m) else HEAD + "```")
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert out.attempts[0].error_kind == "no-constraints" and out.attempts[1].repairs == "no-constraints"


def test_an_infeasible_conflict_with_a_declared_bound_rewrites_the_variables() -> None:
    bounded = INFEASIBLE.replace('tables = var(integer, desc=', 'tables = var(integer, ub=5, desc=').replace(
        "chairs + 3 * tables >= 900", "tables >= 20")
    backend = continuing(lambda m: GOOD if is_repair(m) else bounded)
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert out.attempts[0].error_kind == "infeasible" and "tables (ub=5" in (out.attempts[0].error or "")
    repair_calls = [c for c in backend.calls if is_repair(c.messages)]
    assert repair_calls[0].messages[-1]["content"].endswith(header("variables"))


# unused problem numbers (the finishing hours): a telling finding, so a second opinion is asked
LAZY = """```python
# sets
# parameters
# variables
chairs = var(integer, desc="number of chairs")
tables = var(integer, desc="number of tables")
# objective
maximize(30 * chairs + 50 * tables)
# constraints
subject_to(4 * chairs + 6 * tables <= 240, name="carpentry")
```"""


def by_examples(first: str, second: str) -> Callable[[list[Message]], str]:
    """`first` for the worked examples shown first, `second` once other examples are shown."""
    seen: list[str] = []

    def answers(messages: list[Message]) -> str:
        shown = messages[1]["content"]  # the first worked example's problem
        seen.append(shown) if not seen else None
        return first if shown == seen[0] else second

    return answers


@pytest.mark.parametrize(("preset", "shown"), [("accurate", 4), ("default", 2)])
def test_an_answer_with_unused_numbers_gets_a_second_opinion_from_other_examples(preset: str, shown: int) -> None:
    backend = continuing(by_examples(LAZY, GOOD))
    out = formulate_and_solve(TEXT, backend, techniques=Techniques.parse(preset))
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert [a.sample for a in out.attempts] == [0, 1] and out.attempts[0].findings == ["missing-numbers"]
    assert len(out.examples) == shown and len(set(out.examples)) == shown  # more worked examples, none repeated
    assert out.confidence == pytest.approx(0.5)  # the two answers disagree


def test_a_second_opinion_no_better_leaves_the_first_answer() -> None:
    backend = continuing(by_examples(LAZY, LAZY.replace("240", "250")))  # unused numbers again
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.formulation is not None
    assert "240" in out.formulation.constraints[0].expression and len({a.sample for a in out.attempts}) == 2


def test_an_answer_without_telling_findings_gets_no_second_opinion() -> None:
    backend = continuing(lambda _m: CONTINUOUS)  # counts declared continuous: soft, but not telling
    out = formulate_and_solve(TEXT, backend, techniques=Techniques.parse("accurate"))
    assert out.result is not None and {a.sample for a in out.attempts} == {0} and len(out.examples) == 2


def test_a_chain_without_an_answer_gets_a_second_opinion() -> None:
    backend = continuing(by_examples(INFEASIBLE, GOOD))
    out = formulate_and_solve(TEXT, backend, max_repairs=0)
    assert out.error is None and out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert out.attempts[0].error_kind == "infeasible" and out.attempts[1].sample == 1


def test_a_second_opinion_cut_short_by_the_llm_reports_the_first_chains_failure() -> None:
    backend = ScriptedBackend(["no", "still no"])  # runs out of answers in the second opinion
    out = formulate_and_solve(TEXT, backend, max_repairs=1)
    assert out.error_kind == FailureKind.INVALID_IR and "after 2 attempt(s)" in (out.error or "")


def test_one_shot_when_the_backend_cannot_continue_a_message() -> None:
    backend = ScriptedBackend([GOOD])
    out = formulate_and_solve(TEXT, backend)
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert len(backend.calls) == 1 and backend.calls[0].grammar and "```python" in backend.calls[0].grammar


def test_when_both_opinions_fail_the_one_that_reached_the_solver_is_reported() -> None:
    backend = continuing(by_examples(INFEASIBLE, HEAD + "subject_to(chairs <= nowhere)\n```"))
    out = formulate_and_solve(TEXT, backend, max_repairs=0)
    assert out.error_kind == FailureKind.INFEASIBLE and out.formulation is not None
    assert [a.stage for a in out.attempts] == ["generate", "second-opinion"]


COMPACT = GOOD.replace(', desc="number of chairs"', "").replace(', desc="number of tables"', "")
LEAN = Techniques.parse("default+compact+single_example")


def test_default_plus_switches_turns_them_on_over_the_default() -> None:
    assert Techniques(compact=True, single_example=True) == LEAN == Techniques.parse("fast")
    assert Techniques.parse("fast+soft_repairs") == Techniques(compact=True, single_example=True, soft_repairs=True)
    assert Techniques.parse("accurate+compact") == Techniques(compact=True, single_example=False)
    assert Techniques.parse("default") == Techniques() == Techniques.parse("fast")  # fast is the default (session 11)
    assert not Techniques.parse("accurate").compact and not Techniques.parse("accurate").single_example
    with pytest.raises(ValueError, match="unknown technique"):
        Techniques.parse("default+speed")


def test_the_default_shows_one_example_without_descriptions_and_writes_none() -> None:
    backend = continuing(lambda _m: COMPACT)
    out = formulate_and_solve(TEXT, backend)  # the default is `fast` (= LEAN) since session 11
    assert out.result is not None and out.result.objective == pytest.approx(1900.0)
    assert len(out.examples) == 1
    messages = backend.calls[0].messages
    assert messages[0]["content"] == STAGED_RULES_COMPACT and "desc=" not in messages[0]["content"]
    shown = messages[2]["content"]  # the one worked example's answer
    assert messages[2]["role"] == "assistant" and "var(" in shown
    assert "desc=" not in shown and not re.search(r'name="c\d+"', shown)
    variables_call = backend.calls[2]
    assert "var(" in variables_call.grammar and "desc=" not in variables_call.grammar


def test_accurate_shows_two_examples_with_descriptions() -> None:
    backend = continuing(lambda _m: GOOD)
    out = formulate_and_solve(TEXT, backend, techniques=Techniques.parse("accurate"))
    assert len(out.examples) == 2
    assert backend.calls[0].messages[0]["content"] == STAGED_RULES and "desc=" in backend.calls[2].grammar


def test_compact_answer_drops_descriptions_and_generic_names_only() -> None:
    answer = 'x = var(integer, desc="number of vans")\nsubject_to(x <= 3, name="c12")\nsubject_to(x >= 1, name="vans")'
    assert compact_answer(answer) == 'x = var(integer)\nsubject_to(x <= 3)\nsubject_to(x >= 1, name="vans")'


def test_without_descriptions_a_continuous_count_is_found_from_its_name() -> None:
    counted = COMPACT.replace("var(integer)", "var(continuous)").replace("chairs", "NumberOfChairs")
    backend = continuing(lambda _m: counted)
    out = formulate_and_solve(TEXT, backend, techniques=LEAN)
    assert "continuous-count" in out.attempts[0].findings


def test_default_minus_a_switch_changes_only_that_switch() -> None:
    assert Techniques.parse("default-verifiers") == Techniques(verifiers=False)
    assert Techniques.parse("grammar+staged") == Techniques(retrieval=False, repairs=False, verifiers=False,
                                                            second_opinion=False, compact=False,
                                                            single_example=False)
