"""GBNF grammars of the modelling DSL, so the LLM can only write statements our reader accepts.

The answer is written in five sections, each generated under its own grammar (LLMOPT's order)::

    ```python
    # sets
    P = set("chair", "table")
    # parameters
    profit = param([5, 4], P)
    # variables
    x = var(P, integer, desc="units made")
    # objective
    maximize(sum(profit[p] * x[p] for p in P))
    # constraints
    subject_to(15 * x["chair"] + 20 * x["table"] <= 450, name="wood")
    ```

A section's grammar ends with the next section's header (the last one with the closing fence), so the model
stops exactly there. Grammars built after a section know what it declared: parameter lists have exactly as
many numbers as their index sets have elements, and expressions may only use declared names with the right
number of indices. Syntax errors, imports, unknown names and wrong index arity cannot be written.

llama.cpp's native GBNF sampler takes these (``grammar`` request field); nothing here is executed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

SECTIONS = ("sets", "parameters", "variables", "objective", "constraints")
FENCE_OPEN = "```python\n"
FENCE_CLOSE = "```"
MAX_LIST_GRAMMAR_ELEMENTS = 400  # a longer parameter list is written free-form (length checked by the reader)
MAX_NESTED_LOOPS = 3

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def header(section: str) -> str:
    """The comment line that opens a section."""
    return f"# {section}\n"


def lit(text: str) -> str:
    """A GBNF string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _alt(options: Iterable[str]) -> str:
    return " | ".join(lit(o) for o in options)


@dataclass
class Declared:
    """What the sections so far declared: set sizes, and the index arity of parameters and variables."""

    sets: dict[str, int] = field(default_factory=dict)
    params: dict[str, int] = field(default_factory=dict)
    variables: dict[str, int] = field(default_factory=dict)

    def names(self) -> set[str]:
        return set(self.sets) | set(self.params) | set(self.variables)


# shared pieces -----------------------------------------------------------------------------------------------
_COMMON_RULES = r"""
ws ::= " "?
num ::= "-"? [0-9]+ ("." [0-9]+)?
pnum ::= [0-9]+ ("." [0-9]+)?
newname ::= [A-Za-z] [A-Za-z0-9_]{0,47}
text ::= [^"\n\\]{1,80}
elem ::= "\"" [A-Za-z0-9_ .&'/-]{1,30} "\"" | [0-9]{1,6}
"""


def _rule(name: str, body: str) -> str:
    return f"{name} ::= {body}\n"


def _ref_rules(declared: Declared, suffix: str, idx: str) -> str:
    """`ref`: a declared parameter or variable with its exact number of indices (each an `idx`)."""
    alts: list[str] = []
    for name, arity in sorted({**declared.params, **declared.variables}.items()):
        if arity == 0:
            alts.append(lit(name))
        else:
            alts.append(lit(name + "[") + f" {idx}" + f' ", " {idx}' * (arity - 1) + ' "]"')
    if not alts:
        alts.append('"0"')
    return _rule(f"ref{suffix}", " | ".join(alts))


def _variant(declared: Declared, suffix: str, idx: str) -> str:
    """One copy of the expression rules (`expr{suffix}` ...) whose indices are `idx`."""
    e = f"expr{suffix}"
    atom = ["pnum", f"ref{suffix}", f'"(" ws {e} ws ")"',
            f'("abs" | "exp" | "log" | "sqrt") "(" {e} ")"', f'("min" | "max") "(" {e} ("," ws {e})+ ")"']
    if declared.sets:
        atom.append('"sum(" expr-o gen+ ")"')  # inside a sum its own loop variables are in scope
    out = _rule(e, f'term{suffix} (ws ("+" | "-") ws term{suffix})*')
    out += _rule(f"term{suffix}", f'unary{suffix} (ws ("*" | "/") ws unary{suffix})*')
    out += _rule(f"unary{suffix}", f'"-"? power{suffix}')
    out += _rule(f"power{suffix}", f'atom{suffix} (ws "**" ws ([0-9] | "(" pnum ")"))?')
    out += _rule(f"atom{suffix}", " | ".join(atom))
    return out + _ref_rules(declared, suffix, idx)


