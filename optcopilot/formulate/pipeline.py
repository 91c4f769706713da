"""Words → five-element formulation → answer: generate, validate, solve, repair, vote.

The LLM writes declarative JSON or DSL text; we parse it (never execute it) into the IR, check it with
`parse_formulation`/`instantiate`, solve it, and feed located errors, IIS rows or unbounded variables back
for up to `max_repairs` repair rounds. With `samples=K` the K chains vote on the objective value.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optcopilot.compile.instance import Instance, instantiate
from optcopilot.formulate.dsl import DSLError, parse_dsl
from optcopilot.formulate.prompts import (
    LLM_SCHEMA,
    SURFACES,
    example_messages,
    llm_json_to_formulation,
    problem_message,
    repair_message,
    system_prompt,
)
from optcopilot.formulate.tables import TableData, TableError, load_tables
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation
from optcopilot.ir.validate import parse_formulation
from optcopilot.llm.base import LLMBackend, LLMError, LLMTimeout
from optcopilot.solve.api import UnknownSolverError, solve
from optcopilot.solve.result import Result, Termination

DEFAULT_SURFACE = "dsl"
DEFAULT_MAX_TOKENS = 1536
DSL_MAX_TOKENS = 1024  # DSL answers run 100-400 tokens; a longer one is almost always a loop
REPAIR_TEMPERATURE = 0.3  # at temperature 0 a repair often repeats the rejected answer word for word
SAMPLE_TEMPERATURE = 0.7
REL_TOL = 1e-6
_SHOWN_ANSWER_CHARS = 4000

Progress = Callable[[str], None]


@dataclass
class Attempt:
    """One LLM call and what became of its answer."""

    index: int
    stage: str  # "generate" | "repair" | "sample"
    response: str
    formulation_json: str | None
    error: str | None
    status: str | None
    objective: float | None
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    sample: int = 0
    cached: bool = False  # answered from the response cache (no generation time spent)


@dataclass
class Outcome:
    """The chosen formulation and result, every attempt, the vote share and the LLM cost."""

    formulation: Formulation | None
    result: Result | None
    attempts: list[Attempt]
    confidence: float | None
    llm: dict[str, Any]
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "formulation": json.loads(self.formulation.to_json()) if self.formulation else None,
            "result": self.result.to_dict() if self.result else None,
            "attempts": [asdict(a) for a in self.attempts],
            "confidence": self.confidence,
            "llm": dict(self.llm),
            "error": self.error,
        }


@dataclass
class _Chain:
    """One sample: its attempts and its last compiled formulation/result."""

    sample: int
    attempts: list[Attempt] = field(default_factory=list)
    formulation: Formulation | None = None
    result: Result | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.result is not None and self.result.status.has_solution and self.result.objective is not None


@dataclass
class _Context:
    backend: LLMBackend
    surface: str
    data: TableData
    base: list[dict[str, str]]
    max_repairs: int
    solver: str
    time_limit: float
    llm_timeout: float
    max_tokens: int
    progress: Progress
    counter: list[int] = field(default_factory=lambda: [0])


def _say(progress: Progress | None) -> Progress:
    return progress if progress is not None else (lambda _msg: None)


def _context(text: str, backend: LLMBackend, tables: dict[str, str | Path] | None, surface: str,
             max_repairs: int, solver: str, time_limit: float, llm_timeout: float, max_tokens: int | None,
             progress: Progress | None) -> _Context:
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose from {', '.join(SURFACES)}")
    if not text or not text.strip():
        raise ValueError("the problem text is empty")
    data = load_tables(tables)
    base = [{"role": "system", "content": system_prompt(surface)}, *example_messages(surface),
            {"role": "user", "content": problem_message(text, data.describe())}]
    if max_tokens is None:
        max_tokens = DSL_MAX_TOKENS if surface == "dsl" else DEFAULT_MAX_TOKENS
    return _Context(backend, surface, data, base, max(0, max_repairs), solver, time_limit, llm_timeout,
                    max_tokens, _say(progress))


def _context_or_failure(text: str, backend: LLMBackend, tables: dict[str, str | Path] | None, surface: str,
                        max_repairs: int, solver: str, time_limit: float, llm_timeout: float,
                        max_tokens: int | None, progress: Progress | None) -> _Context | Outcome:
    """The run's context, or a failed Outcome saying why the input cannot be used."""
    try:
        return _context(text, backend, tables, surface, max_repairs, solver, time_limit, llm_timeout, max_tokens,
                        progress)
    except (TableError, ValueError) as exc:
        return _failed([], str(exc), backend)


