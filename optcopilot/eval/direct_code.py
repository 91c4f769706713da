"""The peer-style "direct code" baseline: the model writes a solver script, the sandbox runs it.

This mirrors the baselines of OptiBench/ReSocratic and ORLM: one prompt asking for a complete Python
program that models the problem, solves it and prints the answers. PuLP/Gurobi are not available,
so the prompt asks for Pyomo with HiGHS (``appsi_highs``) or PySCIPOpt. For comparison only: the
generated text is executed nowhere but inside :func:`optcopilot.eval.sandbox.run_python`.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from optcopilot.eval.sandbox import SandboxResult, run_python
from optcopilot.llm.base import LLMBackend, LLMError, LLMTimeout, Message
from optcopilot.solve.result import Termination

SYSTEM_PROMPT = (
    "You are an operations research expert. You write complete, runnable Python programs that model an "
    "optimization problem and solve it with a mathematical programming solver."
)

USER_TEMPLATE = """Write a complete Python program that solves the following optimization problem.

Requirements:
- Use Pyomo with the HiGHS solver (`pyo.SolverFactory("appsi_highs")`) for linear and mixed-integer models,
  or PySCIPOpt (`from pyscipopt import Model`) for nonlinear models. PuLP and Gurobi are NOT installed.
- Do not read or write files and do not use the network. Data goes directly into the code.
- After solving, print every decision variable on its own line as `name = value`,
  then print the optimal objective value on the last line as `objective = value`.
- If the problem is infeasible, print `infeasible`; if it is unbounded, print `unbounded`.
- Answer with the program only, in one ```python code block.

Problem:
{problem}
"""

_FENCE = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)```", re.DOTALL)
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w.])")
_ASSIGN = re.compile(rf"^\s*([^=:\n]*?[A-Za-z_][^=:\n]*?)\s*[=:]\s*({_NUMBER})\s*$")
_OBJECTIVE_NAME = re.compile(r"objective|optimal\s*value|obj\b|total", re.IGNORECASE)


@dataclass
class ParsedOutput:
    """Numbers read back from a script's stdout (the script's words converted to a `Termination`)."""

    objective: float | None
    values: dict[str, float] = field(default_factory=dict)
    status: Termination | None = None  # None: the script printed no answer


@dataclass
class DirectResult:
    """One direct-code attempt: the code, the sandbox run and the parsed answer."""

    code: str = ""
    response: str = ""
    run: SandboxResult | None = None
    parsed: ParsedOutput = field(default_factory=lambda: ParsedOutput(None))
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    cached: bool = False  # the reply came from the response cache
    error: str | None = None
    error_kind: str = ""  # "", "llm_error", "timeout", "no_code", "script_error"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record of the attempt (output truncated)."""
        run = self.run
        return {
            "code": self.code,
            "stdout": run.stdout[-4000:] if run else "",
            "stderr": run.stderr[-2000:] if run else "",
            "returncode": run.returncode if run else None,
            "timed_out": run.timed_out if run else False,
            "killed_by": run.killed_by if run else "",
            "network_isolated": run.network_isolated if run else None,
            "run_seconds": run.seconds if run else 0.0,
            "llm_seconds": self.llm_seconds,
            "error": self.error,
            "error_kind": self.error_kind,
        }


def build_messages(problem_text: str, tables: dict[str, str] | None = None) -> list[Message]:
    """The baseline prompt; table files (name -> path) are inlined as CSV text."""
    text = problem_text
    for name, path in (tables or {}).items():
        try:
            with open(path, encoding="utf-8") as fh:
                content = fh.read(20_000)
        except OSError:
            continue
        text += f"\n\nTable {name} (CSV):\n{content}"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": USER_TEMPLATE.format(problem=text)},
    ]


def extract_code(response: str) -> str:
    """The longest fenced code block, or the whole response when it has no fence."""
    blocks: list[str] = _FENCE.findall(response)
    if blocks:
        return max(blocks, key=len).strip() + "\n"
    open_fence = re.search(r"```(?:python|py)?[ \t]*\n(.*)", response, re.DOTALL)
    if open_fence:  # truncated answer: unterminated fence
        return open_fence.group(1).strip() + "\n"
    return response.strip() + "\n" if response.strip() else ""


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_output(stdout: str) -> ParsedOutput:
    """Objective = the last number printed; variables = ``name = value`` lines (objective lines excluded)."""
    numbers = [v for v in (_finite(m) for m in _NUMBER_RE.findall(stdout)) if v is not None]
    values: dict[str, float] = {}
    for line in stdout.splitlines():
        match = _ASSIGN.match(line)
        if not match:
            continue
        name, value = match.group(1).strip(), _finite(match.group(2))
        if value is None or _OBJECTIVE_NAME.search(name):
            continue
        values[name] = value
    low = stdout.lower()
    if numbers:
        return ParsedOutput(numbers[-1], values, Termination.OPTIMAL)
    if "unbounded" in low:
        return ParsedOutput(None, values, Termination.UNBOUNDED)
    if "infeasible" in low or "no feasible" in low:
        return ParsedOutput(None, values, Termination.INFEASIBLE)
    return ParsedOutput(None, values, None)


def solve_with_code(
    problem_text: str,
    backend: LLMBackend,
    *,
    tables: dict[str, str] | None = None,
    time_limit: float = 60.0,
    llm_timeout: float = 300.0,
    max_tokens: int = 4096,
) -> DirectResult:
    """Ask ``backend`` for a solver script and run it in the sandbox with ``time_limit`` seconds."""
    out = DirectResult()
    start = time.perf_counter()
    try:
        reply = backend.chat(build_messages(problem_text, tables), temperature=0.0, max_tokens=max_tokens,
                             timeout=llm_timeout)
    except LLMTimeout as exc:
        out.error, out.error_kind, out.llm_seconds = str(exc), "timeout", time.perf_counter() - start
        return out
    except LLMError as exc:
        out.error, out.error_kind, out.llm_seconds = str(exc), "llm_error", time.perf_counter() - start
        return out
    out.llm_seconds = time.perf_counter() - start
    out.response = reply.text
    out.cached = reply.cached
    out.prompt_tokens, out.completion_tokens = reply.prompt_tokens, reply.completion_tokens
    out.code = extract_code(reply.text)
    if not out.code.strip():
        out.error, out.error_kind = "the model returned no code", "no_code"
        return out
    # wall clock: solver time plus interpreter/library start-up
    out.run = run_python(out.code, timeout=time_limit + 20.0, cpu_seconds=int(time_limit) + 20)
    out.parsed = parse_output(out.run.stdout)
    if out.run.timed_out:
        out.error, out.error_kind = f"the script ran out of time ({time_limit + 20:.0f}s)", "timeout"
    elif out.run.returncode != 0:
        last = (out.run.stderr.strip().splitlines() or [out.run.killed_by or "failed"])[-1]
        out.error, out.error_kind = f"the script failed: {last[:300]}", "script_error"
    return out
