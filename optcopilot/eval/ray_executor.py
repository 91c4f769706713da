"""Evaluate problems on Ray actors (`optcopilot eval --executor ray`): the same records, resume and report.

- Each actor (`ProblemWorker`) holds one LLM backend for its lifetime (the embedded model loaded once per
  actor with ``threads_per_actor`` llama.cpp threads, or a client of an HTTP endpoint) and runs exactly the
  local runner's code path for one problem (`evaluate_problem`: formulate, solve, grade).
- The driver (`ray_records`) keeps one problem in flight per actor and yields records as they finish; the
  runner is the only writer of ``results.jsonl``. Records say which node, host and actor produced them.
- A crash of an actor (killed, out of memory, a segfault in native code) loses no problem: the actor is
  restarted by Ray and the problem is sent again; a problem that crashes its actor `MAX_CRASHES` times is
  recorded as an error with the reason. A problem is yielded exactly once.
- Ctrl-C or any driver error kills the actors (and stops the local Ray the run started); records already
  yielded are whole, so a later run resumes where this one stopped.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from optcopilot.eval.config import EvalConfig
from optcopilot.eval.modes.base import EvalMode
from optcopilot.eval.problems import Problem
from optcopilot.eval.records import Category, EvalRecord
from optcopilot.solve.result import Termination

MAX_CRASHES = 2
"""Times one problem may take its actor down before it is recorded as an error instead of sent again."""

INSTALL_HINT = 'Ray is not installed; install the extra with: pip install -e ".[ray]"'


class RayUnavailableError(RuntimeError):
    """``--executor ray`` without the ``ray`` package."""


def ray_available() -> bool:
    """True when ``import ray`` would work (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailableError(INSTALL_HINT) from exc
    return ray


@dataclass(frozen=True)
class RaySettings:
    """How to run on Ray: ``address`` of an existing cluster (None: start a local one for this run)."""

    address: str | None = None
    actors: int = 2
    threads_per_actor: int = 1
    cache: bool = True  # the LLM response cache inside each actor (as `optcopilot eval --cache`)

    def __post_init__(self) -> None:
        if self.actors < 1 or self.threads_per_actor < 1:
            raise ValueError("--actors and --threads-per-actor must be at least 1")


class ProblemWorker:
    """One actor: a backend built once, then `evaluate` per problem (wrapped by ``ray.remote`` at run time)."""

    def __init__(self, cfg: EvalConfig, threads: int, cache: bool) -> None:
        os.environ["OPTCOPILOT_LLM_THREADS"] = str(threads)  # read when the embedded model is loaded
        self.cfg, self.cache = cfg, cache
        self.backend: Any = None
        context = _ray().get_runtime_context()
        self.where = {"executor": "ray", "node": context.get_node_id(), "host": socket.gethostname(),
                      "actor": context.get_actor_id(), "pid": os.getpid()}

    def evaluate(self, problem: Problem) -> dict[str, Any]:
        from optcopilot.eval.evaluate import evaluate_problem
        from optcopilot.eval.modes import mode_for
        from optcopilot.llm.factory import make_backend

        if self.backend is None and mode_for(self.cfg.dataset, self.cfg.mode).uses_llm:
            self.backend = make_backend(self.cfg.llm_spec, cache=self.cache)
        record = evaluate_problem(problem, self.cfg, self.backend)
        record.worker = dict(self.where)
        return record.to_json()


FORWARDED_PREFIXES = ("OPTCOPILOT_", "OPENAI_", "HF_")
"""Environment variables the actors get from the driver (model paths, endpoints, keys), on every node."""


def forwarded_environment() -> dict[str, str]:
    """The driver's settings that actors need, wherever they run (``OPTCOPILOT_LLM_THREADS`` is per actor)."""
    return {k: v for k, v in os.environ.items()
            if k.startswith(FORWARDED_PREFIXES) and k != "OPTCOPILOT_LLM_THREADS"}


def _crashed_record(problem: Problem, cfg: EvalConfig, mode: EvalMode, reason: str) -> EvalRecord:
    record = mode.new_record(problem, cfg)
    record.status, record.category = Termination.ERROR, Category.ERROR
    record.error = f"the problem crashed its Ray actor {MAX_CRASHES} times; last: {reason}"[:500]
    record.worker = {"executor": "ray"}
    return record


def _start(ray: Any, settings: RaySettings) -> bool:
    """Connect to ``settings.address`` or start a local Ray; True when this run started it (and stops it)."""
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if settings.address:
        ray.init(address=settings.address, **quiet)
    else:
        wanted = settings.actors * settings.threads_per_actor
        cpus = os.cpu_count() or 1
        if wanted > cpus:
            print(f"note: {settings.actors} actors x {settings.threads_per_actor} threads oversubscribe "
                  f"{cpus} cores", file=sys.stderr)
        ray.init(num_cpus=max(cpus, wanted), **quiet)
    available = float(ray.cluster_resources().get("CPU", 0))
    if available < settings.threads_per_actor:
        raise RuntimeError(f"the Ray cluster has {available:g} CPUs, fewer than --threads-per-actor "
                           f"{settings.threads_per_actor}")
    return True


def ray_records(todo: list[Problem], cfg: EvalConfig, mode: EvalMode, settings: RaySettings, *,
                worker_class: type[ProblemWorker] = ProblemWorker) -> Iterator[EvalRecord]:
    """Evaluate ``todo`` on Ray actors; yield one record per problem, in completion order.

    ``worker_class``: the actor class (tests pass a subclass that sleeps or crashes).
    """
    if not todo:
        return
    ray = _ray()
    started = _start(ray, settings)
    remote_class: Any = ray.remote(num_cpus=settings.threads_per_actor, max_restarts=-1, max_task_retries=0)(
        worker_class).options(runtime_env={"env_vars": forwarded_environment()})
    actors = [remote_class.remote(cfg, settings.threads_per_actor, settings.cache)
              for _ in range(min(settings.actors, len(todo)))]
    queue: deque[Problem] = deque(todo)
    crashes: dict[str, int] = {}
    in_flight: dict[Any, tuple[int, Problem]] = {}

    def send(slot: int) -> None:
        problem = queue.popleft()
        in_flight[actors[slot].evaluate.remote(problem)] = (slot, problem)

    try:
        for slot in range(len(actors)):
            send(slot)
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            slot, problem = in_flight.pop(ready[0])
            try:
                yield EvalRecord.from_json(ray.get(ready[0]))
            except ray.exceptions.RayActorError as exc:  # the actor died; Ray restarts it
                crashes[problem.id] = crashes.get(problem.id, 0) + 1
                if crashes[problem.id] >= MAX_CRASHES:
                    yield _crashed_record(problem, cfg, mode, str(exc).splitlines()[0] if str(exc) else
                                          type(exc).__name__)
                else:
                    queue.appendleft(problem)
            except ray.exceptions.RayTaskError as exc:  # evaluate_problem records its own errors; not expected
                record = mode.new_record(problem, cfg)
                record.status, record.category = Termination.ERROR, Category.ERROR
                record.error = f"Ray task failed: {exc}".splitlines()[0][:500]
                yield record
            if queue:
                send(slot)
    finally:
        for actor in actors:
            with contextlib.suppress(Exception):  # already gone
                ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()
