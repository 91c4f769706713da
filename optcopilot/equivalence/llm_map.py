"""LLM-proposed maps (the EquivaMap idea): each reference variable as a linear combination of the candidate's.

The answer is JSON constrained by `MAPPING_SCHEMA` and parsed by our own small linear-expression reader
(numbers, `*`, `+`, `-`, variable names); nothing is evaluated. Entries may name whole families (`x` =
`2*y`), which applies index by index.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from optcopilot.equivalence.canonical import Expr
from optcopilot.equivalence.flat import FlatModel, base_name, normal_name
from optcopilot.equivalence.matching import Relation

MAPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"mapping": {"type": "array", "items": {
        "type": "object",
        "properties": {"variable": {"type": "string"}, "expression": {"type": "string"}},
        "required": ["variable", "expression"], "additionalProperties": False}}},
    "required": ["mapping"], "additionalProperties": False,
}
MAX_VARS, MAX_ROWS = 40, 40
SYSTEM = ("You compare two optimization models of the same problem. Answer only JSON matching the schema.")


def _fmt(v: float) -> str:
    return "inf" if v == np.inf else "-inf" if v == -np.inf else f"{v:.6g}"


def _linear(terms: list[tuple[float, str]]) -> str:
    out = ""
    for coef, name in terms:
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        body = name if mag == 1.0 else f"{_fmt(mag)}*{name}"
        out += f" {sign} {body}" if out else (f"-{body}" if coef < 0 else body)
    return out or "0"


def describe(m: FlatModel) -> str:
    """Compact text of a model for the prompt (the IR's own expressions when the flat model is large)."""
    if (m.n > MAX_VARS or m.m > MAX_ROWS) and m.formulation is not None:
        f = m.formulation
        lines = [f"variables: {', '.join(f'{v.name}[{chr(44).join(v.index)}] ({v.domain})' for v in f.variables)}",
                 f"{f.objective.sense}: {f.objective.expression}"]
        lines += [f"{c.name}: {c.expression}" + (f" for {c.forall}" if c.forall else "") for c in f.constraints[:20]]
        return "\n".join(lines)
    kinds = ["integer" if m.integer[j] else "continuous" for j in range(m.n)]
    shown = min(m.n, MAX_VARS)
    lines = ["variables: " + ", ".join(f"{m.names[j]} ({kinds[j]}, {_fmt(m.lb[j])}..{_fmt(m.ub[j])})"
                                       for j in range(shown)) + (f", ... ({m.n - shown} more)" if m.n > shown else "")]
    lines.append(f"{m.sense}: " + _linear([(float(m.c[j]), m.names[j]) for j in np.nonzero(m.c)[0]])
                 + (f" + {_fmt(m.c0)}" if m.c0 else ""))
    for i in range(min(m.m, MAX_ROWS)):
        idx, val = m.row(i)
        body = _linear([(float(v), m.names[j]) for j, v in zip(idx, val, strict=True)])
        lo, hi = m.row_lo[i], m.row_hi[i]
        if lo == hi:
            text = f"{body} == {_fmt(hi)}"
        elif np.isinf(lo):
            text = f"{body} <= {_fmt(hi)}"
        elif np.isinf(hi):
            text = f"{body} >= {_fmt(lo)}"
        else:
            text = f"{_fmt(lo)} <= {body} <= {_fmt(hi)}"
        lines.append(f"{m.row_names[i]}: {text}")
    if m.m > MAX_ROWS:
        lines.append(f"... ({m.m - MAX_ROWS} more constraints)")
    return "\n".join(lines)


def prompt(cand: FlatModel, ref: FlatModel) -> list[dict[str, str]]:
    user = (
        "REFERENCE model:\n" + describe(ref) + "\n\nCANDIDATE model:\n" + describe(cand) + "\n\n"
        "Write every REFERENCE variable as a linear expression of CANDIDATE variables (numbers, *, +, -), so "
        "that an optimal candidate solution maps to an optimal reference solution. A whole family may be "
        "mapped at once, e.g. {\"variable\": \"x\", \"expression\": \"2*y\"} means x[k] = 2*y[k] for every k.\n"
        'Answer as {"mapping": [{"variable": "...", "expression": "..."}]}.'
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_LEAD = re.compile(rf"^({_NUM})\s*\*?\s*(.*)$")
_TRAIL = re.compile(rf"^(.*?)\s*\*\s*({_NUM})$")


def _split_terms(text: str) -> list[str]:
    """Split at top-level + and - (not inside brackets, not in exponents)."""
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch in "+-" and depth == 0 and cur.strip() and not re.search(r"[0-9.][eE]$", cur.rstrip()):
            terms.append(cur)
            cur = ch
            continue
        cur += ch
    if cur.strip():
        terms.append(cur)
    return terms


class _Names:
    def __init__(self, model: FlatModel) -> None:
        self.model = model
        self.exact = model.index()
        self.base = {base_name(n).replace(" ", ""): i for i, n in enumerate(model.names)}
        self.normal = {normal_name(n): i for i, n in enumerate(model.names)}

    def find(self, name: str, key: str | None = None) -> int | None:
        name = name.strip().replace(" ", "")
        for cand in ([name] if key is None else [f"{name}[{key}]", name]):
            for table in (self.exact, self.base):
                if cand in table:
                    return table[cand]
            norm = normal_name(cand)
            if norm in self.normal:
                return self.normal[norm]
        return None


def parse_expression(text: str, names: _Names, key: str | None = None) -> tuple[Expr, float] | None:
    """Parse `2*y[1] - y[2] + 3` into ({var: coef}, constant); None on anything unreadable."""
    expr: Expr = {}
    const = 0.0
    for raw in _split_terms(text.replace("−", "-")):
        term = raw.strip()
        sign = 1.0
        while term[:1] in "+-" and term:
            sign = -sign if term[0] == "-" else sign
            term = term[1:].strip()
        if not term:
            return None
        coef, name = 1.0, term
        lead = _LEAD.match(term)
        trail = _TRAIL.match(term)
        if lead:
            coef, name = float(lead.group(1)), lead.group(2).strip()
        elif trail:
            coef, name = float(trail.group(2)), trail.group(1).strip()
        if not name:
            const += sign * coef
            continue
        j = names.find(name, key)
        if j is None:
            return None
        expr[j] = expr.get(j, 0.0) + sign * coef
    return expr, const


def parse_mapping(text: str, cand: FlatModel, ref: FlatModel) -> tuple[Relation | None, list[str]]:
    """A relation (reference from candidate) from the model's JSON answer, with notes on what was skipped."""
    notes: list[str] = []
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None, ["the answer is not JSON"]
    entries = data.get("mapping") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return None, ["the answer has no 'mapping' list"]
    cnames, rnames = _Names(cand), _Names(ref)
    families: dict[str, list[tuple[int, str]]] = {}
    for i, n in enumerate(ref.names):
        m = re.match(r"^([^\[]+)\[(.*)\]$", n)
        if m:
            families.setdefault(m.group(1), []).append((i, m.group(2)))
    expr: list[Expr | None] = [None] * ref.n
    off = np.zeros(ref.n)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("variable"), str) \
                or not isinstance(entry.get("expression"), str):
            notes.append(f"skipped a malformed entry {str(entry)[:60]!r}")
            continue
        var, text_expr = entry["variable"].strip(), entry["expression"]
        i = rnames.find(var)
        targets = [(i, None)] if i is not None else [(k, key) for k, key in families.get(var, [])]
        if not targets:
            notes.append(f"unknown reference variable {var!r}")
            continue
        for k, key in targets:
            parsed = parse_expression(text_expr, cnames, key)
            if parsed is None:
                notes.append(f"cannot read the expression for {var!r}: {text_expr[:60]!r}")
                break
            expr[k], off[k] = parsed
    missing = [ref.names[i] for i, e in enumerate(expr) if e is None]
    if missing:
        notes.append(f"no expression for {len(missing)} reference variable(s), e.g. {missing[0]!r}")
        return None, notes
    return Relation("llm", ref_expr=[e for e in expr if e is not None], ref_off=off, notes=notes), notes


def propose(backend: Any, cand: FlatModel, ref: FlatModel, timeout: float) -> tuple[Relation | None, list[str]]:
    """Ask the model for a map; LLM failures become notes, never exceptions."""
    from optcopilot.llm.base import LLMError

    try:
        resp = backend.chat(prompt(cand, ref), json_schema=MAPPING_SCHEMA, temperature=0.0,
                            max_tokens=min(4096, 64 + 40 * ref.n), timeout=timeout)
    except LLMError as exc:
        return None, [f"LLM failed: {exc}"]
    return parse_mapping(resp.text, cand, ref)
