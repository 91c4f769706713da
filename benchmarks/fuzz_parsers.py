"""Fuzz the parsers an LLM's (or a user's) text goes through: expressions, `forall` domains, the DSL reader, and
grounding a small formulation built around a fuzzed expression.

    python benchmarks/fuzz_parsers.py --seconds 300 [--seed 0]

Inputs come from a fast generator: random token soups over the languages' own vocabulary (plus hostile
pieces: 400-digit integers, 1e999, NaN, deep nesting, dunders, lambdas, f-strings, walrus, unicode), and
mutations (insert, delete, repeat, nest) of a corpus of valid inputs. Every input must end in a value or in
one of the project's own errors (`ExprSyntaxError`, `DSLError`, `FormulationError`); anything else is
counted, with examples. Prints inputs/s, the total, the count of non-project exceptions, the slowest input
and the peak RSS. Target for --seconds 300: at least 10^6 inputs, 0 non-project exceptions, none over 2 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optcopilot.compile.instance import instantiate
from optcopilot.formulate.dsl import DSLError, parse_dsl
from optcopilot.ir import budget
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.expr import ExprSyntaxError, parse_domain, parse_expression
from optcopilot.ir.model import Formulation

PROJECT_ERRORS = (ExprSyntaxError, DSLError, FormulationError)
MAX_INPUT_CHARS = 150_000

NAMES = ["x", "y", "z", "i", "j", "k", "I", "J", "P", "a", "b", "cost", "cap", "S", "N", "_x", "__import__",
         "__class__", "inf", "pi", "e", "nan", "True", "None", "lambda", "self", "os", "sys", "eval", "exec"]
FUNCS = ["sum", "prod", "min", "max", "log", "exp", "sqrt", "abs", "sin", "cos", "log10", "floor", "ceil", "len",
         "range", "ord", "card", "open", "getattr", "print", "float", "int"]
NUMBERS = ["0", "1", "2", "-3", "1.5", "1e3", "1e308", "1e999", "-1e999", "0.0", "1_000", "0x1f", "0b101", "0o7",
           "3j", "1" * 40, "9" * 400, "10**400", "2**64", "1e-320", ".5", "5.", "00", "nan", "inf"]
OPS = ["+", "-", "*", "/", "**", "//", "%", "@", "<", "<=", "==", "!=", ">=", ">", " in ", " not in ", " and ",
       " or ", " not ", " if ", " else ", " for ", " is ", "|", "&", "^", "~", "<<", ">>", ":=", "=", ":", "."]
PIECES = ["(", ")", "[", "]", "{", "}", ",", " ", "'a'", '"b"', "f'{x}'", "b'x'", "...", "\n", "\\", "#", ";",
          "é", "∑", "\x00", "lambda: 0", "*x", "**x", "yield", "await x", "x.y", "x[1:2]", "{**x}", "[*x]"]

EXPR_CORPUS = [
    "sum(cost[i] * x[i] for i in I)", "x + 2*y - z/3 <= 10", "2 <= x[i] + y[j] <= cap[i, j]",
    "sum(x[i, j] for j in J if j != i) == 1", "max(x, y) + min(a, b)", "log(x + 1) - exp(-y)",
    "prod(x[i] for i in I)", "(x + y + 1)**2", "sqrt(x**2 + y**2) <= r", "x[i] if a[i] > 0 else 0",
    "sum(sum(c[i, j]*x[i, j] for j in J) for i in I)", "len(I) * x >= 1", "x[i] - x[j] >= 1 - N*(1 - b[i, j])",
    "(x, y)", "not (a < b) or c >= d", "-x**2 + 3*x", "sum(x[k] for k in range(1, 5))", "abs(x - y) <= 2",
]
DOMAIN_CORPUS = ["i in I", "i in I, j in J if i != j", "for i in I for j in N[i]", "k in range(1, 10)",
                 "(i, j) in A", "i in I if a[i] > 0 and b[i] < 3", "i in I, j in J, k in K"]
DSL_CORPUS = [
    'P = set("chair", "table")\nprofit = param([5, 4], P)\nx = var(P, integer, ub=100)\n'
    'maximize(sum(profit[p] * x[p] for p in P))\nsubject_to(15*x["chair"] + 20*x["table"] <= 450, name="wood")',
    'I = range(1, 4)\nc = param({1: 2, 2: 3, 3: 4}, I)\nx = var(I, lb=0)\nminimize(sum(c[i]*x[i] for i in I))\n'
    'for i in I:\n    subject_to(x[i] >= 1, name="min")',
    'x = var(lb=0, ub=10)\ny = var(integer)\narea = x*y\nmaximize(area)\nsubject_to(x + y <= 8)',
    'import math\nS = set(1, 2, 3)\nw = param([1, 70/100*50, 2**3], S)\nz = var(S, binary)\n'
    'obj = minimize(sum(w[s]*z[s] for s in S))\ncap = subject_to(sum(z[s] for s in S) >= 2)',
]
FORMULATION = {
    "sets": [{"name": "I", "elements": [1, 2, 3]}, {"name": "J", "range": [1, 4]}],
    "parameters": [{"name": "a", "index": ["I"], "value": [1, 2, 3]}, {"name": "cap", "value": 10}],
    "variables": [{"name": "x", "index": ["I"], "ub": 5}, {"name": "y", "lb": None}],
}


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def soup(self) -> str:
        r = self.rng
        parts = []
        for _ in range(r.randint(1, 14)):
            pool = r.choice((NAMES, FUNCS, NUMBERS, OPS, PIECES, NAMES, NUMBERS))
            parts.append(r.choice(pool))
        return "".join(parts)

    def mutate(self, text: str) -> str:
        r = self.rng
        for _ in range(r.randint(1, 3)):
            op = r.randrange(7)
            pos = r.randint(0, len(text))
            if op == 0:
                text = text[:pos] + self.soup() + text[pos:]
            elif op == 1 and text:
                end = min(len(text), pos + r.randint(1, 8))
                text = text[:pos] + text[end:]
            elif op == 2:
                text = text[:pos] + r.choice(NUMBERS + NAMES + FUNCS) + text[pos:]
            elif op == 3:
                depth = r.choice((2, 3, 10, 100)) if r.random() < 0.97 else r.choice((1000, 30000))
                text = "(" * depth + text + ")" * depth
            elif op == 4:
                text = " + ".join([text] * (r.choice((2, 3)) if r.random() < 0.97 else r.choice((50, 500))))
            elif op == 5:
                depth = r.choice((2, 5)) if r.random() < 0.97 else r.choice((80, 2000))
                text = "".join(f"{r.choice(FUNCS)}(" for _ in range(depth)) + text + ")" * depth
            else:
                text = text.replace(r.choice("xyij+*"), r.choice(NUMBERS + NAMES + OPS), 1)
            if len(text) > MAX_INPUT_CHARS:  # keep the generator itself cheap; parsers refuse long texts early
                return text[:MAX_INPUT_CHARS]
        return text

    def expression(self) -> str:
        return self.soup() if self.rng.random() < 0.4 else self.mutate(self.rng.choice(EXPR_CORPUS))

    def domain(self) -> str:
        return self.soup() if self.rng.random() < 0.3 else self.mutate(self.rng.choice(DOMAIN_CORPUS))

    def dsl(self) -> str:
        r = self.rng
        if r.random() < 0.3:
            lines = [f"{r.choice(NAMES)} = {self.expression()}" for _ in range(r.randint(1, 5))]
            lines.append(f"{r.choice(('maximize', 'minimize', 'subject_to'))}({self.expression()})")
            return "\n".join(lines)
        text = r.choice(DSL_CORPUS)
        lines = text.splitlines()
        k = r.randrange(len(lines))
        lines[k] = self.mutate(lines[k])
        if r.random() < 0.1:  # nested loops / chained aliases
            n = r.choice((12, 40))
            lines += ["a0 = x"] + [f"a{m + 1} = a{m} + a{m}" for m in range(n)]
        return "\n".join(lines)

    def formulation(self) -> dict[str, object]:
        data = dict(FORMULATION)
        data["objective"] = {"sense": self.rng.choice(("minimize", "maximize")), "expression": self.expression()}
        data["constraints"] = [{"name": "c", "expression": self.expression(),
                                "forall": self.domain() if self.rng.random() < 0.5 else None}]
        return data


def _ground(data: dict[str, object]) -> object:
    formulation = Formulation.model_validate(data)
    with budget.within(1.0):
        return instantiate(formulation)


def run(seconds: float, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    gen = Generator(rng)
    kinds: dict[str, tuple[float, Callable[[], object], Callable[[object], object]]] = {
        "expression": (0.55, gen.expression, lambda text: parse_expression(text)),  # type: ignore[arg-type]
        "domain": (0.25, gen.domain, lambda text: parse_domain(text)),  # type: ignore[arg-type]
        "dsl": (0.15, gen.dsl, lambda text: parse_dsl(text)),  # type: ignore[arg-type]
        "grounding": (0.05, gen.formulation, _ground),  # type: ignore[arg-type]
    }
    names = list(kinds)
    weights = [kinds[n][0] for n in names]
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    slowest: tuple[float, str, str] = (0.0, "", "")
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        for which in rng.choices(names, weights, k=256):
            _, make, consume = kinds[which]
            item = make()
            t0 = time.perf_counter()
            try:
                consume(item)
            except PROJECT_ERRORS:
                pass
            except Exception as exc:  # what we are looking for
                key = f"{which}: {type(exc).__name__}"
                failures[key] += 1
                examples.setdefault(key, f"{str(exc)[:100]!r} on input {str(item)[:300]!r}")
            took = time.perf_counter() - t0
            counts[which] += 1
            if took > slowest[0]:
                slowest = (took, which, str(item)[:200])
    elapsed = time.perf_counter() - start
    total = sum(counts.values())
    return {"seconds": round(elapsed, 1), "inputs": total, "inputs_per_s": round(total / elapsed),
            "by_kind": dict(counts), "non_project_exceptions": sum(failures.values()),
            "failures": dict(failures), "examples": examples, "slowest_s": round(slowest[0], 3),
            "slowest_kind": slowest[1], "slowest_input": slowest[2],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    report = run(args.seconds, args.seed)
    print(f"inputs: {report['inputs']} in {report['seconds']} s ({report['inputs_per_s']} inputs/s); by kind "
          f"{report['by_kind']}")
    print(f"non-project exceptions: {report['non_project_exceptions']}")
    for key, count in dict(report["failures"]).items():  # type: ignore[call-overload]
        print(f"  {count} x {key}: e.g. {report['examples'][key]}")  # type: ignore[index]
    print(f"slowest input: {report['slowest_s']} s ({report['slowest_kind']}: {report['slowest_input']!r})")
    print(f"peak RSS: {report['peak_rss_mb']} MB")
    return 0 if report["non_project_exceptions"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
