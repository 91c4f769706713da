"""A small GBNF recognizer for tests: does a grammar (the subset `optcopilot.formulate.grammar` writes) match a text?

Supports rules, string literals with escapes, character classes (with ranges and negation), grouping,
alternation, `*`, `+`, `?` and `{m,n}`. Matching returns every end position reachable from a start position
(memoized), so ambiguity is fine. The real sampler is tested separately on the embedded model (slow tests).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Cls:
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]
    negated: bool

    def match(self, c: str) -> bool:
        inside = c in self.chars or any(a <= c <= b for a, b in self.ranges)
        return inside != self.negated


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple[object, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[object, ...]


@dataclass(frozen=True)
class Rep:
    item: object
    lo: int
    hi: int | None


_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "]": "]", "[": "[", "-": "-", "^": "^"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self, newlines: bool = False) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            else:
                break

    def rules(self) -> dict[str, object]:
        out: dict[str, object] = {}
        while True:
            self.ws(newlines=True)
            if self.i >= len(self.s):
                return out
            m = re.compile(r"[A-Za-z0-9-]+").match(self.s, self.i)
            assert m, f"rule name expected at {self.s[self.i:self.i + 30]!r}"
            self.i = m.end()
            self.ws()
            assert self.s.startswith("::=", self.i), f"::= expected after {m.group()}"
            self.i += 3
            out[m.group()] = self.alternation()

    def alternation(self) -> object:
        options = [self.sequence()]
        while True:
            self.ws()
            if self.i < len(self.s) and self.s[self.i] == "|":
                self.i += 1
                options.append(self.sequence())
            else:
                return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self) -> object:
        items: list[object] = []
        while True:
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] in "|)\n":
                return Seq(tuple(items))
            items.append(self.postfix(self.atom()))

    def atom(self) -> object:
        c = self.s[self.i]
        if c == '"':
            self.i += 1
            buf = []
            while self.s[self.i] != '"':
                if self.s[self.i] == "\\":
                    buf.append(_ESC[self.s[self.i + 1]])
                    self.i += 2
                else:
                    buf.append(self.s[self.i])
                    self.i += 1
            self.i += 1
            return Lit("".join(buf))
        if c == "[":
            self.i += 1
            negated = self.s[self.i] == "^"
            if negated:
                self.i += 1
            chars: set[str] = set()
            ranges: list[tuple[str, str]] = []
            while self.s[self.i] != "]":
                ch = self.s[self.i]
                if ch == "\\":
                    ch = _ESC[self.s[self.i + 1]]
                    self.i += 2
                else:
                    self.i += 1
                if self.s[self.i] == "-" and self.s[self.i + 1] != "]":
                    hi = self.s[self.i + 1]
                    if hi == "\\":
                        hi = _ESC[self.s[self.i + 2]]
                        self.i += 3
                    else:
                        self.i += 2
                    ranges.append((ch, hi))
                else:
                    chars.add(ch)
            self.i += 1
            return Cls(frozenset(chars), tuple(ranges), negated)
        if c == "(":
            self.i += 1
            inner = self.alternation()
            self.ws(newlines=True)
            assert self.s[self.i] == ")", "unclosed group"
            self.i += 1
            return inner
        m = re.compile(r"[A-Za-z0-9-]+").match(self.s, self.i)
        assert m, f"unexpected {self.s[self.i:self.i + 20]!r}"
        self.i = m.end()
        return Ref(m.group())

    def postfix(self, item: object) -> object:
        while self.i < len(self.s) and self.s[self.i] in "*+?{":
            c = self.s[self.i]
            if c == "{":
                m = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.s, self.i)
                assert m, "bad repetition"
                self.i = m.end()
                lo = int(m.group(1))
                hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
                item = Rep(item, lo, hi)
            else:
                self.i += 1
                item = Rep(item, *{"*": (0, None), "+": (1, None), "?": (0, 1)}[c])
        return item


def matches(grammar: str, text: str, start: str = "root") -> bool:
    """True when the whole `text` is a sentence of `grammar` from rule `start`."""
    rules = _Parser(grammar).rules()
    for name, body in rules.items():
        _check_refs(body, rules, name)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return len(text) in _ends(rules, text, rules[start], 0)
    finally:
        sys.setrecursionlimit(limit)


def _check_refs(node: object, rules: dict[str, object], where: str) -> None:
    if isinstance(node, Ref):
        assert node.name in rules, f"rule {where} refers to undefined {node.name}"
    for child in getattr(node, "items", ()) or getattr(node, "options", ()):
        _check_refs(child, rules, where)
    if isinstance(node, Rep):
        _check_refs(node.item, rules, where)


def _ends(rules: dict[str, object], text: str, node: object, pos: int) -> frozenset[int]:
    @cache
    def ends(node_id: int, pos: int) -> frozenset[int]:
        node = nodes[node_id]
        if isinstance(node, Lit):
            return frozenset({pos + len(node.text)}) if text.startswith(node.text, pos) else frozenset()
        if isinstance(node, Cls):
            return frozenset({pos + 1}) if pos < len(text) and node.match(text[pos]) else frozenset()
        if isinstance(node, Ref):
            return ends(key(rules[node.name]), pos)
        if isinstance(node, Alt):
            out: set[int] = set()
            for o in node.options:
                out |= ends(key(o), pos)
            return frozenset(out)
        if isinstance(node, Seq):
            current = {pos}
            for item in node.items:
                current = set().union(*(ends(key(item), p) for p in current)) if current else set()
            return frozenset(current)
        if isinstance(node, Rep):
            reached: set[int] = {pos} if node.lo == 0 else set()
            frontier, seen, count = {pos}, set(), 0
            while frontier and (node.hi is None or count < node.hi):
                count += 1
                level = count if node.hi is not None else min(count, node.lo)
                nxt = set().union(*(ends(key(node.item), p) for p in frontier))
                new = {p for p in nxt if (level, p) not in seen}
                seen |= {(level, p) for p in new}
                if count >= node.lo:
                    reached |= new
                frontier = new
            return frozenset(reached)
        raise TypeError(node)

    nodes: list[object] = []
    ids: dict[int, int] = {}

    def key(n: object) -> int:
        k = id(n)
        if k not in ids:
            ids[k] = len(nodes)
            nodes.append(n)
        return ids[k]

    return ends(key(node), pos)