def formulate_and_solve(text: str, backend: LLMBackend, *, tables: dict[str, str | Path] | None = None,
                        samples: int = 1, max_repairs: int = 2, solver: str = "auto", time_limit: float = 30.0,
                        llm_timeout: float = 300.0, progress: Progress | None = None,
                        surface: str = DEFAULT_SURFACE, max_tokens: int | None = None) -> Outcome:
    """Formulate `text` with the LLM, solve, repair on errors; with `samples>1` vote on the objective."""
    ctx = _context_or_failure(text, backend, tables, surface, max_repairs, solver, time_limit, llm_timeout,
                              max_tokens, progress)
    if isinstance(ctx, Outcome):
        return ctx
    chains, fatal = _run_chains(ctx, samples, do_solve=True)
    return _finish(chains, backend, fatal=fatal)


def formulate_only(text: str, backend: LLMBackend, *, tables: dict[str, str | Path] | None = None,
                   samples: int = 1, max_repairs: int = 2, solver: str = "auto", time_limit: float = 30.0,
                   llm_timeout: float = 300.0, progress: Progress | None = None,
                   surface: str = DEFAULT_SURFACE, max_tokens: int | None = None) -> Outcome:
    """Formulate without solving: the first formulation that parses and instantiates (no voting)."""
    ctx = _context_or_failure(text, backend, tables, surface, max_repairs, solver, time_limit, llm_timeout,
                              max_tokens, progress)
    if isinstance(ctx, Outcome):
        return ctx
    chains, fatal = _run_chains(ctx, samples, do_solve=False)
    last = chains[-1]
    if fatal is None and last.formulation is not None and last.error is None:
        return Outcome(last.formulation, None, _all_attempts(chains), 1.0, _llm_stats(chains, backend), None)
    return _failed(chains, fatal or _chain_error(last), backend)


def _run_chains(ctx: _Context, samples: int, *, do_solve: bool) -> tuple[list[_Chain], str | None]:
    """Run up to `samples` chains; the chains and the LLM failure that stopped them, if any.

    Solving: one greedy chain, or `samples` sampled chains (seeds 1..k) to vote over. Formulating only:
    a greedy chain first, sampled ones after it until one gives a formulation that instantiates.
    """
    k = max(1, int(samples))
    chains: list[_Chain] = []
    for i in range(k):
        chain = _Chain(sample=i)
        chains.append(chain)
        if do_solve:
            temperature, seed = (0.0, None) if k == 1 else (SAMPLE_TEMPERATURE, i + 1)
            label = f"sample {i + 1}/{k}: " if k > 1 else ""
        else:
            temperature, seed = (0.0, None) if i == 0 else (SAMPLE_TEMPERATURE, i)
            label = ""
        try:
            _run_chain(ctx, chain, temperature, seed, do_solve=do_solve, label=label)
        except LLMTimeout as exc:
            return chains, f"LLM timeout: {exc}"
        except LLMError as exc:
            return chains, f"LLM error: {exc}"
        if not do_solve and chain.formulation is not None and chain.error is None:
            break
    return chains, None


# one chain --------------------------------------------------------------------------------------------------
def _run_chain(ctx: _Context, chain: _Chain, temperature: float, seed: int | None, *, do_solve: bool,
               label: str) -> None:
    messages = list(ctx.base)
    for round_no in range(ctx.max_repairs + 1):
        stage = "generate" if round_no == 0 else "repair"
        if round_no == 0 and seed is not None:
            stage = "sample"
        ctx.progress(f"{label}{'writing the model' if round_no == 0 else f'repairing the model ({round_no})'}…")
        start = time.perf_counter()
        try:
            temp, call_seed = temperature, seed
            if round_no > 0:
                temp = max(temperature, REPAIR_TEMPERATURE)
                call_seed = (seed or 0) * 100 + round_no
            response = ctx.backend.chat(messages, json_schema=LLM_SCHEMA if ctx.surface == "json" else None,
                                        temperature=temp, max_tokens=ctx.max_tokens, seed=call_seed,
                                        timeout=ctx.llm_timeout)
        except LLMError as exc:  # keep a record of the failed call, then stop
            ctx.counter[0] += 1
            chain.attempts.append(Attempt(index=ctx.counter[0], stage=stage, response="", formulation_json=None,
                                          error=f"{type(exc).__name__}: {exc}", status=None, objective=None,
                                          seconds=time.perf_counter() - start, prompt_tokens=0,
                                          completion_tokens=0, sample=chain.sample))
            raise
        ctx.counter[0] += 1
        attempt = Attempt(index=ctx.counter[0], stage=stage, response=response.text, formulation_json=None,
                          error=None, status=None, objective=None, seconds=response.seconds,
                          prompt_tokens=response.prompt_tokens, completion_tokens=response.completion_tokens,
                          sample=chain.sample, cached=response.cached)
        chain.attempts.append(attempt)
        feedback = _evaluate(ctx, chain, attempt, do_solve, cut=response.completion_tokens >= ctx.max_tokens)
        if feedback is None:
            chain.error = None
            return
        attempt.error = chain.error = feedback
        if round_no < ctx.max_repairs:
            ctx.progress(f"{label}problem found: {feedback.splitlines()[0][:100]}")
            messages = [*ctx.base, {"role": "assistant", "content": response.text[:_SHOWN_ANSWER_CHARS]},
                        {"role": "user", "content": repair_message(feedback, ctx.surface)}]


