"""Fixtures for the app tests: the app script, a scripted LLM answer file, a clean env."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# the LLM's answer for the shipped production.txt example (LLM-facing JSON): 2 products, 2 resources
PRODUCTION_ANSWER: dict = {
    "sets": [{"name": "P", "elements": ["chair", "table"]}, {"name": "R", "elements": ["carpentry", "finishing"]}],
    "parameters": [
        {"name": "profit", "index": ["P"], "value": [30, 50]},
        {"name": "hours", "index": ["R", "P"], "value": [[4, 6], [1, 3]]},
        {"name": "avail", "index": ["R"], "value": [240, 90]},
    ],
    "variables": [{"name": "make", "description": "units made per week", "index": ["P"], "type": "continuous",
                   "lb": 0, "ub": None}],
    "objective": {"sense": "maximize", "expression": "sum(profit[p]*make[p] for p in P)"},
    "constraints": [{"name": "capacity", "expression": "sum(hours[r,p]*make[p] for p in P) <= avail[r]",
                     "forall": "r in R"}],
}
PRODUCTION_OPTIMUM = 1900.0  # chairs 30, tables 20


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPTCOPILOT_APP_LLM", "OPTCOPILOT_LLM", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPTCOPILOT_CACHE_DIR", str(tmp_path / "cache"))


def write_script(path: Path, answers: list) -> Path:
    """Write a scripted-backend answer list (entries: answer strings or dicts) to `path`."""
    path.write_text(json.dumps([a if isinstance(a, str | dict) and not _is_model(a) else json.dumps(a)
                                for a in answers]))
    return path


def _is_model(entry: object) -> bool:
    return isinstance(entry, dict) and "objective" in entry


@pytest.fixture
def scripted_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OPTCOPILOT_APP_LLM points at a script answering the production example (twice, for reruns)."""
    path = write_script(tmp_path / "answers.json", [PRODUCTION_ANSWER, PRODUCTION_ANSWER])
    monkeypatch.setenv("OPTCOPILOT_APP_LLM", f"scripted:{path}")
    return path
