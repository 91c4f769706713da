"""Plain functions behind the Streamlit app: inputs, solving, tables, code, equivalence (no Streamlit here)."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcopilot.compile.capabilities import UnknownSolverError
from optcopilot.compile.codegen_ortools import emit_ortools
from optcopilot.compile.codegen_pyomo import emit_pyomo
from optcopilot.equivalence import check_equivalence as equivalence_report
from optcopilot.eval.datasets import list_datasets, load_dataset
from optcopilot.examples import EXAMPLES_DIR
from optcopilot.formulate.events import ProgressEvent, Stage
from optcopilot.formulate.pipeline import Outcome, formulate_and_solve
from optcopilot.formulate.techniques import Techniques
from optcopilot.io.data_dir import DatasetError, resolve_data_dir
from optcopilot.io.model_files import MODEL_SUFFIXES, InputFileError, load_model_file
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation, formulation_from_text
from optcopilot.llm import LLMBackend, make_backend
from optcopilot.solve.api import solve
from optcopilot.solve.result import Result, Termination

APP_LLM_ENV = "OPTCOPILOT_APP_LLM"
APP_LLM_TIMEOUT_ENV = "OPTCOPILOT_APP_LLM_TIMEOUT"
SOLVER_CHOICES = ("auto", "highs", "scip", "cpsat")
MAX_UPLOAD_BYTES = 20_000_000
ZERO_TOL = 1e-9


class AppInputError(ValueError):
    """A user input (upload, pasted JSON, edited table) that cannot be used; str is the message to show."""


def default_llm_spec() -> str:
    """The backend spec the sidebar starts with: env OPTCOPILOT_APP_LLM, else the embedded model."""
    return os.environ.get(APP_LLM_ENV, "").strip() or "local"


def default_llm_timeout() -> float:
    """Seconds one LLM call may take: env OPTCOPILOT_APP_LLM_TIMEOUT, else 300."""
    try:
        return max(1.0, float(os.environ.get(APP_LLM_TIMEOUT_ENV, "") or 300.0))
    except ValueError:
        return 300.0


def make_llm(spec: str, base_url: str = "", api_key: str = "") -> LLMBackend:
    """Build an LLM backend from a spec (`local`, `openai:MODEL`, `scripted:/path.json`)."""
    options: dict[str, Any] = {}
    if spec.startswith("openai:"):
        if base_url:
            options["base_url"] = base_url
        if api_key:
            options["api_key"] = api_key
    return make_backend(spec, **options)


# ---------------------------------------------------------------------------------------------------- inputs
@dataclass
class ProblemInput:
    """A problem text and its CSV tables (name → CSV text)."""

    label: str
    text: str
    tables: dict[str, str] = field(default_factory=dict)


def list_examples(folder: Path = EXAMPLES_DIR) -> dict[str, ProblemInput]:
    """Shipped examples: each `NAME.txt` with the CSVs named `NAME*.csv` next to it."""
    out: dict[str, ProblemInput] = {}
    if not folder.is_dir():
        return out
    for txt in sorted(folder.glob("*.txt")):
        tables = {csv.stem: csv.read_text(encoding="utf-8-sig") for csv in sorted(folder.glob(f"{txt.stem}*.csv"))}
        out[txt.stem] = ProblemInput(txt.stem, txt.read_text(encoding="utf-8"), tables)
    return out


def list_benchmark_datasets() -> list[str]:
    """Benchmark names, when the shared benchmark data directory exists; else []."""
    try:
        resolve_data_dir()
    except DatasetError:
        return []
    return list_datasets()


def load_benchmark_problems(name: str, limit: int = 200) -> dict[str, ProblemInput]:
    """Up to `limit` problems of one benchmark; raises AppInputError when it cannot be read."""
    try:
        problems = load_dataset(name)
    except Exception as exc:
        raise AppInputError(f"cannot load benchmark {name!r}: {exc}") from None
    out: dict[str, ProblemInput] = {}
    for p in list(problems)[:limit]:
        tables = {k: _table_text(v) for k, v in (p.tables or {}).items()}
        out[str(p.id)] = ProblemInput(f"{name}/{p.id}", p.text, tables)
    return out


def _table_text(source: str) -> str:
    path = Path(source)
    if "\n" not in source and len(source) < 4096 and path.is_file():
        return path.read_text(encoding="utf-8-sig")
    return source


def decode_text_upload(name: str, data: bytes) -> str:
    """UTF-8 text of an uploaded file, or AppInputError for binary/oversized/empty files."""
    if not data:
        raise AppInputError(f"{name}: file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise AppInputError(f"{name}: file is larger than {MAX_UPLOAD_BYTES} bytes")
    if b"\x00" in data[:8192]:
        raise AppInputError(f"{name}: looks like a binary file, expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AppInputError(f"{name}: not UTF-8 text (binary file?)") from None


def read_csv_uploads(files: list[tuple[str, bytes]]) -> dict[str, str]:
    """Uploaded CSVs (name, bytes) → {stem: text}; checks each parses as a CSV with rows."""
    import io

    import pandas as pd

    out: dict[str, str] = {}
    for name, data in files:
        text = decode_text_upload(name, data)
        try:
            frame = pd.read_csv(io.StringIO(text))
        except Exception as exc:
            raise AppInputError(f"{name}: not a readable CSV ({str(exc).splitlines()[0]})") from None
        if frame.empty:
            raise AppInputError(f"{name}: the CSV has no rows")
        out[Path(name).stem] = text
    return out


def parse_ir_text(text: str) -> Formulation:
    """A Formulation from IR JSON text, or AppInputError with a one-line reason."""
    if not text.strip():
        raise AppInputError("the IR JSON is empty")
    try:
        return formulation_from_text(text)
    except ValueError as exc:
        raise AppInputError(str(exc)) from None


def load_model_upload(name: str, data: bytes) -> Formulation:
    """An uploaded IR JSON or MPS/LP model (name decides the format), or AppInputError."""
    low = name.lower()
    if not any(low.endswith(s) for s in MODEL_SUFFIXES):
        raise AppInputError(f"{name}: expected one of {', '.join(MODEL_SUFFIXES)}")
    if not data:
        raise AppInputError(f"{name}: file is empty")
    if low.endswith(".json"):
        return parse_ir_text(decode_text_upload(name, data))
    suffix = next(s for s in sorted(MODEL_SUFFIXES, key=len, reverse=True) if low.endswith(s))
    with tempfile.TemporaryDirectory(prefix="optcopilot-app-") as tmp:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[: -len(suffix)] or "upload"
        path = Path(tmp) / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            return load_model_file(path)
        except InputFileError as exc:
            raise AppInputError(str(exc).replace(str(path), name)) from None
        except FormulationError as exc:
            raise AppInputError(f"{name}: invalid formulation: {exc}") from None
        except Exception as exc:
            raise AppInputError(f"{name}: cannot read the model ({type(exc).__name__}: {exc})") from None


# ---------------------------------------------------------------------------------------------- formulation views
def element_tables(f: Formulation) -> dict[str, list[dict[str, Any]]]:
    """The five elements as rows for display tables."""
    sets = []
    for s in f.sets:
        if s.range is not None:
            members = f"{s.range[0]}..{s.range[-1]}"
        elif s.index:
            members = f"indexed by {', '.join(s.index)}"
        else:
            els = [str(e) for e in (s.elements or [])]
            members = ", ".join(els[:20]) + (", …" if len(els) > 20 else "")
        sets.append({"name": s.name, "elements": members, "description": s.description})
    params = [{"name": p.name, "index": ", ".join(p.index), "value": _short(json.dumps(p.value)),
               "description": p.description} for p in f.parameters]
    variables = [{"name": v.name, "index": ", ".join(v.index), "domain": v.domain,
                  "lb": "-inf" if v.lb is None else str(v.lb), "ub": "inf" if v.ub is None else str(v.ub),
                  "description": v.description} for v in f.variables]
    objective = [{"sense": f.objective.sense, "expression": f.objective.expression,
                  "description": f.objective.description}]
    constraints = [{"name": c.name, "expression": c.expression, "for all": c.forall or "",
                    "description": c.description} for c in f.constraints]
    return {"Sets": sets, "Parameters": params, "Variables": variables, "Objective": objective,
            "Constraints": constraints}


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def latex_lines(f: Formulation) -> list[str]:
    """LaTeX for the objective and each constraint family (best effort)."""
    from optcopilot.ir.render import latex_domain, latex_expression

    sense = r"\max" if f.objective.sense == "maximize" else r"\min"
    lines = [rf"{sense}\quad {latex_expression(f.objective.expression)}"]
    for c in f.constraints:
        dom = latex_domain(c.forall)
        name = c.name.replace("_", r"\_")
        lines.append(rf"\text{{{name}:}}\quad {latex_expression(c.expression)}" + (rf"\quad {dom}" if dom else ""))
    return lines


def parameter_rows(f: Formulation) -> list[dict[str, str]]:
    """Editable rows: one per parameter, its value as JSON text."""
    return [{"name": p.name, "index": ", ".join(p.index), "value": json.dumps(p.value)} for p in f.parameters]


def apply_parameter_rows(f: Formulation, rows: list[dict[str, Any]]) -> Formulation:
    """A copy of `f` with parameter values taken from edited rows (JSON text per value)."""
    data = json.loads(f.to_json())
    by_name = {p["name"]: p for p in data["parameters"]}
    for row in rows:
        name = str(row.get("name", ""))
        if name not in by_name:
            raise AppInputError(f"unknown parameter {name!r} (rename parameters in the IR JSON instead)")
        raw = row.get("value")
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            raise AppInputError(f"parameter {name!r}: value is not valid JSON ({exc.msg})") from None
        by_name[name]["value"] = value
    return parse_ir_text(json.dumps(data))


# ----------------------------------------------------------------------------------------------------- solving
def solve_model(f: Formulation, solver: str = "auto", time_limit: float = 30.0) -> Result:
    """Solve; invalid data or an unknown solver raise AppInputError, solver failures come back as ERROR."""
    try:
        return solve(f, solver=solver, time_limit=time_limit)
    except FormulationError as exc:
        raise AppInputError(f"invalid formulation: {exc}") from None
    except (UnknownSolverError, ModuleNotFoundError) as exc:
        raise AppInputError(f"solver {solver!r} is not available: {exc}") from None


def variable_rows(result: Result) -> list[dict[str, Any]]:
    """Variable values, non-zeros first (largest magnitude first), then zeros by name."""
    items = list(result.variables.items())
    nonzero = sorted((kv for kv in items if abs(kv[1]) > ZERO_TOL), key=lambda kv: -abs(kv[1]))
    zero = sorted(kv for kv in items if abs(kv[1]) <= ZERO_TOL)
    return [{"variable": k, "value": _clean(v)} for k, v in nonzero + zero]


def _clean(v: float) -> float:
    if math.isfinite(v) and abs(v - round(v)) < 1e-9:
        return float(round(v))
    return v


def sensitivity_rows(result: Result) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(duals per constraint row, reduced costs per variable) for LPs; empty lists otherwise."""
    duals = [{"constraint": k, "dual": v} for k, v in (result.duals or {}).items()]
    reduced = [{"variable": k, "reduced cost": v} for k, v in (result.reduced_costs or {}).items()]
    return duals, reduced