def _evaluate(ctx: _Context, chain: _Chain, attempt: Attempt, do_solve: bool, cut: bool) -> str | None:
    """Parse, check and solve one answer; None when it is done, else the feedback for a repair."""
    try:
        formulation = parse_answer(attempt.response, ctx.surface, ctx.data)
    except (ValueError, DSLError) as exc:
        message = str(exc)
        if cut:
            message = f"the answer was cut off after {ctx.max_tokens} tokens; write a shorter model ({message})"
        return message
    attempt.formulation_json = formulation.to_json(indent=None)
    try:
        instance = instantiate(parse_formulation(formulation))
    except FormulationError as exc:
        return "; ".join(str(i) for i in exc.issues[:6])
    chain.formulation = formulation
    if not do_solve:
        return None
    ctx.progress("solving…")
    try:
        result = solve(instance, solver=ctx.solver, time_limit=ctx.time_limit)
    except UnknownSolverError:
        raise
    except FormulationError as exc:
        return "; ".join(str(i) for i in exc.issues[:6])
    except Exception as exc:  # a solver crash is feedback, not a reason to stop
        return f"the solver failed: {type(exc).__name__}: {str(exc)[:200]}"
    chain.result = result
    attempt.status = result.status.value
    attempt.objective = result.objective if result.objective is None or math.isfinite(result.objective) else None
    return _solver_feedback(result, instance)