def _expression_rules(declared: Declared) -> str:
    """Arithmetic over declared names, numbers, functions and sums over declared sets, in two scopes:
    `expr` (no loop variable is bound: indices are set elements) and `expr-o` (inside a for-block or a sum,
    where loop variables are bound)."""
    out = ""
    if declared.sets:
        out += _rule("setname", _alt(sorted(declared.sets)))
        out += _rule("gen", '" for " loopvar " in " setname (" if " cond)?')
        out += _rule("cond", 'loopvar ws ("!=" | "==" | "<" | "<=" | ">" | ">=") ws (loopvar | elem)')
    # a loop index: a short lower-case name (i, j, p, t2, w_) never a declared name (checked by the reader)
    out += _rule("loopvar", "[a-z] [a-z0-9_]{0,3}")
    out += _rule("idx", 'loopvar (ws ("+" | "-") ws [0-9]{1,3})? | elem')
    return out + _variant(declared, "", "elem") + _variant(declared, "-o", "idx")


# the five sections -------------------------------------------------------------------------------------------
def sets_grammar() -> str:
    """Set declarations, then the parameters header."""
    body = _rule("root", f"setline* {lit(header('parameters'))}")
    body += _rule("setline", 'newname " = " ("set(" elem ("," ws elem){0,199} ")" | '
                  '"range(" [0-9]{1,4} ", " [0-9]{1,5} ")") "\\n"')
    return body + _COMMON_RULES


def _list_rule(sizes: list[int]) -> str | None:
    """A nested list literal with exactly these sizes (outermost first); None when too large to spell out."""
    total = 1
    for s in sizes:
        total *= s
    if total > MAX_LIST_GRAMMAR_ELEMENTS or not sizes:
        return None
    inner = "num"
    for size in reversed(sizes):
        inner = f'"[" {inner}' + (f' ("," ws {inner}){{{size - 1}}}' if size > 1 else "") + ' "]"'
    return inner


def parameters_grammar(declared: Declared) -> str:
    """Scalar numbers and indexed `param([...], S, T)` whose list shape matches the sets, then the variables header."""
    options = ['num']
    rules = ""
    names = sorted(declared.sets)
    combos: list[tuple[str, ...]] = [(a,) for a in names] + [(a, b) for a in names for b in names]
    for k, combo in enumerate(combos):
        shape = _list_rule([declared.sets[s] for s in combo])
        if shape is None:
            shape = '"[" [-0-9., \\[\\]]{1,8000} "]"'
        rname = f"plist{k}"
        rules += _rule(rname, f'"param(" {shape} ", {", ".join(combo)})"')
        options.append(rname)
    body = _rule("root", f"pline* {lit(header('variables'))}")
    body += _rule("pline", f'newname " = " ({" | ".join(options)}) "\\n"')
    return body + rules + _COMMON_RULES


def variables_grammar(declared: Declared, describe: bool = True) -> str:
    """`name = var([Sets,] [integer|binary|continuous], [lb=..,] [ub=..,] desc="...")`, then the objective header.

    Without `describe` (the compact surface) a variable has no description."""
    sets = ""
    if declared.sets:
        sets = '(setname ", ")*'
    scalars = sorted(n for n, arity in declared.params.items() if arity == 0)
    bound = "(num | " + " | ".join(lit(n) for n in scalars) + ")" if scalars else "num"
    body = _rule("root", f"vline+ {lit(header('objective'))}")
    body += _rule("vline", f'newname " = var(" {sets} ("integer" | "binary" | "continuous")'
                  f' (", lb=" ({bound} | "None"))? (", ub=" {bound})?'
                  + (' ", desc=\\"" text "\\")\\n"' if describe else ' ")\\n"'))
    if declared.sets:
        body += _rule("setname", _alt(sorted(declared.sets)))
    return body + _COMMON_RULES


def objective_grammar(declared: Declared) -> str:
    """One `maximize(...)` or `minimize(...)` line, then the constraints header."""
    body = _rule("root", f'("maximize(" | "minimize(") expr ")\\n" {lit(header("constraints"))}')
    return body + _expression_rules(declared) + _COMMON_RULES