def iis_sentences(result: Result, f: Formulation | None = None) -> list[str]:
    """The IIS rows in words: which constraints and bounds cannot hold together."""
    descriptions = {c.name: c.description or c.expression for c in (f.constraints if f else [])}
    out: list[str] = []
    for item in result.iis or []:
        if item.startswith("bound:"):
            out.append(f"the bounds of variable {item[6:]}")
        else:
            family = item.split("[", 1)[0]
            detail = descriptions.get(family)
            out.append(f"constraint {item}" + (f" ({detail})" if detail else ""))
    return out


def status_summary(result: Result) -> str:
    """One line: status, objective, solver and time."""
    obj = "" if result.objective is None else f", objective {result.objective:.6g}"
    return f"{result.status.value}{obj} ({result.solver or 'solver'}, {result.seconds:.2f} s)"


def has_solution(result: Result) -> bool:
    return isinstance(result.status, Termination) and result.status.has_solution


# ---------------------------------------------------------------------------------------------------- code
def generated_code(f: Formulation) -> dict[str, tuple[str, str | None]]:
    """{"Pyomo": (code, None) or ("", reason), "OR-Tools": ...}: each script, or why it cannot be written."""
    out: dict[str, tuple[str, str | None]] = {}
    emitters: tuple[tuple[str, Callable[[Formulation], str]], ...] = (("Pyomo", emit_pyomo),
                                                                      ("OR-Tools", emit_ortools))
    for label, emit in emitters:
        try:
            out[label] = (emit(f), None)
        except ValueError as exc:
            out[label] = ("", f"{label} cannot express this model: {exc}")
        except Exception as exc:
            out[label] = ("", f"{label} code generation failed: {type(exc).__name__}: {exc}")
    return out


