"""Words → five-element formulation → answer: generate, validate, solve, repair, vote.

The LLM writes declarative DSL (or JSON) text; we parse it (never execute it) into the IR, check it, solve
it, and feed located errors, IIS rows, unbounded variables or verifier findings back for up to `max_repairs`
repair rounds (`chain.py`). With `samples=K` the K chains vote on the objective value. Which techniques a run
uses (grammar, staged sections, retrieved examples, repairs, verifiers) is a `Techniques` value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from optcopilot.equivalence import cluster_by_equivalence
from optcopilot.formulate.answers import merge_tables, parse_answer, tidy
from optcopilot.formulate.bank import retrieve
from optcopilot.formulate.chain import run_chain
from optcopilot.formulate.events import FailureKind, Progress, ProgressEvent
from optcopilot.formulate.legacy import run_legacy_chain
from optcopilot.formulate.prompts import (
    FIXED_STAGED_EXAMPLES,
    SURFACES,
    example_messages,
    problem_message,
    staged_messages,
    system_prompt,
)
from optcopilot.formulate.records import Attempt, Chain, Context, Outcome, PrefixVote
from optcopilot.formulate.tables import TableError, load_tables
from optcopilot.formulate.techniques import Techniques
from optcopilot.ir.model import Formulation
from optcopilot.llm.base import LLMBackend, LLMError, LLMTimeout
from optcopilot.solve.tolerance import REL_TOL, same_value

__all__ = ["DEFAULT_SURFACE", "Attempt", "Outcome", "Techniques", "formulate_and_solve", "formulate_only",
           "group_by_objective", "merge_tables", "parse_answer", "tidy", "vote"]

DEFAULT_SURFACE = "dsl"
DEFAULT_MAX_TOKENS = 1536
DSL_MAX_TOKENS = 1024  # legacy one-shot DSL answers run 100-400 tokens; a longer one is almost always a loop
SAMPLE_TEMPERATURE = 0.7
RETRIEVED_EXAMPLES = 2  # per chain; one with `Techniques.single_example`
VOTE_PREFIXES = (3,)  # with K > 3 samples, also record what the first 3 alone would have answered


def _quiet(_event: ProgressEvent) -> None:
    return None


def examples_per_chain(techniques: Techniques) -> int:
    """How many retrieved worked examples one chain is shown."""
    return 1 if techniques.single_example else RETRIEVED_EXAMPLES


def _context(text: str, backend: LLMBackend, tables: dict[str, str | Path] | None, surface: str,
             max_repairs: int, solver: str, time_limit: float, llm_timeout: float, max_tokens: int | None,
             progress: Progress | None, techniques: Techniques, exclude_sources: Collection[str]) -> Context:
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose from {', '.join(SURFACES)}")
    if not text or not text.strip():
        raise ValueError("the problem text is empty")
    data = load_tables(tables)
    if surface == "json" or techniques.legacy:
        techniques = Techniques(legacy=True)
        base = [{"role": "system", "content": system_prompt(surface)}, *example_messages(surface),
                {"role": "user", "content": problem_message(text, data.describe())}]
        examples: list[tuple[str, str]] = []
        ids: list[str] = ["fixed-bakery", "fixed-transport"]
        dropped: dict[str, int] = {}
    else:
        examples, ids, dropped = list(FIXED_STAGED_EXAMPLES), ["fixed-bakery", "fixed-transport"], {}
        if techniques.retrieval:
            found = retrieve(text, examples_per_chain(techniques), exclude_sources=frozenset(exclude_sources))
            if found.examples:
                examples = [(e.text, e.answer) for e in found.examples]
                ids = [e.id for e in found.examples]
            dropped = found.dropped
        base = staged_messages(text, examples, data.describe(), compact=techniques.compact)
    if max_tokens is None:
        max_tokens = DSL_MAX_TOKENS if surface == "dsl" else DEFAULT_MAX_TOKENS
    return Context(backend, text, surface, data, base, max(0, max_repairs), solver, time_limit, llm_timeout,
                   max_tokens, progress or _quiet, techniques, examples, ids, dropped,
                   exclude_sources=frozenset(exclude_sources))


def _context_or_failure(text: str, backend: LLMBackend, kwargs: dict[str, Any]) -> Context | Outcome:
    """The run's context, or a failed Outcome saying why the input cannot be used."""
    try:
        return _context(text, backend, **kwargs)
    except (TableError, ValueError) as exc:
        return _failed([], str(exc), backend, FailureKind.BAD_INPUT)


