"""`EvalMode`: what a mode is (the registry of modes is `optcopilot.eval.modes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import EvalRecord
from optcopilot.eval.scoring import Rule
from optcopilot.llm.base import LLMBackend

Evaluate = Callable[[Problem, EvalConfig, LLMBackend | None], EvalRecord]


@dataclass(frozen=True)
class EvalMode:
    """One way of evaluating a problem."""

    name: str
    description: str
    evaluate: Evaluate
    uses_llm: bool = True
    datasets: frozenset[str] | None = None  # None: any dataset
    forced: bool = False  # used for its `datasets` whatever mode is requested
    rule: Rule | None = None  # a scoring rule of its own (else the run's rule)
    parallel: str = "threads"  # how workers > 1 run it: "threads" (I/O-bound, e.g. HTTP LLMs) or "processes"

    def rule_for(self, cfg: EvalConfig) -> Rule | str | None:
        """The mode's own rule, else the configured rule name (None: the dataset's default)."""
        return self.rule or cfg.rule or None

    def new_record(self, problem: Problem, cfg: EvalConfig) -> EvalRecord:
        """An empty record of this mode for `problem`."""
        return EvalRecord.for_problem(problem, dataset=cfg.dataset, mode=self.name,
                                      llm=cfg.llm_spec if self.uses_llm else None)
