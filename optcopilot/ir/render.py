"""Readable renderings of a formulation: a plain-text block per element and LaTeX."""

from __future__ import annotations

import re

from optcopilot.ir.expr import (
    Aggregate,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Generator,
    IfExp,
    Index,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
    TupleNode,
    parse_domain,
    parse_expression,
)
from optcopilot.ir.model import Formulation

_SHOWN_VALUES = 8


def render_text(f: Formulation) -> str:
    """The five elements as a compact text block (used by the CLI and in LLM repair prompts)."""
    lines = ["Sets:"]
    for s in f.sets:
        if s.range is not None:
            body = f"{{{s.range[0]}..{s.range[-1]}}}"
        elif s.index:
            body = f"indexed by {', '.join(s.index)}"
        else:
            shown = ", ".join(str(e) for e in (s.elements or [])[:_SHOWN_VALUES])
            body = "{" + shown + (", …" if len(s.elements or []) > _SHOWN_VALUES else "") + "}"
        lines.append(f"  {s.name} = {body}" + (f"  # {s.description}" if s.description else ""))
    lines.append("Parameters:")
    for p in f.parameters:
        head = f"{p.name}[{', '.join(p.index)}]" if p.index else p.name
        value = str(p.value)
        lines.append(f"  {head} = {value[:80]}{'…' if len(value) > 80 else ''}"
                     + (f"  # {p.description}" if p.description else ""))
    lines.append("Variables:")
    for v in f.variables:
        head = f"{v.name}[{', '.join(v.index)}]" if v.index else v.name
        lb = "-inf" if v.lb is None else v.lb
        ub = "inf" if v.ub is None else v.ub
        lines.append(f"  {head}: {v.domain}, {lb} <= . <= {ub}" + (f"  # {v.description}" if v.description else ""))
    lines.append(f"Objective: {f.objective.sense} {f.objective.expression}")
    lines.append("Constraints:")
    for c in f.constraints:
        suffix = f"   for {c.forall}" if c.forall else ""
        lines.append(f"  {c.name}: {c.expression}{suffix}")
    return "\n".join(lines)


def latex_expression(text: str) -> str:
    """LaTeX for one expression string of the IR language (best effort: falls back to \\texttt)."""
    try:
        return _Latex().show(parse_expression(text), 0)
    except Exception:
        return r"\texttt{" + _escape(text) + "}"


def latex_domain(text: str | None) -> str:
    if not text:
        return ""
    try:
        return _Latex().domain(parse_domain(text))
    except Exception:
        return r"\texttt{" + _escape(text) + "}"


def render_latex(f: Formulation) -> str:
    """An `aligned` block: objective then one line per constraint family."""
    sense = r"\max" if f.objective.sense == "maximize" else r"\min"
    lines = [rf"{sense}\quad & {latex_expression(f.objective.expression)}", r"\text{s.t.}\quad"]
    for c in f.constraints:
        dom = latex_domain(c.forall)
        lines.append(rf"& {latex_expression(c.expression)}" + (rf" \quad {dom}" if dom else ""))
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _escape(text: str) -> str:
    return re.sub(r"([_&%$#{}])", r"\\\1", text)


def _ident(name: str) -> str:
    if len(name) == 1:
        return name
    head, _, rest = name.partition("_")
    if rest and len(head) == 1:
        return f"{head}_{{\\text{{{_escape(rest)}}}}}"
    return r"\mathit{" + _escape(name) + "}"


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


class _Latex:
    def show(self, node: Node, outer: int) -> str:
        text, prec = self._show(node)
        return rf"\left({text}\right)" if prec < outer else text

    def _show(self, node: Node) -> tuple[str, int]:
        match node:
            case Num(value=v):
                return (str(int(v)) if v == int(v) and abs(v) < 1e15 else f"{v:g}"), 9
            case Str(value=v):
                return r"\text{" + _escape(v) + "}", 9
            case Name(id=i):
                return {"inf": r"\infty", "pi": r"\pi"}.get(i, _ident(i)), 9
            case Index(base=b, indices=ix):
                return f"{_ident(b)}_{{{','.join(self.show(i, 0) for i in ix)}}}", 9
            case BinOp(op="/", left=a, right=b):
                return rf"\frac{{{self.show(a, 0)}}}{{{self.show(b, 0)}}}", 9
            case BinOp(op="**", left=a, right=b):
                return f"{{{self.show(a, 5)}}}^{{{self.show(b, 0)}}}", 4
            case BinOp(op=op, left=a, right=b):
                p = _PREC[op]
                sym = r" \cdot " if op == "*" else f" {op} "
                return f"{self.show(a, p)}{sym}{self.show(b, p + (op == '-'))}", p
            case Neg(operand=a):
                return f"-{self.show(a, 3)}", 3
            case Call(func=f, args=args):
                inner = ", ".join(self.show(a, 0) for a in args)
                if f == "sqrt":
                    return rf"\sqrt{{{inner}}}", 9
                if f in ("len", "card"):
                    return rf"\lvert {inner} \rvert", 9
                if f == "abs":
                    return rf"\left|{inner}\right|", 9
                return rf"\{f}\left({inner}\right)" if f in ("exp", "log", "sin", "cos", "min", "max") \
                    else rf"\operatorname{{{f}}}\left({inner}\right)", 9
            case Aggregate(func=f, body=body, generators=gens):
                op = {"sum": r"\sum", "prod": r"\prod", "min": r"\min", "max": r"\max"}[f]
                return f"{op}_{{{self.domain(gens)}}} {self.show(body, 2)}", 2
            case Compare(ops=ops, operands=operands):
                symbols = {"<=": r"\le", ">=": r"\ge", "==": "=", "<": "<", ">": ">", "!=": r"\ne", "in": r"\in",
                           "not in": r"\notin"}
                parts = [self.show(operands[0], 0)]
                for op, rhs in zip(ops, operands[1:], strict=True):
                    parts.append(f"{symbols[op]} {self.show(rhs, 0)}")
                return " ".join(parts), 0
            case BoolOp(op=op, values=vals):
                return (r" \land " if op == "and" else r" \lor ").join(self.show(v, 1) for v in vals), 0
            case Not(operand=a):
                return rf"\lnot {self.show(a, 9)}", 3
            case IfExp(test=t, body=b, orelse=o):
                return rf"\begin{{cases}} {self.show(b, 0)} & {self.show(t, 0)} \\ {self.show(o, 0)} & " \
                       r"\text{otherwise}\end{cases}", 9
            case TupleNode(items=items):
                return "(" + ", ".join(self.show(i, 0) for i in items) + ")", 9
        return r"\texttt{?}", 9

    def domain(self, gens: tuple[Generator, ...]) -> str:
        parts = []
        for g in gens:
            target = g.targets[0] if len(g.targets) == 1 else "(" + ",".join(g.targets) + ")"
            part = rf"{_ident(target)} \in {self.show(g.domain, 0)}"
            for c in g.conditions:
                part += rf" : {self.show(c, 0)}"
            parts.append(part)
        return ", ".join(parts) if len(parts) < 2 else r"\substack{" + r" \\ ".join(parts) + "}"