# ----------------------------------------------------------------------------------------------- equivalence
def check_equivalence(candidate: Formulation, reference: Formulation) -> dict[str, Any]:
    """Both verdict levels, method, map, certificates and evidence; AppInputError when the check fails."""
    try:
        report = equivalence_report(candidate, reference, use_llm=False)
    except FormulationError as exc:
        raise AppInputError(f"invalid formulation: {exc}") from None
    except Exception as exc:
        raise AppInputError(f"equivalence check failed: {type(exc).__name__}: {exc}") from None
    return {
        "equivalent": report.equivalent,
        "feasible": report.feasible.equivalent,
        "method": report.method,
        "mapping": report.mapping,
        "certificate": report.certificate,
        "feasible_certificate": report.feasible.certificate,
        "evidence": report.evidence,
        "equivamap_convention": report.equivamap_convention,
        "seconds": report.seconds,
    }


REFERENCE_DATASETS = ("nlp4lp", "miplib-nl")
"""Benchmarks whose problems carry a machine-readable reference formulation (see datasets/REFERENCES.md)."""


def reference_datasets() -> list[str]:
    """The benchmarks with reference formulations that are present in the shared data directory."""
    return [name for name in REFERENCE_DATASETS if name in list_benchmark_datasets()]


def benchmark_reference(dataset: str, problem_id: str) -> Formulation:
    """A benchmark problem's reference formulation (imported, never executed); AppInputError with the reason."""
    from optcopilot.eval.equivalence_grading import reference_for

    try:
        problem = next((p for p in load_dataset(dataset) if str(p.id) == problem_id), None)
    except Exception as exc:
        raise AppInputError(f"cannot load benchmark {dataset!r}: {exc}") from None
    if problem is None:
        raise AppInputError(f"no problem {problem_id!r} in {dataset}")
    found = reference_for(problem)
    if found is None:
        raise AppInputError(f"{dataset} has no reference formulations")
    formulation, info = found
    if formulation is None:
        raise AppInputError(f"the reference of {problem_id} cannot be imported: {info.get('failure')}")
    return formulation


