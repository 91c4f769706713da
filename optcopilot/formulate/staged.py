"""Staged, grammar-constrained writing of a DSL answer: sets, parameters, variables, objective, constraints.

Each section is one short completion that continues the assistant's answer so far (the backend reuses the
cached prompt, so five calls cost about what one does) under the grammar of `grammar.py` built from what the
earlier sections declared. A repair keeps the sections before the faulty one and writes the rest again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from optcopilot.formulate.dsl import DSLError, declared_names
from optcopilot.formulate.grammar import (
    FENCE_CLOSE,
    FENCE_OPEN,
    SECTIONS,
    Declared,
    constraints_grammar,
    header,
    objective_grammar,
    parameters_grammar,
    sets_grammar,
    variables_grammar,
)
from optcopilot.llm.base import LLMBackend, LLMResponse, LLMTimeout, Message

STAGE_MAX_TOKENS = {"sets": 400, "parameters": 900, "variables": 400, "objective": 300, "constraints": 900}


@dataclass
class StagedAnswer:
    """The answer text (inside its fence) and the calls that wrote it."""

    text: str
    responses: list[LLMResponse] = field(default_factory=list)
    complete: bool = False  # every section ended where its grammar says

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.responses)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.responses)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.responses)

    @property
    def cached(self) -> bool:
        return bool(self.responses) and all(r.cached for r in self.responses)


def section_grammar(section: str, declared: Declared, compact: bool = False) -> str:
    """The grammar that writes `section` (ending with the next section's header or the closing fence)."""
    if section == "sets":
        return sets_grammar()
    if section == "parameters":
        return parameters_grammar(declared)
    if section == "variables":
        return variables_grammar(declared, describe=not compact)
    if section == "objective":
        return objective_grammar(declared)
    return constraints_grammar(declared)


def declared_so_far(answer: str) -> Declared:
    """Sets (with sizes), parameters and variables (with arity) declared in a partial answer."""
    code = answer.replace(FENCE_OPEN, "").replace(FENCE_CLOSE, "")
    try:
        sets, params, variables = declared_names(code)
    except (DSLError, SyntaxError, ValueError):
        return Declared()
    return Declared(sets=sets, params=params, variables=variables)


def kept_prefix(answer: str, section: str) -> str:
    """The part of an earlier answer before `section` (its header included), to regenerate from there."""
    head = header(section)
    at = answer.find(head)
    if at < 0:
        return FENCE_OPEN + header(SECTIONS[0])
    return answer[: at + len(head)]


def write_staged(backend: LLMBackend, messages: list[Message], *, temperature: float, seed: int | None,
                 timeout: float, prefix: str | None = None, avoid_repeats: bool = False,
                 compact: bool = False) -> StagedAnswer:
    """Write the answer section by section after `messages`, continuing `prefix` (default: from the start).

    ``avoid_repeats``: ask the backend (where it can: ``avoids_repeats``) to penalize long runs of text already
    in the context, so that an answer the model keeps repeating comes out different. ``compact``: variables
    without descriptions (`Techniques.compact`).
    """
    extra = {"avoid_repeats": True} if avoid_repeats and getattr(backend, "avoids_repeats", False) else {}
    answer = prefix if prefix is not None else FENCE_OPEN + header(SECTIONS[0])
    out = StagedAnswer(text=answer)
    start = time.monotonic()
    for section in _sections_after(answer):
        remaining = timeout - (time.monotonic() - start)
        if remaining <= 0:
            raise LLMTimeout(f"the model did not finish the {section} section within {timeout:g} s")
        grammar = section_grammar(section, declared_so_far(answer), compact)
        response = backend.chat([*messages, {"role": "assistant", "content": answer}], grammar=grammar,
                                temperature=temperature, max_tokens=STAGE_MAX_TOKENS[section], seed=seed,
                                timeout=remaining, **extra)
        out.responses.append(response)
        answer += response.text
        out.text = answer
        if not answer.rstrip().endswith(_terminator(section).rstrip()):
            return out  # cut off, or the backend ignored the grammar: the reader will say what is wrong
    out.complete = True
    return out


def _terminator(section: str) -> str:
    i = SECTIONS.index(section)
    return header(SECTIONS[i + 1]) if i + 1 < len(SECTIONS) else FENCE_CLOSE


def _sections_after(answer: str) -> list[str]:
    """The sections still to write after `answer` (which ends with the header of the next one)."""
    for i, section in enumerate(SECTIONS):
        if answer.endswith(header(section)):
            return list(SECTIONS[i:])
    raise ValueError("a staged answer must end with a section header")
