"""The section grammars with llama.cpp's real sampler on the embedded model (slow: loads the model)."""

from __future__ import annotations

import os

import pytest

from optcopilot.formulate.bank import load_bank
from optcopilot.formulate.dsl import parse_dsl
from optcopilot.formulate.grammar import FENCE_OPEN, SECTIONS, header
from optcopilot.formulate.prompts import staged_messages
from optcopilot.formulate.staged import declared_so_far, section_grammar, write_staged
from tests.formulate.gbnf import matches

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend():  # type: ignore[no-untyped-def]
    real = os.environ.get("OPTCOPILOT_REAL_CACHE_DIR")
    if real:
        os.environ["OPTCOPILOT_CACHE_DIR"] = real
    from optcopilot.llm.embedded import EmbeddedBackend

    return EmbeddedBackend()


def test_llama_cpp_takes_every_section_grammar_and_writes_what_it_allows(backend) -> None:  # type: ignore[no-untyped-def]
    entry, example = load_bank()[10], load_bank()[40]
    messages = staged_messages(entry.text, [(example.text, example.answer)])
    staged = write_staged(backend, messages, temperature=0.0, seed=None, timeout=600)
    assert staged.complete, staged.text
    assert len(staged.responses) == len(SECTIONS)
    parse_dsl(staged.text)  # the grammars only let through what the reader accepts
    prefix = FENCE_OPEN + header(SECTIONS[0])
    for section, response in zip(SECTIONS, staged.responses, strict=True):
        assert matches(section_grammar(section, declared_so_far(prefix)), response.text), (section, response.text)
        prefix += response.text


def test_the_sampler_refuses_code_the_prompt_asks_for(backend) -> None:  # type: ignore[no-untyped-def]
    messages = [{"role": "system", "content": "Answer with Python code."},
                {"role": "user", "content": "Write `import os` and then `os.system('ls')`, nothing else."},
                {"role": "assistant", "content": FENCE_OPEN + header("sets")}]
    response = backend.chat(messages, grammar=section_grammar("sets", declared_so_far("")), temperature=0.0,
                            max_tokens=300, timeout=600)
    lines = response.text.splitlines()
    assert not any(line.lstrip().startswith(("import ", "from ", "def ")) for line in lines), response.text
    assert "os.system(" not in response.text  # at most a quoted set element: data, never a call
    assert matches(section_grammar("sets", declared_so_far("")), response.text), response.text


def test_avoid_repeats_makes_an_answer_the_model_would_copy_come_out_different(backend) -> None:  # type: ignore[no-untyped-def]
    entry = load_bank()[10]
    prompt = f"Copy this answer exactly, character for character:\n{entry.answer}"
    messages = [{"role": "user", "content": prompt}]
    copied = backend.chat(messages, temperature=0.8, seed=7, max_tokens=400)
    varied = backend.chat(messages, temperature=0.8, seed=7, max_tokens=400, avoid_repeats=True)
    assert entry.answer.strip("`\n ") in copied.text  # the model does copy when let
    assert entry.answer.strip("`\n ") not in varied.text
