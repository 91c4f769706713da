"""Benchmark runner: one JSONL record per problem, crash-safe appends, resumable runs.

``run_eval`` loads a dataset, picks problems (stratified or first N), evaluates each one in a mode

* ``pipeline``     - our formulate → validate → solve pipeline (``formulate_and_solve``);
* ``direct-code``  - the peer baseline: the model writes a solver script, run in the sandbox;
* ``miplib-mps`` datasets always run without an LLM: read MPS → HiGHS (mip_rel_gap=0) → compare;

and appends one record per problem to ``out_dir/results.jsonl``. Each record is written with a single
``write`` of one line, flushed and fsynced under an exclusive file lock, so a ``kill -9`` leaves only whole
lines plus at most one trailing partial line. On resume the partial tail is cut off and problems whose
ids already have a record are skipped: nothing is lost or counted twice.

Concurrency: ``workers > 1`` uses a thread pool for LLM modes (meant for HTTP backends such as
``openai:...``; the embedded ``local`` model lives in-process and serves one request at a time, so it
is run with one worker) and a process pool for ``miplib-mps`` (CPU-bound solves).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optcopilot.eval.datasets import Problem, load_dataset
from optcopilot.eval.keymap import Prediction, map_keys
from optcopilot.eval.scoring import (
    INFEASIBLE_STATUSES,
    RULES,
    ObjectiveRule,
    Verdict,
    default_rule,
    finite_number,
    score,
)
from optcopilot.llm.base import LLMBackend, LLMError, LLMTimeout

RESULTS_FILE = "results.jsonl"
CONFIG_FILE = "config.json"
MODES = ("pipeline", "direct-code")
SAMPLERS = ("stratified", "first")
MPS_DATASETS = frozenset({"miplib-mps"})
CATEGORIES = ("ok", "wrong_value", "invalid_ir", "infeasible", "unbounded", "timeout", "llm_error", "no_answer",
              "error")
"""Failure categories; ``error`` is an unexpected exception inside the evaluation of one problem."""
MIPLIB_RULE = ObjectiveRule(name="miplib-rel1e-6", abs_tol=1e-6, rel_tol=1e-6)

PipelineFn = Callable[..., Any]


@dataclass(frozen=True)
class EvalConfig:
    """Settings shared by every problem of one run (stored in ``config.json``)."""

    dataset: str
    mode: str = "pipeline"
    llm_spec: str = "local"
    samples: int = 1
    time_limit: float = 60.0
    llm_timeout: float = 300.0
    rule: str = ""

    @property
    def uses_llm(self) -> bool:
        """False for datasets solved straight from model files (MIPLIB MPS)."""
        return self.dataset not in MPS_DATASETS


# --------------------------------------------------------------------------- JSONL store


def _json_safe(obj: Any) -> Any:
    """NaN → None, ±inf → "inf"/"-inf", tuples → lists, unknown objects → str."""
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "value") and isinstance(getattr(obj, "value", None), str):  # enums
        return obj.value
    if hasattr(obj, "to_dict"):
        return _json_safe(obj.to_dict())
    return str(obj)


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_record(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line: one ``write`` + fsync under an exclusive ``flock``."""
    line = (json.dumps(_json_safe(record), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _locked(fd):
            written = os.write(fd, line)
            while written < len(line):  # regular files write fully; be safe anyway
                written += os.write(fd, line[written:])
            os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path: str | Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """Read whole JSON lines; a trailing partial line is ignored (and cut off when ``repair``)."""
    p = Path(path)
    if not p.exists():
        return []
    fd = os.open(p, os.O_RDWR if repair else os.O_RDONLY)
    try:
        with _locked(fd) if repair else contextlib.nullcontext():
            with os.fdopen(os.dup(fd), "rb") as fh:
                data = fh.read()
            end = data.rfind(b"\n") + 1
            if repair and end < len(data):
                os.ftruncate(fd, end)
                os.fsync(fd)
    finally:
        os.close(fd)
    records = []
    for raw in data[:end].splitlines():
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError:
            continue  # a corrupt line in the middle: not counted, the problem is re-run
        if isinstance(rec, dict) and "id" in rec:
            records.append(rec)
    return records


def unique_records(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """First record per id, in file order."""
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        out.setdefault(str(rec["id"]), dict(rec))
    return out


# --------------------------------------------------------------------------- categories


def categorize(*, correct: bool, status: str, error_kind: str = "", has_value: bool = False) -> str:
    """The failure category of one record (``ok`` when correct)."""
    if correct:
        return "ok"
    if error_kind in ("timeout", "llm_error", "invalid_ir", "error"):
        return error_kind
    if status in INFEASIBLE_STATUSES:
        return "infeasible"
    if status == "unbounded":
        return "unbounded"
    if status.startswith("time_limit"):
        return "timeout"
    if has_value:
        return "wrong_value"
    return "no_answer"


def _verdict_dict(verdict: Verdict) -> dict[str, Any]:
    return {
        "rule": verdict.rule,
        "correct": verdict.correct,
        "reason": verdict.reason,
        "details": {k: asdict(v) for k, v in verdict.details.items()},
        "unmapped_keys": list(verdict.unmapped_keys),
    }


def _base_record(problem: Problem, cfg: EvalConfig) -> dict[str, Any]:
    return {
        "id": problem.id,
        "dataset": cfg.dataset,
        "ptype": problem.ptype,
        "mode": "mps" if not cfg.uses_llm else cfg.mode,
        "llm": cfg.llm_spec if cfg.uses_llm else None,
        "formulation": None,
        "attempts": [],
        "status": "no_answer",
        "objective": None,
        "values": {},
        "mapped": {},
        "predicted": {},
        "reference": dict(problem.answers),
        "reference_infeasible": problem.infeasible,
        "objective_key": problem.objective_key,
        "unmapped_keys": [],
        "verdict": None,
        "category": "no_answer",
        "error": None,
        "tokens": {"prompt": 0, "completion": 0},
        "seconds": 0.0,
    }


def _score_into(rec: dict[str, Any], problem: Problem, prediction: Prediction | None, rule: Any,
                error_kind: str) -> None:
    """Map keys, score and categorize; fills mapped/predicted/verdict/category of ``rec``."""
    predicted: dict[str, float] = {}
    if prediction is not None:
        km = map_keys(list(problem.answers), prediction, objective_key=problem.objective_key)
        rec["mapped"] = km.mapping
        predicted = dict(km.values)
        if prediction.objective is not None:
            predicted.setdefault("objective", float(prediction.objective))
        rec["predicted"] = predicted
        rec["unmapped_keys"] = list(km.unmapped)
    verdict = score(problem, predicted, rec["status"], rule)
    rec["verdict"] = _verdict_dict(verdict)
    rec["category"] = categorize(correct=verdict.correct, status=rec["status"], error_kind=error_kind,
                                 has_value=rec["objective"] is not None)


# --------------------------------------------------------------------------- the three modes


def _pipeline_fn() -> PipelineFn:
    from optcopilot.formulate.pipeline import formulate_and_solve

    return formulate_and_solve


_PIPELINE: PipelineFn | None = None
"""Test hook: when set, used instead of ``optcopilot.formulate.pipeline.formulate_and_solve``."""


def _tokens(llm: Any) -> tuple[int, int]:
    if not isinstance(llm, Mapping):
        return 0, 0
    prompt = llm.get("prompt_tokens", llm.get("prompt", 0)) or 0
    completion = llm.get("completion_tokens", llm.get("completion", 0)) or 0
    return int(prompt), int(completion)


def _error_kind_from_text(error: str | None) -> str:
    """Category hint from the pipeline's error line ("LLM timeout: ...", "LLM error: ...", ...)."""
    low = (error or "").strip().lower()
    if not low:
        return ""
    if low.startswith("llm timeout") or "timed out" in low:
        return "timeout"
    if low.startswith("llm error"):
        return "llm_error"
    return "invalid_ir"


def _eval_pipeline(problem: Problem, cfg: EvalConfig, backend: LLMBackend, rec: dict[str, Any]) -> None:
    fn = _PIPELINE or _pipeline_fn()
    outcome = fn(problem.text, backend, tables=problem.tables or None, samples=cfg.samples,
                 time_limit=cfg.time_limit, llm_timeout=cfg.llm_timeout)
    data = outcome.to_dict() if hasattr(outcome, "to_dict") else {}
    rec["formulation"] = data.get("formulation")
    rec["attempts"] = data.get("attempts", [])
    rec["confidence"] = getattr(outcome, "confidence", None)
    rec["error"] = outcome.error
    prompt, completion = _tokens(getattr(outcome, "llm", None))
    rec["tokens"] = {"prompt": prompt, "completion": completion}
    llm = getattr(outcome, "llm", None) or {}
    rec["llm_calls"] = {"total": int(llm.get("calls", 0) or 0), "cached": int(llm.get("cached_calls", 0) or 0)}
    formulation, result = outcome.formulation, outcome.result
    error_kind = _error_kind_from_text(outcome.error)
    prediction = None
    if result is None:
        error_kind = error_kind or "invalid_ir"
    else:
        status = getattr(result.status, "value", str(result.status))
        rec["status"] = status
        rec["objective"] = result.objective
        rec["values"] = dict(result.variables)
        if error_kind == "invalid_ir" and status != "error":
            error_kind = ""  # e.g. "no optimal solution: the model is infeasible": the status says it
        descriptions: dict[str, str] = {}
        objective_description = ""
        if formulation is not None:
            fam = {v.name: v.description for v in formulation.variables}
            descriptions = {n: fam.get(n.split("[", 1)[0], "") for n in result.variables}
            objective_description = formulation.objective.description
        prediction = Prediction(result.objective, dict(result.variables), descriptions, objective_description)
    _score_into(rec, problem, prediction, _rule_for(cfg), error_kind)
    if formulation is not None:
        _check_alternative_optimum(rec, problem, formulation, cfg.time_limit)


def _check_alternative_optimum(rec: dict[str, Any], problem: Problem, formulation: Any, time_limit: float) -> None:
    """Right objective, other variable values: is the reference solution an optimum of our model too?

    Stored as ``verdict.alternative_optimum`` (True/False/None); the scoring rule's verdict is unchanged.
    """
    from optcopilot.eval.alternatives import objective_matches, reference_is_alternative_optimum

    key = problem.objective_key
    if rec.get("category") != "wrong_value" or not key or rec.get("objective") is None:
        return
    if not objective_matches(rec["objective"], finite_number(problem.answers.get(key))):
        return
    try:
        verdict = reference_is_alternative_optimum(formulation, rec.get("mapped") or {}, problem.answers,
                                                   rec["objective"], time_limit=min(time_limit, 20.0))
    except Exception:  # a check that cannot run leaves the verdict as it is
        verdict = None
    rec["verdict"]["alternative_optimum"] = verdict



def _eval_direct(problem: Problem, cfg: EvalConfig, backend: LLMBackend, rec: dict[str, Any]) -> None:
    from optcopilot.eval.direct_code import solve_with_code

    out = solve_with_code(problem.text, backend, tables=problem.tables or None, time_limit=cfg.time_limit,
                          llm_timeout=cfg.llm_timeout)
    rec["attempts"] = [out.to_dict()]
    rec["code"] = out.code
    rec["error"] = out.error
    rec["tokens"] = {"prompt": out.prompt_tokens, "completion": out.completion_tokens}
    rec["llm_calls"] = {"total": 1, "cached": int(out.cached)}
    parsed = out.parsed
    error_kind = {"timeout": "timeout", "llm_error": "llm_error"}.get(out.error_kind, "")
    if out.error_kind in ("script_error", "no_code"):
        rec["status"] = "error"
    elif out.error_kind == "timeout":
        rec["status"] = "time_limit_no_solution"
    else:
        rec["status"] = parsed.status
    rec["objective"] = parsed.objective
    rec["values"] = parsed.values
    prediction = Prediction(parsed.objective, parsed.values) if out.run is not None else None
    _score_into(rec, problem, prediction, _rule_for(cfg), error_kind)


def solve_mps(path: str | Path, time_limit: float) -> Any:
    """Solve an MPS file with HiGHS at mip_rel_gap=0: via the IR reader when present, else highspy directly."""
    try:
        from optcopilot.io.mps import read_model_file
    except ImportError:
        read_model_file = None
    if read_model_file is not None:
        from optcopilot.solve.api import solve

        return solve(read_model_file(path), solver="highs", time_limit=time_limit, mip_rel_gap=0.0)
    import highspy

    from optcopilot.solve.highs import solve_loaded

    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    return solve_loaded(h, None, 1.0, time_limit, start, {"mip_rel_gap": 0.0}, "mip")


def _eval_mps(problem: Problem, cfg: EvalConfig, rec: dict[str, Any]) -> None:
    result = solve_mps(problem.extra["mps_path"], cfg.time_limit)
    rec["status"] = getattr(result.status, "value", str(result.status))
    rec["objective"] = result.objective
    rec["bound"] = result.bound
    rec["solver"] = result.solver
    rec["error"] = result.message if rec["status"] == "error" else None
    rec["attempts"] = [{"solver": result.solver, "message": result.message, "seconds": result.seconds}]
    prediction = Prediction(result.objective) if result.objective is not None else None
    _score_into(rec, problem, prediction, _rule_for(cfg), "")


def evaluate_problem(problem: Problem, cfg: EvalConfig, backend: LLMBackend | None = None) -> dict[str, Any]:
    """Evaluate one problem into a record; exceptions become records (category ``error``/``llm_error``/...)."""
    rec = _base_record(problem, cfg)
    start = time.perf_counter()
    try:
        if not cfg.uses_llm:
            _eval_mps(problem, cfg, rec)
        else:
            if backend is None:
                raise LLMError("no LLM backend")
            if cfg.mode == "direct-code":
                _eval_direct(problem, cfg, backend, rec)
            else:
                _eval_pipeline(problem, cfg, backend, rec)
    except Exception as exc:  # one problem must never kill the run
        kind = _exception_kind(exc)
        rec["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        rec["traceback"] = traceback.format_exc(limit=8)[-4000:]
        rec["status"] = "error"
        try:
            _score_into(rec, problem, None, _rule_for(cfg), kind)
        except Exception:
            rec["category"] = kind
    rec["seconds"] = round(time.perf_counter() - start, 3)
    return rec


def _rule_for(cfg: EvalConfig) -> Any:
    """MIPLIB's relative 1e-6 rule, else the configured rule name (None: the dataset default)."""
    return MIPLIB_RULE if not cfg.uses_llm else (cfg.rule or None)


def _exception_kind(exc: BaseException) -> str:
    if isinstance(exc, LLMTimeout | TimeoutError):
        return "timeout"
    if isinstance(exc, LLMError):
        return "llm_error"
    from pydantic import ValidationError

    from optcopilot.ir.errors import FormulationError

    if isinstance(exc, FormulationError | ValidationError):
        return "invalid_ir"
    return "error"


# --------------------------------------------------------------------------- process-pool worker

_WORKER_BACKEND: dict[str, LLMBackend] = {}


def _worker_evaluate(problem: Problem, cfg: EvalConfig) -> dict[str, Any]:
    backend = None
    if cfg.uses_llm:
        if cfg.llm_spec not in _WORKER_BACKEND:
            from optcopilot.llm import make_backend

            _WORKER_BACKEND[cfg.llm_spec] = make_backend(cfg.llm_spec)
        backend = _WORKER_BACKEND[cfg.llm_spec]
    return evaluate_problem(problem, cfg, backend)


# --------------------------------------------------------------------------- selection and config


def select_problems(problems: Sequence[Problem], limit: int | None, sample: str, seed: int = 0) -> list[Problem]:
    """The first ``limit`` problems, or a stratified sample by problem type (deterministic)."""
    if sample not in SAMPLERS:
        raise ValueError(f"unknown sample method {sample!r}; use {' or '.join(SAMPLERS)}")
    if limit is None or limit >= len(problems):
        return list(problems)
    if limit <= 0:
        return []
    if sample == "first":
        return list(problems[:limit])
    from optcopilot.eval.sampling import stratified_sample

    return stratified_sample(problems, limit, seed=seed)


def _check_config(out_dir: Path, cfg: EvalConfig, ids: list[str], resume: bool) -> None:
    path = out_dir / CONFIG_FILE
    stored = {"config": asdict(cfg), "ids": ids}
    if resume and path.exists():
        try:
            old = json.loads(path.read_text())["config"]
        except (ValueError, KeyError, TypeError):
            old = {}
        for key in ("dataset", "mode", "llm_spec"):
            if old.get(key) not in (None, getattr(cfg, key)):
                raise ValueError(
                    f"{out_dir} holds a run with {key}={old.get(key)!r}, not {getattr(cfg, key)!r}; "
                    "use another --out directory or --no-resume"
                )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, indent=2))
    os.replace(tmp, path)


def load_config(out_dir: str | Path) -> dict[str, Any]:
    """The stored ``config.json`` of a run directory (``{}`` when absent)."""
    path = Path(out_dir) / CONFIG_FILE
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


# --------------------------------------------------------------------------- progress


@dataclass
class _Tally:
    done: int = 0
    correct: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rec: Mapping[str, Any]) -> None:
        with self.lock:
            self.done += 1
            self.correct += int(rec.get("category") == "ok")

    @property
    def accuracy(self) -> str:
        return f"{100.0 * self.correct / self.done:.1f}%" if self.done else "-"


class _Progress:
    """Progress on stderr with running accuracy and ETA: a rich bar on a terminal, else one plain line per
    problem (so a background run's log shows how far it is). No-op when disabled."""

    def __init__(self, enabled: bool, total: int, already: _Tally, label: str) -> None:
        self.tally = already
        self.total = total
        self.label = label
        self._bar: Any = None
        self._plain = False
        self._start = time.monotonic()
        self._first = already.done
        if not enabled:
            return
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            self._plain = True
            return
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("acc {task.fields[acc]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False,
        )
        self._task = self._bar.add_task(escape(label), total=total, completed=already.done, acc=already.accuracy)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, rec: Mapping[str, Any]) -> None:
        self.tally.add(rec)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, acc=self.tally.accuracy)
        elif self._plain:
            print(self.line(rec), file=sys.stderr, flush=True)

    def line(self, rec: Mapping[str, Any]) -> str:
        """`label [done/total] id category (seconds) | acc A | ETA h:mm:ss` for one finished problem."""
        done_here = self.tally.done - self._first
        per = (time.monotonic() - self._start) / done_here if done_here else 0.0
        eta = int(per * max(0, self.total - self.tally.done))
        return (f"{self.label} [{self.tally.done}/{self.total}] {rec.get('id')} {rec.get('category')} "
                f"({float(rec.get('seconds') or 0.0):.1f} s) | acc {self.tally.accuracy} | "
                f"ETA {eta // 3600}:{eta % 3600 // 60:02d}:{eta % 60:02d}")


