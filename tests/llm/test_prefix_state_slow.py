"""The fixed prefix's KV state with the real model, in new processes (slow: each process loads the model).

Every process writes a completion at temperature 0 for the same prompt; the state directory is the test's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
from optcopilot.formulate.prompts import STAGED_RULES
from optcopilot.llm.embedded import EmbeddedBackend
messages = [{"role": "system", "content": STAGED_RULES},
            {"role": "user", "content": "A bakery makes bread and cake. Bread earns 3 dollars and cake 5. Each "
             "needs 1 and 2 hours of oven time; 40 hours are available. Maximize profit."}]
reply = EmbeddedBackend(n_threads=1).chat(messages, temperature=0.0, max_tokens=40)
print(json.dumps({"text": reply.text, "reused": reply.reused_prompt_tokens, "prompt": reply.prompt_tokens}))
"""


@pytest.fixture(scope="module")
def model_path() -> Path:
    from optcopilot.llm.weights import ensure_embedded_model

    real = os.environ.get("OPTCOPILOT_REAL_CACHE_DIR")
    saved = os.environ.get("OPTCOPILOT_CACHE_DIR")
    if real:
        os.environ["OPTCOPILOT_CACHE_DIR"] = real
    elif saved is not None and "pytest" in saved:
        os.environ.pop("OPTCOPILOT_CACHE_DIR")
    try:
        return ensure_embedded_model()
    finally:
        if saved is not None:
            os.environ["OPTCOPILOT_CACHE_DIR"] = saved


def start(cache: Path, model: Path, *, states: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "OPTCOPILOT_CACHE_DIR": str(cache), "OPTCOPILOT_MODEL_PATH": str(model),
           "OPTCOPILOT_PREFIX_STATE": "1" if states else "0", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str]) -> tuple[dict[str, object], str]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1]), err


def run(cache: Path, model: Path, *, states: bool = True) -> tuple[dict[str, object], str]:
    return finish(start(cache, model, states=states))


def test_a_restored_prefix_gives_the_cold_completion(tmp_path: Path, model_path: Path) -> None:
    cold, _ = run(tmp_path / "cold", model_path, states=False)
    built, built_log = run(tmp_path / "warm", model_path)
    restored, restored_log = run(tmp_path / "warm", model_path)
    assert "built" in built_log and "restored" in restored_log
    assert cold["text"] == built["text"] == restored["text"]
    assert int(restored["reused"]) > 100  # the system message came from the saved state
    assert not list((tmp_path / "cold" / "kv-states").glob("prefix-*"))  # switched off: nothing saved


def test_a_corrupt_state_file_is_rebuilt_not_used(tmp_path: Path, model_path: Path) -> None:
    cold, _ = run(tmp_path / "cold", model_path, states=False)
    run(tmp_path / "warm", model_path)
    states = tmp_path / "warm" / "kv-states"
    (state,) = states.glob("prefix-*.bin")
    state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])  # truncated
    again, log = run(tmp_path / "warm", model_path)
    assert "not used" in log and "rebuilding" in log and "built" in log
    assert again["text"] == cold["text"]


def test_two_processes_starting_together_both_work(tmp_path: Path, model_path: Path) -> None:
    first, second = start(tmp_path / "both", model_path), start(tmp_path / "both", model_path)
    (a, _), (b, _) = finish(first), finish(second)
    assert a["text"] == b["text"]
    third, log = run(tmp_path / "both", model_path)
    assert "restored" in log and third["text"] == a["text"]
