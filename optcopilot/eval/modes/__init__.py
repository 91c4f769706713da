"""Evaluation modes: how one problem becomes one `EvalRecord`.

A mode is an `EvalMode`: a name, whether it needs an LLM, which datasets it serves, and an ``evaluate``
function ``(problem, cfg, backend) -> EvalRecord``. ``evaluate`` builds the record with
`EvalRecord.for_problem`, converts whatever it gets (pipeline outcomes, script output, solver results) into
our types at its own boundary (`Termination`, `Category`), and grades it with `grading.grade`. Exceptions
may escape: the runner turns them into ``error``/``timeout``/``llm_error`` records.

Adding a mode (e.g. ``reference`` for NLP4LP's reference formulations):
1. write ``modes/<name>.py`` with ``evaluate(problem, cfg, backend) -> EvalRecord`` and an ``EvalMode``;
2. add its ``MODE`` to ``MODES`` below. ``optcopilot eval --mode <name>`` accepts it from then on; set
   ``datasets`` to limit it to some datasets and ``forced=True`` to use it for them whatever is requested.
"""

from __future__ import annotations

from optcopilot.eval.modes import direct, mps, pipeline, reference
from optcopilot.eval.modes.base import EvalMode

MODES: dict[str, EvalMode] = {m.name: m for m in (pipeline.MODE, direct.MODE, mps.MODE, reference.MODE)}


def selectable_modes() -> list[str]:
    """Modes a user may ask for with ``--mode`` (forced modes are chosen by their dataset)."""
    return [name for name, m in MODES.items() if not m.forced]


def mode_for(dataset: str, requested: str) -> EvalMode:
    """The mode that evaluates ``dataset`` when ``requested`` is asked for; ValueError when it cannot."""
    for mode in MODES.values():
        if mode.forced and mode.datasets is not None and dataset in mode.datasets:
            return mode
    asked = MODES.get(requested)
    if asked is None or asked.forced:
        raise ValueError(f"unknown mode {requested!r}; use {' or '.join(selectable_modes())}")
    if asked.datasets is not None and dataset not in asked.datasets:
        raise ValueError(f"mode {requested!r} evaluates only {', '.join(sorted(asked.datasets))}, not {dataset!r}")
    return asked