# --------------------------------------------------------------------------- run


def run_eval(
    dataset: str,
    *,
    out_dir: str | Path,
    limit: int | None = None,
    sample: str = "stratified",
    llm_spec: str = "local",
    mode: str = "pipeline",
    samples: int = 1,
    workers: int = 1,
    resume: bool = True,
    time_limit: float = 60.0,
    llm_timeout: float = 300.0,
    data_dir: str | Path | None = None,
    progress: bool = True,
    cache: bool = True,
    rule: str | None = None,
    seed: int = 0,
    problems: Sequence[Problem] | None = None,
    backend: LLMBackend | None = None,
) -> dict[str, Any]:
    """Evaluate a dataset and write ``results.jsonl``, ``summary.json``/``.md`` and plots; return the summary.

    ``problems``/``backend`` inject a problem list or a ready backend (tests, notebooks); otherwise the
    dataset is loaded from ``data_dir`` and the backend built from ``llm_spec`` (``cache=False``: without the
    LLM response cache, so every answer is generated afresh). ``workers > 1`` is for HTTP
    backends and MIPLIB; the in-process ``local`` model always runs with one worker.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use {' or '.join(MODES)}")
    if workers < 1 or samples < 1:
        raise ValueError("workers and samples must be at least 1")
    if time_limit <= 0 or llm_timeout <= 0:
        raise ValueError("time limits must be positive")
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown scoring rule {rule!r}; known: {', '.join(RULES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = EvalConfig(dataset, mode, llm_spec, samples, float(time_limit), float(llm_timeout),
                     rule or (MIPLIB_RULE.name if dataset in MPS_DATASETS else default_rule(dataset)))
    pool = list(problems) if problems is not None else list(load_dataset(dataset, data_dir))
    chosen = select_problems(pool, limit, sample, seed)
    ids = [p.id for p in chosen]
    results = out / RESULTS_FILE
    _check_config(out, cfg, ids, resume)
    if not resume and results.exists():
        results.unlink()
    done = unique_records(read_records(results, repair=True))
    todo = [p for p in chosen if p.id not in done]
    tally = _Tally()
    for pid in ids:
        if pid in done:
            tally.add(done[pid])
    if cfg.uses_llm and backend is None and todo:
        from optcopilot.llm import make_backend

        backend = make_backend(llm_spec, cache=cache)
    if workers > 1 and cfg.uses_llm and getattr(backend, "name", "") == "local":
        if progress:
            print("note: the embedded local model serves one request at a time; using 1 worker", file=sys.stderr)
        workers = 1
    label = f"{dataset} [{cfg.mode if cfg.uses_llm else 'mps'}]"
    with _Progress(progress, len(chosen), tally, label) as bar:
        for rec in _iterate(todo, cfg, backend, workers):
            append_record(results, rec)
            bar.advance(rec)
    from optcopilot.eval.report import write_report

    return write_report(out)


def _iterate(todo: list[Problem], cfg: EvalConfig, backend: LLMBackend | None, workers: int) -> Iterator[dict]:
    if workers <= 1 or len(todo) <= 1:
        for problem in todo:
            yield evaluate_problem(problem, cfg, backend)
        return
    executor: Executor
    if cfg.uses_llm:
        executor = ThreadPoolExecutor(max_workers=workers)
        futures: dict[Future[dict[str, Any]], Problem] = {
            executor.submit(evaluate_problem, p, cfg, backend): p for p in todo
        }
    else:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        futures = {executor.submit(_worker_evaluate, p, cfg): p for p in todo}
    try:
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # a crashed worker process: record it, keep going
                rec = _base_record(futures[fut], cfg)
                rec.update(status="error", category="error", error=f"worker failed: {exc}"[:500])
                yield rec
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m optcopilot.eval.runner DATASET OUT_DIR`` (handy for scripts; the CLI is ``optcopilot eval``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m optcopilot.eval.runner DATASET OUT_DIR", file=sys.stderr)
        return 2
    summary = run_eval(args[0], out_dir=args[1])
    print(json.dumps({k: summary[k] for k in ("n", "correct", "accuracy")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