def constraints_grammar(declared: Declared) -> str:
    """At least one `subject_to(lhs <= rhs, name="...")` line or for-block over declared sets, then the fence.

    At least one: a model without constraints is never what a problem with limits means, and under the DRY
    sampler (a resampled repair) an empty section was the easy way out of repeating the earlier constraints.
    """
    body = _rule("root", f"cstmt+ {lit(FENCE_CLOSE)}")
    stmts = ['con "\\n"']
    if declared.sets:
        for depth in range(1, MAX_NESTED_LOOPS + 1):
            heads = "".join(f'{lit("    " * d + "for ")} loopvar " in " setname ":\\n" ' for d in range(depth))
            pad = lit("    " * depth)
            stmts.append(f'{heads}({pad} con-o "\\n")+')
    body += _rule("cstmt", " | ".join(stmts))
    for suffix in ("", "-o"):
        body += _rule(f"con{suffix}", f'"subject_to(" expr{suffix} ws ("<=" | ">=" | "==") ws expr{suffix} '
                      '(", name=\\"" cname "\\"")? ")"')
    body += _rule("cname", "[A-Za-z] [A-Za-z0-9_]{0,40}")
    return body + _expression_rules(declared) + _COMMON_RULES


def whole_answer_grammar() -> str:
    """One grammar for a one-shot answer (no knowledge of names): the statement shapes, in section order."""
    loose = Declared()
    body = _rule("root", f'{lit(FENCE_OPEN + header("sets"))} setline* {lit(header("parameters"))} '
                 f'pline* {lit(header("variables"))} vline+ {lit(header("objective"))} '
                 f'("maximize(" | "minimize(") expr ")\\n" {lit(header("constraints"))} cstmt+ {lit(FENCE_CLOSE)}')
    body += _rule("setline", 'newname " = " ("set(" elem ("," ws elem){0,199} ")" | '
                  '"range(" [0-9]{1,4} ", " [0-9]{1,5} ")") "\\n"')
    body += _rule("pline", 'newname " = " (num | "param(" plist ("," ws anyname)+ ")") "\\n"')
    body += _rule("plist", '"[" (num | plist) ("," ws (num | plist))* "]"')
    body += _rule("vline", 'newname " = var(" (anyname ", ")* ("integer" | "binary" | "continuous")'
                  ' (", lb=" (num | anyname | "None"))? (", ub=" (num | anyname))? ", desc=\\"" text "\\")\\n"')
    stmts = ['con "\\n"']
    for depth in range(1, MAX_NESTED_LOOPS + 1):
        heads = "".join(f'{lit("    " * d + "for ")} loopvar " in " anyname ":\\n" ' for d in range(depth))
        stmts.append(f'{heads}({lit("    " * depth)} con "\\n")+')
    body += _rule("cstmt", " | ".join(stmts))
    body += _rule("con", '"subject_to(" expr ws ("<=" | ">=" | "==") ws expr (", name=\\"" cname "\\"")? ")"')
    body += _rule("cname", "[A-Za-z] [A-Za-z0-9_]{0,40}")
    body += _rule("anyname", "[A-Za-z] [A-Za-z0-9_]{0,47}")
    expr = _expression_rules(loose)
    # without declarations: any name, with or without indices, in either scope; sums over any set name
    expr = expr.replace('ref ::= "0"', 'ref ::= anyname ("[" idx ("," ws idx)* "]")?')
    expr = expr.replace('ref-o ::= "0"', 'ref-o ::= anyname ("[" idx ("," ws idx)* "]")?')
    expr = expr.replace("atom ::= ", 'atom ::= "sum(" expr-o (" for " loopvar " in " anyname)+ ")" | ')
    expr = expr.replace("atom-o ::= ", 'atom-o ::= "sum(" expr-o (" for " loopvar " in " anyname)+ ")" | ')
    return body + expr + _COMMON_RULES


def valid_name(name: str) -> bool:
    return bool(_NAME_RE.fullmatch(name))
