"""Issue 15, class 4: property-based fuzzing (hypothesis, a few seconds) of the expression parser, the domain
parser and the DSL reader: whatever the text, the answer is a tree or one of the project's own errors.

The long run is `python benchmarks/fuzz_parsers.py --seconds 300`.
"""

from __future__ import annotations

import contextlib

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from optcopilot.formulate.dsl import DSLError, parse_dsl  # noqa: E402
from optcopilot.ir.expr import ExprSyntaxError, parse_domain, parse_expression, to_text  # noqa: E402

TOKENS = ["x", "y", "i", "I", "P", "a[i]", "x[i, j]", "sum", "prod", "min", "max", "log", "exp", "sqrt", "range",
          "len", "for", "in", "if", "else", "and", "or", "not", "lambda", "__import__", "_x", "inf", "nan", "0", "1",
          "-3", "2.5", "1e999", "9" * 400, "10**400", "3j", "0x1f", "'s'", "f'{x}'", "+", "-", "*", "/", "**",
          "//", "%", "@", "<=", ">=", "==", "!=", "<", ">", ":=", "(", ")", "[", "]", "{", "}", ",", ":", ".", " ",
          "\n", "é"]
SOUP = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)
TEXT = st.one_of(SOUP, st.text(max_size=60))
NESTED = st.tuples(st.integers(1, 3000), SOUP).map(lambda p: "(" * p[0] + p[1] + ")" * p[0])
FAST = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
                database=None)
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # odd literals warn while being parsed


@FAST
@given(st.one_of(TEXT, NESTED))
def test_expression_parser_raises_only_its_own_error(text: str) -> None:
    try:
        tree = parse_expression(text)
    except ExprSyntaxError:
        return
    assert parse_expression(to_text(tree)) == tree  # what it accepts it can print and read back


@FAST
@given(st.one_of(TEXT, NESTED, SOUP.map(lambda s: f"i in I if {s}")))
def test_domain_parser_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(ExprSyntaxError):  # anything else fails the test
        parse_domain(text)


LINES = st.one_of(SOUP.map(lambda s: f"v = {s}"), SOUP.map(lambda s: f"subject_to({s})"),
                  SOUP.map(lambda s: f"maximize({s})"), st.just("x = var(lb=0, ub=3)"), st.just("S = set(1, 2)"),
                  SOUP.map(lambda s: f"for i in S:\n    subject_to({s})"), st.just("a = x + x"))


@FAST
@given(st.lists(LINES, max_size=8).map("\n".join))
def test_dsl_reader_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(DSLError):
        parse_dsl(text)