def _solver_feedback(result: Result, instance: Instance) -> str | None:
    status = result.status
    if status.has_solution or status == Termination.TIME_LIMIT_NO_SOLUTION:
        return None
    if status == Termination.INFEASIBLE:
        rows = ", ".join((result.iis or [])[:12])
        where = f" These constraints conflict: {rows}." if rows else ""
        return ("The model is infeasible: no values satisfy all constraints." + where
                + " Check the direction (<= or >=) and the numbers of those constraints against the problem.")
    if status in (Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
        free = _unbounded_variables(instance)
        names = ", ".join(free[:12]) + (" …" if len(free) > 12 else "")
        return (f"The model is {status.value.replace('_', ' ')}: the objective can improve without limit. "
                f"Variables without an upper bound: {names or 'none'}. Add the limits the problem states "
                "(capacity, budget, demand) and check the objective sense.")
    return f"The solver failed: {result.message or status.value}."


def _unbounded_variables(instance: Instance) -> list[str]:
    out: list[str] = []
    for fam in instance.families.values():
        ids = range(fam.first, fam.first + len(fam.keys))
        if any(math.isinf(instance.ub[i]) or math.isinf(instance.lb[i]) for i in ids):
            out.append(fam.name)
    return out


# answers ----------------------------------------------------------------------------------------------------
def parse_answer(text: str, surface: str, data: TableData | None = None) -> Formulation:
    """Turn an LLM answer into a Formulation (table data merged in); ValueError with a precise reason.

    A JSON object is read as the JSON surface whatever surface was asked for: other models (and scripted
    answers) may prefer it, and the content is declarative either way.
    """
    if surface == "dsl" and not _looks_like_json(text):
        formulation = parse_dsl(text)
    else:
        payload = _json_payload(text)
        try:
            formulation = llm_json_to_formulation(payload)
        except ValidationError as exc:
            raise ValueError(_pydantic_message(exc)) from None
    formulation = tidy(formulation)
    return merge_tables(formulation, data) if data is not None and data.names else formulation


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _looks_like_json(text: str) -> bool:
    body = re.sub(r"^```(?:json)?\s*", "", text.strip())
    return body.startswith("{")


def tidy(f: Formulation) -> Formulation:
    """Drop harmless slips: unused parameters/sets, parameters shadowing a variable, `[v]` scalar values."""
    var_names = {v.name for v in f.variables}
    texts = [f.objective.expression, *(c.expression for c in f.constraints), *(c.forall or "" for c in f.constraints),
             *(str(b) for v in f.variables for b in (v.lb, v.ub) if isinstance(b, str))]
    used = set(_IDENT.findall(" ".join(texts))) | {i for v in f.variables for i in v.index}
    params = []
    for p in f.parameters:
        if p.name in var_names or p.name not in used:
            continue
        if not p.index and isinstance(p.value, list) and len(p.value) == 1:
            p = p.model_copy(update={"value": p.value[0]})
        params.append(p)
    used |= {i for p in params for i in p.index}
    sets = [s for s in f.sets if s.name in used or any(s.name in (o.index or []) for o in f.sets)]
    return f.model_copy(update={"parameters": params, "sets": sets})


def _json_payload(text: str) -> Any:
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*\n(.*?)```", body, flags=re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        raise ValueError("the answer is empty; reply with the JSON model")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(body[start:end + 1])
            except json.JSONDecodeError:
                pass
        raise ValueError(f"the answer is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:4]:
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith(("function-", "union")))
        parts.append(f"{loc or 'model'}: {err['msg']}")
    return "invalid model structure: " + "; ".join(parts)


def merge_tables(formulation: Formulation, data: TableData) -> Formulation:
    """Our table sets/parameters replace any the LLM (re)defined under the same names."""
    names = data.names
    sets = [*data.sets, *(s for s in formulation.sets if s.name not in names)]
    params = [*data.parameters, *(p for p in formulation.parameters if p.name not in names)]
    return formulation.model_copy(update={"sets": sets, "parameters": params})


# voting and the outcome ---------------------------------------------------------------------------------------
def group_by_objective(values: list[float], rel_tol: float = REL_TOL) -> list[list[int]]:
    """Indices grouped by objective value (relative tolerance, absolute near zero), in first-seen order."""
    groups: list[list[int]] = []
    reps: list[float] = []
    for i, v in enumerate(values):
        for g, rep in enumerate(reps):
            if abs(v - rep) <= rel_tol * max(1.0, abs(rep), abs(v)):
                groups[g].append(i)
                break
        else:
            groups.append([i])
            reps.append(v)
    return groups


def _equivalence_groups(formulations: list[Formulation]) -> list[list[int]] | None:
    """Groups from `optcopilot.equivalence.cluster_by_equivalence` when that module provides it."""
    try:
        from optcopilot import equivalence

        cluster = getattr(equivalence, "cluster_by_equivalence", None)
        if cluster is None:
            return None
        groups = cluster(formulations, time_limit=10.0)
        out = [[int(i) for i in g] for g in groups]
        return out if sorted(i for g in out for i in g) == list(range(len(formulations))) else None
    except Exception:  # an optional refinement must never break the answer
        return None


def vote(chains: list[_Chain]) -> tuple[_Chain | None, float | None]:
    """The chain of the largest objective group (ties: earliest) and its vote share among answered chains."""
    answered = [c for c in chains if c.answered]
    if not answered:
        return None, None
    groups = group_by_objective([float(c.result.objective) for c in answered])  # type: ignore[union-attr]
    if len(groups) > 1:
        eq = _equivalence_groups([c.formulation for c in answered])  # type: ignore[misc]
        if eq is not None:  # merge objective groups that the checker proves equivalent
            merged: list[set[int]] = [set(g) for g in groups]
            for g in eq:
                touching = [m for m in merged if m & set(g)]
                union = set(g).union(*touching)
                merged = [m for m in merged if not (m & set(g))] + [union]
            groups = [sorted(m) for m in merged]
    best = max(groups, key=lambda g: (len(g), -min(g)))
    return answered[min(best)], len(best) / len(answered)


def _all_attempts(chains: list[_Chain]) -> list[Attempt]:
    return [a for c in chains for a in c.attempts]


def _llm_stats(chains: list[_Chain], backend: LLMBackend) -> dict[str, Any]:
    attempts = _all_attempts(chains)
    return {"backend": getattr(backend, "name", "?"), "model": getattr(backend, "model", "?"),
            "prompt_tokens": sum(a.prompt_tokens for a in attempts),
            "completion_tokens": sum(a.completion_tokens for a in attempts),
            "seconds": round(sum(a.seconds for a in attempts), 3), "calls": len(attempts),
            "cached_calls": sum(a.cached for a in attempts)}


def _chain_error(chain: _Chain) -> str:
    n = len(chain.attempts)
    if chain.result is not None and not chain.answered:
        return f"no optimal solution: the model is {chain.result.status.value} after {n} attempt(s)"
    last = (chain.error or "unknown problem").splitlines()[0][:200]
    return f"the LLM did not produce a valid model after {n} attempt(s): {last}"


def _failed(chains: list[_Chain], error: str, backend: LLMBackend) -> Outcome:
    last = next((c for c in reversed(chains) if c.formulation is not None), None)
    return Outcome(last.formulation if last else None, last.result if last else None, _all_attempts(chains),
                   None, _llm_stats(chains, backend), error)


def _finish(chains: list[_Chain], backend: LLMBackend, fatal: str | None = None) -> Outcome:
    chosen, share = vote(chains)
    if chosen is not None:  # even when a later sample failed hard, keep what the earlier ones found
        return Outcome(chosen.formulation, chosen.result, _all_attempts(chains), share,
                       _llm_stats(chains, backend), None)
    return _failed(chains, fatal or _chain_error(chains[-1]), backend)
