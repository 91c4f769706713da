"""Instance -> OR-Tools models: CP-SAT (`cp_model`) for CP-friendly models, MathOpt for LP/MILP/QP.

Process isolation: the ortools and highspy wheels each bundle a different HiGHS build under the same
soname `libhighs.so.1`. The dynamic loader keeps whichever loads first, so importing ortools breaks a
later `import highspy` in the same process and vice versa. This module therefore imports ortools
lazily, refuses to do so once highspy is loaded, and offers `run_isolated` to run OR-Tools work in a
clean worker process (the solver routes use it by default).
"""

from __future__ import annotations

import atexit
import importlib
import math
import os
import pickle
import select
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optcopilot.compile.algebra import NL, Poly
from optcopilot.compile.instance import Instance, ProblemClass

WORKER_MODULE = "optcopilot.compile.to_ortools"
WORKER_GRACE_SECONDS = 60.0
"""Extra wall time a worker gets on top of the solver time limits (start-up, model building)."""

CP_BOUND_LIMIT = 2**53
"""Largest bound / coefficient magnitude we hand to CP-SAT (exact in a float, far below int64)."""

Call = tuple[str, tuple[Any, ...], dict[str, Any]]
"""("module:function", args, kwargs) for `run_isolated`."""


class OrToolsUnsupportedError(ValueError):
    """The instance cannot be expressed (exactly) for the requested OR-Tools backend."""


class OrToolsConflictError(RuntimeError):
    """ortools cannot be loaded here because highspy already is (see the module docstring)."""


class IsolatedCallError(RuntimeError):
    """A call run by `run_isolated` raised, or its worker process failed or timed out."""


# ---- process hygiene ----------------------------------------------------------------------------
def highspy_loaded() -> bool:
    return "highspy" in sys.modules or "highspy._core" in sys.modules


def ortools_loaded() -> bool:
    """True once an ortools native module is loaded here (highspy can then no longer be imported)."""
    return any(name.startswith("ortools.") and str(getattr(mod, "__file__", "")).endswith((".so", ".pyd"))
               for name, mod in list(sys.modules.items()))


def import_ortools(module: str) -> Any:
    """Import an ortools module, refusing (clearly) when highspy already owns libhighs in this process."""
    if highspy_loaded():
        raise OrToolsConflictError(
            "highspy is already loaded in this process and ships an incompatible libhighs.so.1; OR-Tools "
            "must run in a separate process (the cpsat/mathopt solvers do so by default, or use "
            "run_isolated)")
    return importlib.import_module(module)


