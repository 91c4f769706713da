"""One chain (sample) of the pipeline: write an answer, judge it, repair it, keep the best accepted one.

- The answer is written in five grammar-constrained sections (`staged.py`) when the backend can continue an
  assistant message, else in one call (under the whole-answer grammar when `grammar` is on).
- A repair sees the rejected answer and what is wrong with it, keeps the sections before the faulty one and
  writes the rest again (`repairs`); an answer identical to an earlier one is a draft, not an answer: it is
  resampled once at a higher temperature with repeats of the context penalized (the backend's DRY sampler,
  where it has one) and, if it still repeats, ends the chain instead of wasting another call.
- Verifier findings (`checks.py`): hard ones reject the answer. Soft ones are recorded (and rank the samples
  of a vote). An urgent one (a percentage used as a plain number, an all-zero optimum, copied data) asks for
  one repair; with `soft_repairs` on, any soft finding does. The earlier answer stands unless the repair is
  accepted with fewer (urgent) findings.
  `soft_repairs` is off by default: on the first 62 problems of the OptiBench 150 sample, 9 soft repairs took
  12 % of the model time and turned no answer right.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from optcopilot.formulate.assess import Assessment, assess
from optcopilot.formulate.checks import telling
from optcopilot.formulate.events import FailureKind, Stage
from optcopilot.formulate.grammar import whole_answer_grammar
from optcopilot.formulate.prompts import staged_repair_messages
from optcopilot.formulate.records import Attempt, Chain, Context, Feedback
from optcopilot.formulate.staged import kept_prefix, write_staged
from optcopilot.llm.base import LLMError, LLMResponse

REPAIR_TEMPERATURE = 0.3
RESAMPLE_TEMPERATURE = 0.8
ONE_SHOT_MAX_TOKENS = 1536

_KIND_TO_FAILURE = {"infeasible": FailureKind.INFEASIBLE, "unbounded": FailureKind.UNBOUNDED,
                    "solver": FailureKind.SOLVER_ERROR, "copied-example": FailureKind.REJECTED,
                    "alien-numbers": FailureKind.REJECTED}


def failure_of(kind: str | None) -> FailureKind:
    return _KIND_TO_FAILURE.get(kind or "", FailureKind.INVALID_IR)


@dataclass
class _Written:
    text: str
    responses: list[LLMResponse]
    cut: bool


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _write(ctx: Context, messages: list[dict[str, str]], prefix: str | None, temperature: float,
           seed: int | None, avoid_repeats: bool = False) -> _Written:
    if _staged(ctx):
        staged = write_staged(ctx.backend, messages, temperature=temperature, seed=seed, timeout=ctx.llm_timeout,
                              prefix=prefix, avoid_repeats=avoid_repeats, compact=ctx.techniques.compact)
        cut = not staged.complete and bool(staged.responses)
        return _Written(staged.text, staged.responses, cut)
    grammar = whole_answer_grammar() if ctx.techniques.grammar else None
    response = ctx.backend.chat(messages, grammar=grammar, temperature=temperature, max_tokens=ONE_SHOT_MAX_TOKENS,
                                seed=seed, timeout=ctx.llm_timeout)
    return _Written(response.text, [response], response.completion_tokens >= ONE_SHOT_MAX_TOKENS)


def _staged(ctx: Context) -> bool:
    return ctx.techniques.staged and bool(getattr(ctx.backend, "continues_assistant", False))


def _doubt(judged: Assessment) -> tuple[int, int]:
    """How doubtful an accepted answer is: urgent findings first, then all soft findings (lower is better)."""
    return sum(f.urgent for f in judged.soft), len(judged.soft)


def _attempt(ctx: Context, chain: Chain, stage: str, written: list[_Written], seconds: float) -> Attempt:
    responses = [r for w in written for r in w.responses]
    return Attempt(index=ctx.next_index(), stage=stage, response=written[-1].text, formulation_json=None,
                   error=None, status=None, objective=None, seconds=seconds,
                   prompt_tokens=sum(r.prompt_tokens for r in responses),
                   completion_tokens=sum(r.completion_tokens for r in responses), sample=chain.sample,
                   reused_prompt_tokens=sum(r.reused_prompt_tokens for r in responses),
                   cached=bool(responses) and all(r.cached for r in responses), calls=len(responses))


def run_chain(ctx: Context, chain: Chain, temperature: float, seed: int | None, *, do_solve: bool,
              label: str) -> None:
    """Write, judge and repair until an answer is accepted or the repairs are spent (LLMError propagates)."""
    seen: set[str] = set()
    best: tuple[Assessment, Attempt] | None = None
    messages, prefix = ctx.base, None
    given: Feedback | None = None
    soft_repaired = False
    last: Feedback | None = None
    for round_no in range(ctx.max_repairs + 1):
        stage = "repair" if round_no else ("second-opinion" if chain.second_opinion else
                                           "sample" if seed is not None else "generate")
        ctx.say(Stage.REPAIRING if round_no else Stage.WRITING,
                f"{label}{f'repairing the model ({round_no})' if round_no else 'writing the model'}…", chain.sample)
        temp = temperature if round_no == 0 else max(temperature, REPAIR_TEMPERATURE)
        call_seed = seed if round_no == 0 else (seed or 0) * 100 + round_no
        start = time.monotonic()
        try:
            written = [_write(ctx, messages, prefix, temp, call_seed)]
            repeated = _normalized(written[0].text) in seen
            if repeated and ctx.techniques.repairs:  # never take the same answer twice: resample once
                written.append(_write(ctx, messages, prefix, RESAMPLE_TEMPERATURE, (call_seed or 0) + 7919,
                                      avoid_repeats=True))
                repeated = _normalized(written[-1].text) in seen
        except LLMError as exc:
            failed = Attempt(index=ctx.next_index(), stage=stage, response="", formulation_json=None,
                             error=f"{type(exc).__name__}: {exc}", status=None, objective=None,
                             seconds=time.monotonic() - start, prompt_tokens=0, completion_tokens=0,
                             sample=chain.sample, repairs=given.kind if given else None)
            chain.attempts.append(failed)
            raise
        attempt = _attempt(ctx, chain, stage, written, time.monotonic() - start)
        attempt.repairs = given.kind if given else None
        attempt.repeated = repeated
        attempt.resampled = len(written) > 1
        chain.attempts.append(attempt)
        text = written[-1].text
        if repeated and ctx.techniques.repairs:
            attempt.error, attempt.error_kind = "the repair repeated an earlier answer", "repeated"
            break
        seen.add(_normalized(text))
        judged = assess(ctx, text, do_solve=do_solve, cut=written[-1].cut, sample=chain.sample)
        if judged.formulation is not None:
            attempt.formulation_json = judged.formulation.to_json(indent=None)
            if chain.formulation is None or best is None:
                chain.formulation = judged.formulation
        if judged.result is not None:
            attempt.status = judged.result.status.value
            objective = judged.result.objective
            attempt.objective = objective if objective is not None and abs(objective) != float("inf") else None
            if best is None:
                chain.result = judged.result
        if judged.feedback is None:
            attempt.findings = [f.code for f in judged.soft]
            if best is None or _doubt(judged) < _doubt(best[0]):
                best = (judged, attempt)
            asks = [f for f in judged.soft if f.urgent] or (judged.soft if ctx.techniques.soft_repairs else [])
            if not asks or soft_repaired or round_no == ctx.max_repairs:
                break
            soft_repaired = True
            feedback = Feedback(asks[0].code, "\n".join(f.message for f in asks), asks[0].section, hard=False)
        else:
            feedback = last = judged.feedback
            attempt.error, attempt.error_kind = feedback.message, feedback.kind
        if round_no < ctx.max_repairs:
            ctx.say(Stage.PROBLEM, f"{label}problem found: {feedback.message.splitlines()[0][:100]}", chain.sample)
            messages = staged_repair_messages(ctx.base, text, feedback.message)
            prefix = kept_prefix(text, feedback.section) if _staged(ctx) and ctx.techniques.repairs else None
            given = feedback
    if best is not None:
        chain.formulation, chain.result = best[0].formulation, best[0].result
        chain.error, chain.error_kind = None, None
        chain.doubt = telling(best[0].soft)
        return
    chain.error = last.message if last else (chain.attempts[-1].error if chain.attempts else "no answer")
    chain.error_kind = failure_of(last.kind if last else None)
