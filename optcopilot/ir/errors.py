"""Located validation messages. They are shown to users and fed back to the LLM, so be precise."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in a formulation: where it is, what is wrong, a stable code for grouping."""

    where: str  # e.g. "constraint 'capacity'", "parameter 'cost'"
    message: str
    code: str  # syntax, unknown-symbol, arity, unbound-index, not-a-set, duplicate-name, bad-name,
    # bad-value, index-out-of-set, size-limit, time-limit, not-a-comparison, variable-in-data, missing,
    # domain (a function's argument can leave the function's domain)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class FormulationError(ValueError):
    """The formulation is invalid; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = list(issues)
        shown = "; ".join(str(i) for i in self.issues[:5])
        more = f" (+{len(self.issues) - 5} more)" if len(self.issues) > 5 else ""
        super().__init__(shown + more)

    @property
    def codes(self) -> set[str]:
        return {i.code for i in self.issues}


class BuildTimeout(FormulationError):
    """The time budget ran out while the model was being read, grounded or built (issue code `time-limit`).

    A FormulationError, so a formulation loop feeds it back like any other issue ("write a smaller model");
    the CLI reports it as a failure (exit 1), not as bad input.
    """