def mapping_rows(mapping: dict[str, Any], limit: int = 200) -> list[dict[str, str]]:
    """The verified variable map as table rows: one variable = an affine combination of the other's."""
    rows = []
    for name, entry in list((mapping.get("variables") or {}).items())[:limit]:
        terms = " + ".join(f"{c:g}·{v}" for v, c in entry.get("terms", {}).items()) or "0"
        if entry.get("constant"):
            terms += f" + {entry['constant']:g}"
        rows.append({"variable": name, "equals": terms})
    return rows


# ------------------------------------------------------------------------------------------------ formulating
TECHNIQUE_CHOICES = {"fast (default)": "default", "accurate": "accurate"}  # label → `Techniques.parse` name


def formulate(text: str, backend: LLMBackend, *, tables: dict[str, str] | None, samples: int, solver: str,
              time_limit: float, progress: Callable[[ProgressEvent], None], llm_timeout: float = 300.0,
              techniques: str = "default") -> Outcome:
    """Run the formulate-and-solve pipeline (returns its Outcome)."""
    return formulate_and_solve(text, backend, tables=dict(tables or {}) or None, samples=samples, solver=solver,
                               time_limit=time_limit, llm_timeout=llm_timeout, progress=progress,
                               techniques=Techniques.parse(techniques))


STAGE_LABELS = {Stage.WRITING: "formulating", Stage.REPAIRING: "repairing", Stage.CHECKING: "validating",
                Stage.PROBLEM: "validating", Stage.SOLVING: "solving"}


def stage_label(event: ProgressEvent) -> str:
    """The short label the progress box shows for a pipeline progress event."""
    return STAGE_LABELS.get(event.stage, "formulating")
