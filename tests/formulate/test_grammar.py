"""The section grammars accept every worked example we show and refuse what the reader would reject."""

from __future__ import annotations

import pytest

from optcopilot.formulate.bank import load_bank
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.formulate.grammar import (
    FENCE_CLOSE,
    FENCE_OPEN,
    SECTIONS,
    Declared,
    constraints_grammar,
    header,
    objective_grammar,
    parameters_grammar,
    variables_grammar,
    whole_answer_grammar,
)
from optcopilot.formulate.prompts import FIXED_STAGED_EXAMPLES, compact_answer
from optcopilot.formulate.staged import declared_so_far, section_grammar
from tests.formulate.gbnf import matches

ANSWERS = [answer for _, answer in FIXED_STAGED_EXAMPLES] + [e.answer for e in load_bank()]


def sections_of(answer: str) -> list[tuple[str, str, str]]:
    """(section, the text its call writes, the answer before it) for a five-section answer."""
    prefix = FENCE_OPEN + header(SECTIONS[0])
    assert answer.startswith(prefix)
    rest, out = answer[len(prefix):], []
    for k, section in enumerate(SECTIONS):
        end = header(SECTIONS[k + 1]) if k + 1 < len(SECTIONS) else FENCE_CLOSE
        cut = rest.index(end) + len(end)
        out.append((section, rest[:cut], prefix))
        prefix, rest = prefix + rest[:cut], rest[cut:]
    assert rest == ""
    return out


def test_the_bank_is_not_empty_and_every_answer_parses() -> None:
    assert len(ANSWERS) > 100
    for answer in ANSWERS:
        parse_dsl(answer)


@pytest.mark.parametrize("index", range(0, len(ANSWERS)))
def test_each_section_grammar_accepts_every_shown_answer(index: int) -> None:
    answer = ANSWERS[index]
    for section, text, before in sections_of(answer):
        assert matches(section_grammar(section, declared_so_far(before)), text), (section, text[:200])
    assert matches(whole_answer_grammar(), answer)
    for section, text, before in sections_of(compact_answer(answer)):  # the compact surface shows them so
        assert matches(section_grammar(section, declared_so_far(before), compact=True), text), (section, text[:200])


SETS = Declared(sets={"P": 2, "R": 3}, params={"profit": 1, "use": 2, "cap": 1, "budget": 0},
                variables={"x": 1, "y": 0})


def test_parameter_lists_must_match_their_sets() -> None:
    g = parameters_grammar(Declared(sets={"P": 2, "R": 3}))
    assert matches(g, "profit = param([5, 4], P)\nuse = param([[1, 2, 3], [4, 5, 6]], P, R)\nbudget = 450\n# variables\n")
    assert not matches(g, "profit = param([5, 4, 3], P)\n# variables\n")  # three numbers for two products
    assert not matches(g, "use = param([[1, 2], [4, 5]], P, R)\n# variables\n")
    assert not matches(g, "profit = param([5, 4], Q)\n# variables\n")  # Q is not a declared set


@pytest.mark.parametrize("text", [
    "import os\n# variables\n", "def f():\n# variables\n", "x = var(integer)\n# variables\n",
    "x = __import__('os')\n# variables\n", "x = open('f')\n# variables\n",
])
def test_parameters_section_refuses_code(text: str) -> None:
    assert not matches(parameters_grammar(SETS), text)


def test_expressions_use_only_declared_names_with_their_arity() -> None:
    g = objective_grammar(SETS)
    assert matches(g, "maximize(sum(profit[p] * x[p] for p in P) + 3 * y)\n# constraints\n")
    assert not matches(g, "maximize(sum(profit[p] * z[p] for p in P))\n# constraints\n")  # z undeclared
    assert not matches(g, "maximize(profit * y)\n# constraints\n")  # profit is indexed
    assert not matches(g, "maximize(use[p] * x[p])\n# constraints\n")  # use has two indices
    assert not matches(g, "maximize(sum(x[p] for p in Q))\n# constraints\n")  # Q is no set
    assert not matches(g, "maximize(__import__('os'))\n# constraints\n")
    c = constraints_grammar(SETS)
    assert matches(c, 'for r in R:\n    subject_to(sum(use[p, r] * x[p] for p in P) <= cap[r], name="cap")\n```')
    assert matches(c, 'subject_to(y <= budget)\nsubject_to(x["a"] >= 1, name="min_a")\n```')
    assert not matches(c, "import os\n```")
    assert not matches(c, "subject_to(y < budget)\n```")  # strict inequalities are not constraints
    assert not matches(c, "for r in R:\nsubject_to(y <= 1)\n```")  # a loop body is indented
    assert not matches(c, "subject_to(cap[r] >= 1)\n```")  # r is bound by no loop or sum
    assert not matches(g, "maximize(profit[p] * x[p])\n# constraints\n")  # nor here
    assert matches(c, "for r in R:\n    subject_to(cap[r] >= sum(use[p, r] for p in P))\n```")
    assert not matches(c, "```")  # at least one constraint: an empty section was a repair's way out


def test_variables_refer_to_declared_sets() -> None:
    g = variables_grammar(SETS)
    assert matches(g, 'x = var(P, integer, desc="units")\nz = var(continuous, lb=None, ub=budget, desc="z")\n# objective\n')
    assert not matches(g, 'z = var(continuous)\n# objective\n')  # every variable is described
    assert not matches(g, "x = var(Q, integer, desc=\"x\")\n# objective\n")
    assert not matches(g, "# objective\n")  # at least one variable
