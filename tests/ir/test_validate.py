"""Every validation error class, with located messages."""

import pytest

from optcopilot.compile.instance import instantiate
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import parse_formulation


def build(**over):
    base = {
        "sets": [{"name": "I", "elements": ["a", "b"]}],
        "parameters": [{"name": "c", "index": ["I"], "value": [1, 2]}, {"name": "cap", "value": 10}],
        "variables": [{"name": "x", "index": ["I"]}, {"name": "y"}],
        "objective": {"sense": "maximize", "expression": "sum(c[i]*x[i] for i in I) + y"},
        "constraints": [{"name": "cap", "expression": "sum(x[i] for i in I) + y <= cap"}],
    }
    base.update(over)
    return Formulation.model_validate(base)


def issues_of(f):
    with pytest.raises(FormulationError) as err:
        instantiate(f)
    return err.value


def cons(*exprs, forall=None):
    return [{"name": f"c{k}", "expression": e, "forall": forall} for k, e in enumerate(exprs)]


def test_valid_model_passes():
    build(constraints=cons("sum(x[i] for i in I) + y <= cap"))
    assert parse_formulation(build(constraints=cons("y <= cap"))).constraints


@pytest.mark.parametrize(("over", "code", "words"), [
    ({"constraints": cons("z <= 1")}, "unknown-symbol", "unknown symbol 'z'"),
    ({"constraints": cons("x <= 1")}, "arity", "indexed"),
    ({"constraints": cons("x[1, 2] <= 1")}, "arity", "takes 1 indices"),
    ({"constraints": cons("y[1] <= 1")}, "arity", "scalar"),
    ({"constraints": cons("x[j] <= 1")}, "unknown-symbol", "'j'"),
    ({"constraints": cons("sum(x[i] for i in c) <= 1")}, "not-a-set", "loop"),
    ({"constraints": cons("y + 1")}, "not-a-comparison", "comparison"),
    ({"constraints": cons("y <= 1 <= 2 <= 3")}, "not-a-comparison", "two"),
    ({"constraints": cons("sum(x[i] for i in I if x[i] > 0) <= 1")}, "variable-in-data", "condition"),
    ({"constraints": cons("y <= (1")}, "syntax", "syntax"),
    ({"constraints": cons("y <= 1", "y >= 0") + cons("y <= 2")}, "duplicate-name", "constraint"),
    ({"variables": [{"name": "x", "index": ["I"]}, {"name": "c"}]}, "duplicate-name", "already used"),
    ({"variables": [{"name": "x", "index": ["I"]}, {"name": "y"}, {"name": "2bad"}]}, "bad-name", "identifier"),
    ({"variables": [{"name": "x", "index": ["I"]}, {"name": "y"}, {"name": "sum"}]}, "bad-name", "reserved"),
    ({"variables": [{"name": "x", "index": ["K"]}, {"name": "y"}]}, "unknown-symbol", "'K'"),
    ({"objective": {"sense": "max", "expression": "y >= 1"}}, "not-a-comparison", "objective"),
    ({"variables": []}, "missing", "no decision variables"),
])
def test_static_issue_classes(over, code, words):
    err = issues_of(build(**over))
    assert code in err.codes, err
    assert words in str(err)


@pytest.mark.parametrize(("over", "code", "words"), [
    ({"parameters": [{"name": "c", "index": ["I"], "value": [1, 2, 3]}, {"name": "cap", "value": 1}]},
     "bad-value", "3 entries"),
    ({"parameters": [{"name": "c", "index": ["I"], "value": {"a": 1, "z": 2}}, {"name": "cap", "value": 1}]},
     "index-out-of-set", "'z'"),
    ({"parameters": [{"name": "c", "index": ["I"], "value": ["x", 2]}, {"name": "cap", "value": 1}]},
     "bad-value", "not a number"),
    ({"parameters": [{"name": "c", "index": ["I"], "value": [1, 2]}, {"name": "cap"}]}, "missing", "scalar"),
    ({"constraints": cons("x['z'] <= 1")}, "index-out-of-set", "outside the index"),
    ({"constraints": [{"name": "k", "expression": "0 * y >= 1"}]}, "bad-value",
     "no variables and is false"),
    ({"sets": [{"name": "I", "range": [1, 100_000_000]}]}, "size-limit", "limit"),
    ({"sets": [{"name": "I", "elements": ["a", "a"]}]}, "bad-value", "twice"),
])
def test_data_issue_classes(over, code, words):
    err = issues_of(build(**over))
    assert code in err.codes, err
    assert words in str(err)


def test_messages_name_the_element():
    err = issues_of(build(constraints=[{"name": "budget", "expression": "q <= 1"}]))
    assert str(err).startswith("constraint 'budget': unknown symbol 'q'")