def formulate_and_solve(text: str, backend: LLMBackend, *, tables: dict[str, str | Path] | None = None,
                        samples: int = 1, max_repairs: int = 2, solver: str = "auto", time_limit: float = 30.0,
                        llm_timeout: float = 300.0, progress: Progress | None = None,
                        surface: str = DEFAULT_SURFACE, max_tokens: int | None = None,
                        techniques: Techniques | None = None, exclude_sources: Collection[str] = (),
                        prefix_votes: bool = False) -> Outcome:
    """Formulate `text` with the LLM, solve, repair on errors; with `samples>1` vote on the objective.

    `exclude_sources`: datasets whose bank entries must not be shown as worked examples (the one evaluated).
    `prefix_votes`: also vote over the first 3 of K > 3 samples (the ablation's K = 3 row; an extra vote only
    evaluations need).
    """
    ctx = _context_or_failure(text, backend, dict(
        tables=tables, surface=surface, max_repairs=max_repairs, solver=solver, time_limit=time_limit,
        llm_timeout=llm_timeout, max_tokens=max_tokens, progress=progress, techniques=techniques or Techniques(),
        exclude_sources=exclude_sources))
    if isinstance(ctx, Outcome):
        return ctx
    chains, fatal = _run_chains(ctx, samples, do_solve=True)
    outcome = _finish(ctx, chains, fatal=fatal)
    if prefix_votes:
        outcome.prefix_votes = _prefix_votes(ctx, chains, samples, fatal)
    return outcome


def formulate_only(text: str, backend: LLMBackend, *, tables: dict[str, str | Path] | None = None,
                   samples: int = 1, max_repairs: int = 2, solver: str = "auto", time_limit: float = 30.0,
                   llm_timeout: float = 300.0, progress: Progress | None = None,
                   surface: str = DEFAULT_SURFACE, max_tokens: int | None = None,
                   techniques: Techniques | None = None, exclude_sources: Collection[str] = ()) -> Outcome:
    """Formulate without solving: the first formulation that parses and instantiates (no voting)."""
    ctx = _context_or_failure(text, backend, dict(
        tables=tables, surface=surface, max_repairs=max_repairs, solver=solver, time_limit=time_limit,
        llm_timeout=llm_timeout, max_tokens=max_tokens, progress=progress, techniques=techniques or Techniques(),
        exclude_sources=exclude_sources))
    if isinstance(ctx, Outcome):
        return ctx
    chains, fatal = _run_chains(ctx, samples, do_solve=False)
    last = chains[-1]
    if fatal is None and last.formulation is not None and last.error is None:
        return _outcome(ctx, chains, last.formulation, None, 1.0)
    return _failed(chains, fatal[1] if fatal else _chain_error(last), ctx.backend,
                   fatal[0] if fatal else (last.error_kind or FailureKind.INVALID_IR), ctx)


ChainRunner = Callable[..., None]


def _run_chains(ctx: Context, samples: int, *, do_solve: bool) -> tuple[list[Chain], tuple[FailureKind, str] | None]:
    """Run up to `samples` chains; the chains and the LLM failure that stopped them, if any.

    Solving: one greedy chain, or `samples` sampled chains (seeds 1..k) to vote over. Formulating only:
    a greedy chain first, sampled ones after it until one gives a formulation that instantiates.
    """
    run: ChainRunner = run_legacy_chain if ctx.techniques.legacy else run_chain
    k = max(1, int(samples))
    chains: list[Chain] = []
    fatal = _sample_chains(ctx, run, k, chains, do_solve=do_solve)
    if fatal is None and do_solve and k == 1 and _in_doubt(chains[0]) and ctx.techniques.second_opinion \
            and not ctx.techniques.legacy:
        _second_opinion(ctx, run, chains)
    return chains, fatal