def run_isolated(calls: Sequence[Call], timeout: float) -> list[Any]:
    """Run each `module:function(*args, **kwargs)` in a clean interpreter; return their values in order.

    The interpreter is a worker process kept for later calls (start-up costs ~0.5 s); it is replaced
    after a crash or a timeout. Arguments and values travel by pickle between our own processes.
    Raises IsolatedCallError if a call raises (with its traceback), the worker dies, or `timeout`
    seconds pass.
    """
    try:
        payload = pickle.dumps(list(calls), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise IsolatedCallError(f"cannot send the call to the OR-Tools worker: {exc}") from None
    if os.name != "posix":  # pragma: no cover - select() on pipes is POSIX only
        outcomes = _run_once(payload, timeout)
    else:
        with _WORKER_LOCK:
            outcomes = _worker().call(payload, timeout)
    values = []
    for ok, value in outcomes:
        if not ok:
            raise IsolatedCallError(value)
        values.append(value)
    return values


def shutdown_worker() -> None:
    """Stop the reusable worker process, if one runs (the next call starts a new one)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is not None and _WORKER.owner == os.getpid():
            _WORKER.close()
        _WORKER = None


def _worker_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class _Worker:
    """A `python -m optcopilot.compile.to_ortools --serve` child speaking length-prefixed pickles."""

    def __init__(self) -> None:
        self.owner = os.getpid()  # a forked child must not share this worker's pipes
        self.errors = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - lives as long as the worker
        self.proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errors, env=_worker_env())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, payload: bytes, timeout: float) -> list[tuple[bool, Any]]:
        deadline = time.monotonic() + timeout
        self.errors.seek(0)
        self.errors.truncate()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(len(payload).to_bytes(8, "big") + payload)
            self.proc.stdin.flush()
            fd = self.proc.stdout.fileno()
            size = int.from_bytes(_read_exact(fd, 8, deadline), "big")
            answer: list[tuple[bool, Any]] = pickle.loads(_read_exact(fd, size, deadline))
            return answer
        except TimeoutError:
            self.close()
            raise IsolatedCallError(f"OR-Tools worker did not finish within {timeout:.0f} s") from None
        except (EOFError, BrokenPipeError, OSError):
            code = self.proc.wait(timeout=5)
            message = f"OR-Tools worker exited with code {code}: {self.stderr_tail()}"
            raise IsolatedCallError(message) from None

    def stderr_tail(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode("utf-8", "replace").strip()[-2000:]

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.errors.close()


_WORKER: _Worker | None = None
_WORKER_LOCK = threading.Lock()


def _worker() -> _Worker:
    global _WORKER
    if _WORKER is not None and _WORKER.owner != os.getpid():
        _WORKER = None  # inherited through fork: leave it to its owner
    if _WORKER is None or not _WORKER.alive():
        if _WORKER is not None:
            _WORKER.close()
        _WORKER = _Worker()
    return _WORKER


atexit.register(shutdown_worker)


def _read_exact(fd: int, size: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _run_once(payload: bytes, timeout: float) -> list[tuple[bool, Any]]:  # pragma: no cover - non-POSIX
    with tempfile.TemporaryDirectory(prefix="optcopilot-ortools-") as tmp:
        request, response = Path(tmp, "request.pkl"), Path(tmp, "response.pkl")
        request.write_bytes(payload)
        command = [sys.executable, "-m", WORKER_MODULE, str(request), str(response)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout,
                                  env=_worker_env(), check=False)
        except subprocess.TimeoutExpired:
            raise IsolatedCallError(f"OR-Tools worker did not finish within {timeout:.0f} s") from None
        if not response.exists():
            tail = proc.stderr[-2000:]
            raise IsolatedCallError(f"OR-Tools worker exited with code {proc.returncode}: {tail}")
        answer: list[tuple[bool, Any]] = pickle.loads(response.read_bytes())
        return answer


def _run_calls(calls: list[Call]) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    for target, args, kwargs in calls:
        try:
            module, func = target.split(":")
            outcomes.append((True, getattr(importlib.import_module(module), func)(*args, **kwargs)))
        except Exception:
            outcomes.append((False, traceback.format_exc(limit=6)))
    return outcomes


def _worker_main(argv: list[str]) -> int:
    """`--serve`: answer requests on stdin until EOF; else `REQUEST RESPONSE` files, once."""
    if argv != ["--serve"]:
        request, response = Path(argv[0]), Path(argv[1])
        partial = response.with_suffix(".part")
        outcomes = _run_calls(pickle.loads(request.read_bytes()))
        partial.write_bytes(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(response)
        return 0
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # solver output on fd 1 (C++ or print) goes to stderr, never into the replies
    sys.stdout = sys.stderr
    while True:
        header = requests.read(8)
        if len(header) < 8:
            return 0
        calls = pickle.loads(requests.read(int.from_bytes(header, "big")))
        data = pickle.dumps(_run_calls(calls), protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(len(data).to_bytes(8, "big") + data)
        replies.flush()


# ---- CP-SAT -------------------------------------------------------------------------------------
def cp_friendly_problems(inst: Instance, limit: int = 3) -> list[str]:
    """Why CP-SAT cannot solve this instance exactly (empty when `inst.is_cp_friendly()`)."""
    out: list[str] = []
    if inst.n_vars == 0:
        out.append("the model has no variables")
    cont = [n for n, i in zip(inst.names, inst.integer, strict=True) if not i]
    if cont:
        out.append(f"{len(cont)} continuous variable(s) (e.g. {', '.join(cont[:limit])}); CP-SAT is not a "
                   "reliable solver for continuous variables")
    pclass = inst.problem_class()
    if pclass not in (ProblemClass.LP, ProblemClass.MILP):
        out.append(f"the model is {pclass.value}, not linear")
    unbounded = [n for n, lo, hi in zip(inst.names, inst.lb, inst.ub, strict=True)
                 if not (math.isfinite(lo) and math.isfinite(hi))]
    if unbounded:
        out.append(f"{len(unbounded)} variable(s) without finite bounds (e.g. "
                   f"{', '.join(unbounded[:limit])}); CP-SAT needs lb and ub on every variable")
    if isinstance(inst.objective, Poly) and not _integral(inst.objective.values()):
        out.append("the objective has non-integer coefficients")
    bad_rows = [r.label for r in inst.rows if isinstance(r.body, Poly) and not (
        _integral(r.body.values()) and _integral(v for v in (r.lo, r.hi) if math.isfinite(v)))]
    if bad_rows:
        out.append(f"{len(bad_rows)} constraint(s) with non-integer coefficients or sides "
                   f"(e.g. {', '.join(bad_rows[:limit])})")
    if not out and not inst.is_cp_friendly():
        out.append("the instance is not CP-friendly")
    return out


def _integral(values: Any) -> bool:
    return all(float(v).is_integer() for v in values)


@dataclass
class CpSatModel:
    """A CP-SAT model with the maps back to the instance: `variables[flat id]`, `constraints[row index]`."""

    model: Any  # cp_model.CpModel
    variables: list[Any]  # cp_model.IntVar per flat variable id
    constraints: list[Any]  # cp_model.Constraint per instance row
    objective_constant: float = 0.0
    empty_domains: list[str] = field(default_factory=list)  # integer variables with no integer in [lb, ub]

    def flat_id(self, var: Any) -> int:
        """Flat variable id of a CP-SAT variable (they are created in flat-id order)."""
        return int(var.index)

    def row_index(self, constraint: Any) -> int:
        return self._row_of[int(constraint.index)]

    def __post_init__(self) -> None:
        self._row_of = {int(c.index): r for r, c in enumerate(self.constraints)}


def build_cpsat(inst: Instance) -> CpSatModel:
    """CP-SAT model of a CP-friendly instance; raises OrToolsUnsupportedError (with the reasons) otherwise."""
    problems = cp_friendly_problems(inst)
    if problems:
        raise OrToolsUnsupportedError("CP-SAT needs an all-integer linear model with integer coefficients "
                                      "and finite bounds: " + "; ".join(problems))
    bounds = []
    for name, lo, hi in zip(inst.names, inst.lb, inst.ub, strict=True):
        bounds.append((math.ceil(lo - 1e-9), math.floor(hi + 1e-9)))
        _check_magnitude(name, *bounds[-1])
    cp_model = import_ortools("ortools.sat.python.cp_model")
    model = cp_model.CpModel()
    model.name = inst.formulation.name
    variables: list[Any] = []
    empty: list[str] = []
    for name, (lo_i, hi_i) in zip(inst.names, bounds, strict=True):
        if lo_i > hi_i:
            empty.append(name)
            variables.append(model.new_int_var_from_domain(cp_model.Domain.from_values([]), name))
        else:
            variables.append(model.new_int_var(lo_i, hi_i, name))
    constant = 0
    obj = inst.objective
    if isinstance(obj, Poly):
        constant = int(obj.constant())
        ids, coefs = _linear_terms(obj)
        _check_magnitude("objective", *coefs)
        if ids:
            expr = cp_model.LinearExpr.weighted_sum([variables[j] for j in ids], coefs) + constant
            (model.minimize if inst.sense == "minimize" else model.maximize)(expr)
    elif isinstance(obj, NL):
        raise ValueError("CP-SAT takes a linear objective only")
    else:
        constant = int(obj)
    constraints: list[Any] = []
    for row in inst.rows:
        assert isinstance(row.body, Poly)
        ids, coefs = _linear_terms(row.body)
        lo = cp_model.INT_MIN if math.isinf(row.lo) else int(row.lo)
        hi = cp_model.INT_MAX if math.isinf(row.hi) else int(row.hi)
        _check_magnitude(row.label, *coefs, *(v for v in (row.lo, row.hi) if math.isfinite(v)))
        expr = cp_model.LinearExpr.weighted_sum([variables[j] for j in ids], coefs)
        constraints.append(model.add_linear_constraint(expr, lo, hi).with_name(row.label))
    return CpSatModel(model, variables, constraints, float(constant), empty)


def _linear_terms(poly: Poly) -> tuple[list[int], list[int]]:
    ids, coefs = [], []
    for mono, coef in poly.items():
        if mono and coef != 0.0:
            ids.append(mono[0])
            coefs.append(int(coef))
    return ids, coefs


def _check_magnitude(where: str, *values: float) -> None:
    for v in values:
        if abs(v) > CP_BOUND_LIMIT:
            raise OrToolsUnsupportedError(f"{where}: value {v:g} is too large for CP-SAT (limit 2**53)")


# ---- MathOpt ------------------------------------------------------------------------------------
@dataclass
class MathOptModel:
    """A MathOpt model with the maps back to the instance: `variables[flat id]`, `constraints[row index]`."""

    model: Any  # mathopt.Model
    variables: list[Any]  # mathopt.Variable per flat variable id
    constraints: list[Any]  # mathopt.LinearConstraint per instance row
    is_mip: bool
    quadratic_objective: bool

    def flat_id(self, var: Any) -> int:
        return self._var_of[var.id]

    def row_index(self, constraint: Any) -> int:
        return self._row_of[constraint.id]

    def __post_init__(self) -> None:
        self._var_of = {v.id: j for j, v in enumerate(self.variables)}
        self._row_of = {c.id: r for r, c in enumerate(self.constraints)}


def build_mathopt(inst: Instance) -> MathOptModel:
    """MathOpt model of an LP/MILP or a (MI)QP with linear rows; raises OrToolsUnsupportedError otherwise."""
    pclass = inst.problem_class()
    if pclass in (ProblemClass.NLP, ProblemClass.MINLP):
        bad = next((r.label for r in inst.rows
                    if not (isinstance(r.body, Poly) and r.body.degree() <= 1)), None)
        where = f"constraint {bad} is not linear" if bad else "the objective is not polynomial of degree <= 2"
        raise OrToolsUnsupportedError(f"MathOpt route handles LP, MILP and QP objectives only ({where}); "
                                      "use the SCIP or Pyomo route for nonlinear models")
    mathopt = import_ortools("ortools.math_opt.python.mathopt")
    model = mathopt.Model(name=inst.formulation.name)
    variables = [model.add_variable(lb=float(lo), ub=float(hi), is_integer=bool(is_int), name=name)
                 for name, lo, hi, is_int in zip(inst.names, inst.lb, inst.ub, inst.integer, strict=True)]
    objective = model.objective
    objective.is_maximize = inst.sense == "maximize"
    quadratic = False
    obj = inst.objective
    if isinstance(obj, Poly):
        for mono, coef in obj.items():
            if coef == 0.0:
                continue
            if not mono:
                objective.offset = float(coef)
            elif len(mono) == 1:
                objective.set_linear_coefficient(variables[mono[0]], float(coef))
            else:
                quadratic = True
                objective.set_quadratic_coefficient(variables[mono[0]], variables[mono[1]], float(coef))
    elif isinstance(obj, NL):
        raise ValueError("MathOpt takes a linear or quadratic objective only")
    else:
        objective.offset = float(obj)
    constraints = []
    for row in inst.rows:
        assert isinstance(row.body, Poly)
        con = model.add_linear_constraint(lb=float(row.lo), ub=float(row.hi), name=row.label)
        for mono, coef in row.body.items():
            if mono and coef != 0.0:
                con.set_coefficient(variables[mono[0]], float(coef))
        constraints.append(con)
    return MathOptModel(model, variables, constraints, bool(np.any(inst.integer)), quadratic)


if __name__ == "__main__":
    raise SystemExit(_worker_main(sys.argv[1:]))
