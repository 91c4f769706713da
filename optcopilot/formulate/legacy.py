"""The earlier one-shot chain, kept as the ablation's baseline (`Techniques(legacy=True)`) and for the JSON surface.

One unconstrained call writes the whole model after two fixed worked examples; a repair resends the
conversation with the rejected answer and the error, at temperature 0.3.
"""

from __future__ import annotations

import time

from optcopilot.formulate.assess import assess
from optcopilot.formulate.chain import failure_of
from optcopilot.formulate.events import Stage
from optcopilot.formulate.prompts import LLM_SCHEMA, repair_message
from optcopilot.formulate.records import Attempt, Chain, Context
from optcopilot.llm.base import LLMError

REPAIR_TEMPERATURE = 0.3
SHOWN_ANSWER_CHARS = 4000


def run_legacy_chain(ctx: Context, chain: Chain, temperature: float, seed: int | None, *, do_solve: bool,
                     label: str) -> None:
    messages = list(ctx.base)
    for round_no in range(ctx.max_repairs + 1):
        stage = "generate" if round_no == 0 else "repair"
        if round_no == 0 and seed is not None:
            stage = "sample"
        ctx.say(Stage.REPAIRING if round_no else Stage.WRITING,
                f"{label}{'writing the model' if round_no == 0 else f'repairing the model ({round_no})'}…",
                chain.sample)
        start = time.perf_counter()
        temp, call_seed = temperature, seed
        if round_no > 0:
            temp = max(temperature, REPAIR_TEMPERATURE)
            call_seed = (seed or 0) * 100 + round_no
        try:
            response = ctx.backend.chat(messages, json_schema=LLM_SCHEMA if ctx.surface == "json" else None,
                                        temperature=temp, max_tokens=ctx.max_tokens, seed=call_seed,
                                        timeout=ctx.llm_timeout)
        except LLMError as exc:  # keep a record of the failed call, then stop
            chain.attempts.append(Attempt(index=ctx.next_index(), stage=stage, response="", formulation_json=None,
                                          error=f"{type(exc).__name__}: {exc}", status=None, objective=None,
                                          seconds=time.perf_counter() - start, prompt_tokens=0,
                                          completion_tokens=0, sample=chain.sample))
            raise
        attempt = Attempt(index=ctx.next_index(), stage=stage, response=response.text, formulation_json=None,
                          error=None, status=None, objective=None, seconds=response.seconds,
                          prompt_tokens=response.prompt_tokens, completion_tokens=response.completion_tokens,
                          sample=chain.sample, cached=response.cached,
                          reused_prompt_tokens=response.reused_prompt_tokens)
        if round_no > 0 and chain.attempts:
            attempt.repairs = chain.attempts[-1].error_kind
            attempt.repeated = any(a.response.strip() == response.text.strip() for a in chain.attempts)
        chain.attempts.append(attempt)
        judged = assess(ctx, response.text, do_solve=do_solve, cut=response.completion_tokens >= ctx.max_tokens,
                        sample=chain.sample)
        if judged.formulation is not None:
            attempt.formulation_json = judged.formulation.to_json(indent=None)
            chain.formulation = judged.formulation
        if judged.result is not None:
            chain.result = judged.result
            attempt.status = judged.result.status.value
            objective = judged.result.objective
            attempt.objective = objective if objective is not None and abs(objective) != float("inf") else None
        if judged.feedback is None:
            chain.error, chain.error_kind = None, None
            return
        attempt.error = chain.error = judged.feedback.message
        attempt.error_kind = judged.feedback.kind
        chain.error_kind = failure_of(judged.feedback.kind)
        if round_no < ctx.max_repairs:
            ctx.say(Stage.PROBLEM, f"{label}problem found: {judged.feedback.message.splitlines()[0][:100]}",
                    chain.sample)
            messages = [*ctx.base, {"role": "assistant", "content": response.text[:SHOWN_ANSWER_CHARS]},
                        {"role": "user", "content": repair_message(judged.feedback.message, ctx.surface)}]