def _sample_chains(ctx: Context, run: ChainRunner, k: int, chains: list[Chain], *,
                   do_solve: bool) -> tuple[FailureKind, str] | None:
    for i in range(k):
        chain = Chain(sample=i)
        chains.append(chain)
        if do_solve:
            temperature, seed = (0.0, None) if k == 1 else (SAMPLE_TEMPERATURE, i + 1)
            label = f"sample {i + 1}/{k}: " if k > 1 else ""
        else:
            temperature, seed = (0.0, None) if i == 0 else (SAMPLE_TEMPERATURE, i)
            label = ""
        fatal = _run_one(run, ctx, chain, temperature, seed, do_solve=do_solve, label=label)
        if fatal is not None:
            return fatal
        if not do_solve and chain.formulation is not None and chain.error is None:
            break
    return None


def _run_one(run: ChainRunner, ctx: Context, chain: Chain, temperature: float, seed: int | None, *,
             do_solve: bool, label: str) -> tuple[FailureKind, str] | None:
    """Run one chain; the LLM failure that stopped it, if any."""
    start = time.monotonic()
    try:
        run(ctx, chain, temperature, seed, do_solve=do_solve, label=label)
    except LLMTimeout as exc:
        return FailureKind.LLM_TIMEOUT, f"LLM timeout: {exc}"
    except LLMError as exc:
        return FailureKind.LLM_ERROR, f"LLM error: {exc}"
    finally:
        chain.seconds = time.monotonic() - start
    return None


# second opinion -----------------------------------------------------------------------------------------------
def _in_doubt(chain: Chain) -> bool:
    """No answer, or an answer with a telling verifier finding (`checks.TELLING`)."""
    return not chain.answered or chain.doubt > 0


def _second_context(ctx: Context) -> Context | None:
    """The same run with the next worked examples of the bank (those after the ones already shown)."""
    if not ctx.techniques.retrieval:
        return None
    wanted = len(ctx.example_ids) + examples_per_chain(ctx.techniques)
    found = retrieve(ctx.text, wanted, exclude_sources=ctx.exclude_sources)
    fresh = [e for e in found.examples if e.id not in ctx.example_ids]
    if not fresh:
        return None
    examples = [(e.text, e.answer) for e in fresh]
    base = staged_messages(ctx.text, examples, ctx.data.describe(), compact=ctx.techniques.compact)
    return replace(ctx, base=base, examples=examples,
                   example_ids=[e.id for e in fresh])


def _second_opinion(ctx: Context, run: ChainRunner, chains: list[Chain]) -> None:
    """One more greedy chain from other worked examples. Its LLM failure (a timeout) is not the run's: the
    first chain's answer or failure stands."""
    second = _second_context(ctx)
    if second is None:
        return
    ctx.example_ids.extend(second.example_ids)  # the record lists every worked example shown
    chain = Chain(sample=1, second_opinion=True)
    chains.append(chain)
    failure = _run_one(run, second, chain, 0.0, None, do_solve=True, label="second opinion: ")
    chain.interrupted = failure[1] if failure else None


# voting and the outcome ---------------------------------------------------------------------------------------
def group_by_objective(values: list[float], rel_tol: float = REL_TOL) -> list[list[int]]:
    """Indices grouped by objective value (relative tolerance, absolute near zero), in first-seen order."""
    groups: list[list[int]] = []
    reps: list[float] = []
    for i, v in enumerate(values):
        for g, rep in enumerate(reps):
            if same_value(v, rep, rel_tol):
                groups[g].append(i)
                break
        else:
            groups.append([i])
            reps.append(v)
    return groups


def _equivalence_groups(formulations: list[Formulation]) -> list[list[int]] | None:
    """Groups of formulations the equivalence checker proves equivalent (None if it cannot decide)."""
    try:
        groups = cluster_by_equivalence(formulations, time_limit=10.0)
        out = [[int(i) for i in g] for g in groups]
        return out if sorted(i for g in out for i in g) == list(range(len(formulations))) else None
    except Exception:  # an optional refinement must never break the answer
        return None


def vote(chains: list[Chain]) -> tuple[Chain | None, float | None]:
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


def _all_attempts(chains: list[Chain]) -> list[Attempt]:
    return [a for c in chains for a in c.attempts]


def _llm_stats(chains: list[Chain], backend: LLMBackend) -> dict[str, Any]:
    attempts = _all_attempts(chains)
    return {"backend": getattr(backend, "name", "?"), "model": getattr(backend, "model", "?"),
            "prompt_tokens": sum(a.prompt_tokens for a in attempts),
            "completion_tokens": sum(a.completion_tokens for a in attempts),
            "seconds": round(sum(a.seconds for a in attempts), 3), "calls": sum(a.calls for a in attempts),
            "cached_calls": sum(a.calls for a in attempts if a.cached),
            "answers": len(attempts)}


