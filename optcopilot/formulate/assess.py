"""Judge one LLM answer: parse, validate, solve, and (optionally) check it against the problem text.

Returns structured `Feedback` (a kind, the repair message, the section a repair should rewrite), never
English for callers to parse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.formulate.answers import parse_answer
from optcopilot.formulate.checks import (
    Finding,
    check_copied_data,
    check_counts,
    check_directions,
    check_numbers,
    check_percents,
    check_sense,
    check_solution,
    check_structure,
    declares_bound,
)
from optcopilot.formulate.dsl import DSLError
from optcopilot.formulate.events import Stage
from optcopilot.formulate.grammar import SECTIONS
from optcopilot.formulate.records import Context, Feedback
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import parse_formulation
from optcopilot.solve.api import UnknownSolverError, solve
from optcopilot.solve.result import Result, Termination

_WHERE_SECTION = {"set": "sets", "parameter": "parameters", "param": "parameters", "variable": "variables",
                  "var": "variables", "objective": "objective", "constraint": "constraints"}


@dataclass
class Assessment:
    """What became of one answer."""

    formulation: Formulation | None = None
    result: Result | None = None
    feedback: Feedback | None = None  # a hard problem: the answer is not accepted
    soft: list[Finding] = field(default_factory=list)  # accepted, but a repair may do better


def _issue_section(where: str) -> str:
    word = where.split(" ", 1)[0].lower()
    return _WHERE_SECTION.get(word, "sets")


def _line_section(message: str, answer: str) -> str:
    """The section holding the line a DSL error names (`line N: ...`)."""
    if not message.startswith("line "):
        return SECTIONS[0]
    try:
        line = int(message[5:].split(":")[0])
    except ValueError:
        return SECTIONS[0]
    current = SECTIONS[0]
    code = answer.split("```python\n", 1)[-1]
    for i, row in enumerate(code.splitlines(), start=1):
        if row.startswith("# ") and row[2:].strip() in SECTIONS:
            current = row[2:].strip()
        if i >= line:
            break
    return current


def assess(ctx: Context, answer: str, *, do_solve: bool, cut: bool, sample: int = 0) -> Assessment:
    """Parse, check and (when `do_solve`) solve one answer."""
    out = Assessment()
    try:
        formulation = parse_answer(answer, ctx.surface, ctx.data)
    except (ValueError, DSLError) as exc:
        message = str(exc)
        kind = "syntax" if "syntax" in type(exc).__name__.lower() or message.startswith("line ") else "invalid"
        if cut:
            message = f"the answer was cut off before its end; write a shorter model ({message})"
            kind = "cut-off"
        out.feedback = Feedback(kind, message, _line_section(message, answer))
        return out
    out.formulation = formulation
    try:
        instance = instantiate(parse_formulation(formulation))
    except FormulationError as exc:
        first = exc.issues[0] if exc.issues else None
        section = _issue_section(first.where) if first else "sets"
        out.feedback = Feedback(f"invalid:{first.code}" if first else "invalid",
                                "; ".join(str(i) for i in exc.issues[:6]), section)
        return out
    if ctx.techniques.verifiers and not ctx.techniques.legacy:
        table_numbers = ctx.data.numbers()
        findings = [*check_numbers(formulation, ctx.text, ctx.examples, table_numbers, answer=answer),
                    *check_structure(formulation, ctx.text), *check_percents(formulation, ctx.text),
                    *check_copied_data(formulation, ctx.text, table_numbers),
                    *check_directions(formulation, ctx.text),
                    *check_sense(formulation, ctx.text), *check_counts(formulation)]
        hard = [f for f in findings if f.hard]
        if hard:
            out.feedback = Feedback(hard[0].code, hard[0].message, hard[0].section)
            return out
        out.soft = findings
    if not do_solve:
        return out
    ctx.say(Stage.SOLVING, "solving…", sample)
    try:
        result = solve(instance, solver=ctx.solver, time_limit=ctx.time_limit)
    except UnknownSolverError:
        raise
    except FormulationError as exc:
        out.feedback = Feedback("invalid", "; ".join(str(i) for i in exc.issues[:6]), "constraints")
        return out
    except Exception as exc:  # a solver crash is feedback, not a reason to stop
        out.feedback = Feedback("solver", f"the solver failed: {type(exc).__name__}: {str(exc)[:200]}",
                                "constraints")
        return out
    out.result = result
    out.feedback = solver_feedback(result, instance)
    if out.feedback is not None and out.feedback.kind == "infeasible":
        out.feedback = blame_declared_bounds(out.feedback, result, formulation)
    if out.feedback is not None:
        out.feedback = with_urgent_findings(out.feedback, out.soft)
    if out.feedback is None and ctx.techniques.verifiers and not ctx.techniques.legacy:
        out.soft += check_solution(dict(result.variables), "max" if formulation.objective.sense.startswith("max")
                                   else "min")
    return out


def solver_feedback(result: Result, instance: Instance) -> Feedback | None:
    status = result.status
    if status.has_solution or status == Termination.TIME_LIMIT_NO_SOLUTION:
        return None
    if status == Termination.INFEASIBLE:
        rows = ", ".join((result.iis or [])[:12])
        where = f" These constraints conflict: {rows}." if rows else ""
        return Feedback("infeasible", "The model is infeasible: no values satisfy all constraints." + where
                        + " Check the direction (<= or >=) and the numbers of those constraints against the problem.",
                        "constraints")
    if status in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
        free = unbounded_variables(instance)
        names = ", ".join(free[:12]) + (" …" if len(free) > 12 else "")
        return Feedback("unbounded", f"The model is {status.value.replace('_', ' ')}: the objective can improve "
                        f"without limit. Variables without an upper bound: {names or 'none'}. Add the limits the "
                        "problem states (capacity, budget, demand) and check the objective sense.", "objective")
    return Feedback("solver", f"The solver failed: {result.message or status.value}.", "constraints")


def with_urgent_findings(feedback: Feedback, soft: list[Finding]) -> Feedback:
    """A solver failure repaired together with the urgent findings of the same answer (often their cause: a
    percentage written as 40 makes a model infeasible); the repair starts at the earlier of their sections."""
    urgent = [f for f in soft if f.urgent]
    if not urgent:
        return feedback
    sections = [feedback.section, *(f.section for f in urgent)]
    first = min(sections, key=lambda s: SECTIONS.index(s) if s in SECTIONS else 0)
    return Feedback(feedback.kind, "\n".join([feedback.message, *(f.message for f in urgent)]), first,
                    feedback.hard)


def blame_declared_bounds(feedback: Feedback, result: Result, formulation: Formulation) -> Feedback:
    """An infeasible model whose conflict holds a bound declared in `var(...)`: the repair rewrites the variables.

    A repair of the constraints alone keeps a wrong `ub=5` and cannot remove the conflict.
    """
    in_conflict = {item[len("bound:"):].split("[", 1)[0] for item in (result.iis or []) if item.startswith("bound:")}
    declared = [v for v in formulation.variables if v.name in in_conflict and declares_bound(v)]
    if not declared:
        return feedback
    shown = ", ".join(f"{v.name} ({', '.join(f'{k}={b}' for k, b in (('lb', v.lb), ('ub', v.ub)) if b not in (None, 0, 0.0))})"
                      for v in declared[:6])
    return Feedback(feedback.kind, f"{feedback.message} The conflict includes the bounds declared on {shown}: keep a "
                    "bound only where the problem states that limit for that very variable.", "variables")


def unbounded_variables(instance: Instance) -> list[str]:
    out: list[str] = []
    for fam in instance.families.values():
        ids = range(fam.first, fam.first + len(fam.keys))
        if any(math.isinf(instance.ub[i]) or math.isinf(instance.lb[i]) for i in ids):
            out.append(fam.name)
    return out