def _chain_error(chain: Chain) -> str:
    n = len(chain.attempts)
    if chain.result is not None and not chain.answered:
        return f"no optimal solution: the model is {chain.result.status.value} after {n} attempt(s)"
    last = (chain.error or "unknown problem").splitlines()[0][:200]
    if chain.error_kind == FailureKind.REJECTED:
        return f"no answer could be trusted after {n} attempt(s): {last}"
    return f"the LLM did not produce a valid model after {n} attempt(s): {last}"


def _chain_failure(chain: Chain) -> FailureKind:
    if chain.result is not None and not chain.answered:
        status = chain.result.status.value
        if status == "infeasible":
            return FailureKind.INFEASIBLE
        if "unbounded" in status:
            return FailureKind.UNBOUNDED
        return FailureKind.NO_SOLUTION if status.startswith("time_limit") else FailureKind.SOLVER_ERROR
    return chain.error_kind or FailureKind.INVALID_IR


def _outcome(ctx: Context, chains: list[Chain], formulation: Formulation | None, result: Any,
             confidence: float | None, error: str | None = None, kind: FailureKind | None = None) -> Outcome:
    return Outcome(formulation, result, _all_attempts(chains), confidence, _llm_stats(chains, ctx.backend), error,
                   kind, list(ctx.example_ids), dict(ctx.dropped_examples))


def _failed(chains: list[Chain], error: str, backend: LLMBackend, kind: FailureKind,
            ctx: Context | None = None, reported: Chain | None = None) -> Outcome:
    """A failed outcome with the formulation of the reported chain (else the last chain that has one)."""
    last = reported if reported is not None and reported.formulation is not None else next(
        (c for c in reversed(chains) if c.formulation is not None), None)
    formulation = last.formulation if last else None
    result = last.result if last else None
    if ctx is not None:
        return _outcome(ctx, chains, formulation, result, None, error, kind)
    return Outcome(formulation, result, _all_attempts(chains), None, _llm_stats(chains, backend), error, kind)


def _pick(chains: list[Chain]) -> tuple[Chain | None, float | None]:
    """A second opinion is taken when it has fewer telling findings (ties: the first); samples vote."""
    if not (len(chains) == 2 and chains[1].second_opinion):
        return vote(chains)
    answered = [c for c in chains if c.answered]
    if not answered:
        return None, None
    chosen = min(answered, key=lambda c: c.doubt)
    agree = [c for c in answered if same_value(float(c.result.objective), float(chosen.result.objective))]  # type: ignore[union-attr,arg-type]
    return chosen, len(agree) / len(answered)


def _prefix_votes(ctx: Context, chains: list[Chain], samples: int,
                  fatal: tuple[FailureKind, str] | None) -> dict[int, PrefixVote]:
    """For K sampled chains, what each smaller vote in `VOTE_PREFIXES` answers: `_finish` of its first m
    chains (with the run's LLM failure when it stopped the m-th chain, as a K = m run would have stopped)."""
    if samples <= 1 or any(c.second_opinion for c in chains):
        return {}
    out: dict[int, PrefixVote] = {}
    for m in VOTE_PREFIXES:
        if m < samples and m <= len(chains):
            sub = _finish(ctx, chains[:m], fatal=fatal if len(chains) == m else None)
            out[m] = PrefixVote(m, sub.formulation, sub.result, sub.confidence, sub.error_kind,
                                sum(c.seconds for c in chains[:m]))
    return out


def _finish(ctx: Context, chains: list[Chain], fatal: tuple[FailureKind, str] | None = None) -> Outcome:
    chosen, share = _pick(chains)
    if chosen is not None:  # even when a later sample failed hard, keep what the earlier ones found
        return _outcome(ctx, chains, chosen.formulation, chosen.result, share)
    if fatal is not None:
        return _failed(chains, fatal[1], ctx.backend, fatal[0], ctx)
    told = [c for c in chains if c.interrupted is None] or chains  # an interrupted second opinion says nothing
    report = ([c for c in told if c.result is not None] or told)[-1]  # one that reached the solver says most
    return _failed(chains, _chain_error(report), ctx.backend, _chain_failure(report), ctx, report)
