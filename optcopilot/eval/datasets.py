"""Benchmark loaders: read the shared (dirty) benchmark files into one ``Problem`` schema.

Data is read at run time from the shared data directory (see ``paths.resolve_data_dir``);
nothing is copied into the repository. Every loader returns a ``ProblemSet`` (a list of
``Problem``) whose ``report`` says how many records were read, loaded and skipped, and why.
"""

from __future__ import annotations

import ast
import csv
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optcopilot.eval.keymap import tokens
from optcopilot.eval.paths import DatasetError, resolve_data_dir

log = logging.getLogger(__name__)

OBJECTIVE_KEY = "objective"
OPTIBENCH_TYPES = frozenset({"linear-notable", "linear-table", "nonlinear-notable", "nonlinear-table"})
INFEASIBLE_SENTINELS = frozenset({-9999.0, -99999.0})
INFEASIBLE_TEXTS = frozenset(
    {"no best solution", "infeasible", "no feasible solution", "no solution", "infeasible or unbounded"}
)
LINEARITY = {
    "lp": "linear",
    "ip": "linear",
    "ilp": "linear",
    "mip": "linear",
    "milp": "linear",
    "linear": "linear",
    "nlp": "nonlinear",
    "minlp": "nonlinear",
    "qp": "nonlinear",
    "nonlinear": "nonlinear",
}


# --------------------------------------------------------------------------- schema


@dataclass
class Problem:
    """One benchmark problem with its reference answer(s)."""

    id: str
    text: str
    tables: dict[str, str] = field(default_factory=dict)
    answers: dict[str, float | None] = field(default_factory=dict)
    objective_key: str | None = OBJECTIVE_KEY
    infeasible: bool = False
    ptype: str = "unknown-notable"
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skip:
    """A record that was not loaded."""

    ref: str
    reason: str
    detail: str = ""


@dataclass
class LoadReport:
    """What a loader read, loaded and skipped."""

    dataset: str
    files: list[str] = field(default_factory=list)
    records: int = 0
    loaded: int = 0
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, ref: str, reason: str, detail: str = "") -> None:
        """Record one skipped record."""
        self.skipped.append(Skip(ref, reason, detail))

    def skip_counts(self) -> dict[str, int]:
        """Number of skipped records per reason."""
        return dict(Counter(s.reason for s in self.skipped))

    def summary(self) -> str:
        """One line: dataset, loaded/read counts and skip reasons."""
        reasons = ", ".join(f"{r}: {n}" for r, n in self.skip_counts().items()) or "none"
        return f"{self.dataset}: loaded {self.loaded}/{self.records}, skipped {len(self.skipped)} ({reasons})"


class ProblemSet(list[Problem]):
    """A list of problems that also carries the ``LoadReport``."""

    def __init__(self, problems: Iterable[Problem], report: LoadReport) -> None:
        super().__init__(problems)
        self.report = report


class SkipRecord(Exception):
    """Raised by a record builder to skip the record with a reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


Builder = Callable[[str, int, dict[str, Any]], Problem]


# --------------------------------------------------------------------------- reading


def read_records(path: Path, report: LoadReport) -> list[tuple[int, Any]]:
    """Read a JSON array/object or JSON-Lines file as (1-based record number, record)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    else:
        items = data if isinstance(data, list) else [data]
        return list(enumerate(items, start=1))
    out: list[tuple[int, Any]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((line_no, json.loads(line)))
        except json.JSONDecodeError as exc:
            report.records += 1
            report.skip(f"{path.name}:{line_no}", "bad json", str(exc))
    if out:
        report.notes.append(f"{path.name} read as JSON-Lines")
    return out


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class ParsedAnswer:
    """A reference answer: value, infeasibility, or a parse error."""

    value: float | None
    infeasible: bool = False
    error: str | None = None


def parse_number(raw: Any) -> float | None:
    """Parse a finite number from int/float/str (commas, $, spaces tolerated); else None."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        cleaned = re.sub(r"[,$\s\u00a0]", "", raw)
        try:
            value = float(cleaned)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def parse_answer(raw: Any) -> ParsedAnswer:
    """Parse an objective reference: number, infeasible marker, or ``{status, obj}`` dict."""
    if isinstance(raw, dict):
        status = str(raw.get("status", "")).strip().lower()
        if status.startswith("infeasible"):
            return ParsedAnswer(None, infeasible=True)
        if raw.get("obj") is None:
            return ParsedAnswer(None, error="missing answer")
        return parse_answer(raw["obj"])
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ParsedAnswer(None, error="missing answer")
    if isinstance(raw, str) and raw.strip().lower() in INFEASIBLE_TEXTS:
        return ParsedAnswer(None, infeasible=True)
    value = parse_number(raw)
    if value is None:
        return ParsedAnswer(None, error="unparseable answer")
    if value in INFEASIBLE_SENTINELS:
        return ParsedAnswer(None, infeasible=True)
    return ParsedAnswer(value)


def _objective_answers(raw: Any) -> tuple[dict[str, float | None], bool]:
    parsed = parse_answer(raw)
    if parsed.error:
        raise SkipRecord(parsed.error, repr(raw)[:80])
    return {OBJECTIVE_KEY: parsed.value}, parsed.infeasible


# --------------------------------------------------------------------------- problem type

_MD_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_TABLE_REFS = (
    re.compile(r"\bTable\s*(?:\d|:)"),  # "Table 6", "Table 1-18", "Table:"
    re.compile(r"\b(?:following|below|above|shown in the|given in the|in the)\s+tables?\b", re.IGNORECASE),
    re.compile(r"\btables?\s+(?:below|above|gives|shows|lists|contains)\b", re.IGNORECASE),
    re.compile(r"\\begin\{(?:tabular|array)\}"),
)


def has_table(text: str) -> bool:
    """Heuristic: the text embeds tabular data (markdown/LaTeX rows or a reference to a table).

    Furniture ("coffee tables") and seating ("at table 1") do not count.
    """
    return len(_MD_ROW.findall(text)) >= 2 or any(p.search(text) for p in _TABLE_REFS)


def linearity(label: Any) -> str:
    """Map a problem-type label (LP, MILP, NLP, ...) to linear / nonlinear / unknown."""
    return LINEARITY.get(str(label or "").strip().lower(), "unknown")


def make_ptype(lin: str, text: str) -> str:
    """OptiBench-style type: ``<linear|nonlinear|unknown>-<table|notable>``."""
    return f"{lin}-{'table' if has_table(text) else 'notable'}"


# --------------------------------------------------------------------------- objective key

_STRONG = re.compile(
    r"\b(total|maxim(?:um|ized|ised|al)|minim(?:um|ized|ised|al)|profit|cost|revenue|objective|optimum)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(optimal|largest|smallest|highest|lowest|greatest)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\s(?:that|to|for|which|so)\s.*$", re.IGNORECASE)
_PHRASE = r"([^.,;?!\n]{0,100})"
_GOAL_PATTERNS = (
    re.compile(r"\b(?:maximi[sz]\w*|minimi[sz]\w*|reduce|increase)\b" + _PHRASE, re.IGNORECASE),
    re.compile(
        r"(\w+)\s+(?:is|are)\s+(?:a\s+)?(?:maximum|minimum|maximi[sz]ed|minimi[sz]ed)\b", re.IGNORECASE
    ),
    re.compile(
        r"\b(?:smallest|largest|lowest|highest|fewest|greatest|maximum|minimum|(?<!at\s)least|(?<!at\s)most)\b"
        + _PHRASE,
        re.IGNORECASE,
    ),
)


def _keyword_score(key: str) -> int:
    # "radius of the cylinder that minimizes the cost" -> "radius of the cylinder"
    head = _CLAUSE.sub("", key)
    if _STRONG.search(head):
        return 2
    return 1 if _WEAK.search(head) else 0


def _goal_phrase(question: str) -> list[str]:
    for pattern in _GOAL_PATTERNS:
        matches = pattern.findall(question)
        if matches:
            return tokens(matches[-1])
    return []


def _phrase_score(key: str, goal: set[str]) -> int:
    key_t = list(dict.fromkeys(tokens(key)))
    overlap = len(goal & set(key_t))
    head_ok = bool(key_t) and key_t[0] in goal  # "length of the rope" -> "length"
    return overlap if head_ok or overlap * 2 > len(key_t) else 0


def _phrase_choice(question: str, keys: list[str]) -> str | None:
    goal = set(_goal_phrase(question))
    if not goal:
        return None
    scored = [_phrase_score(k, goal) for k in keys]
    best = max(scored)
    if best == 0:
        return None
    tied = [k for k, s in zip(keys, scored, strict=True) if s == best]
    if len(tied) == 1:
        return tied[0]
    return keys[-1] if keys[-1] in tied and len(keys) >= 3 else None


def guess_objective_key(question: str, keys: list[str]) -> str | None:
    """Pick the objective among OptiBench result labels; None when it cannot be told.

    1. a single key is the objective; 2. labels whose head (before a that/to/for clause)
    says total/maximum/minimum/profit/cost/... win, ties -> the last; 3. otherwise match
    the goal phrase of the question ("maximize the number of meals delivered").
    """
    if not keys:
        return None
    if len(keys) == 1:
        return keys[0]
    scores = [_keyword_score(k) for k in keys]
    best = max(scores)
    if best > 0:
        return [k for k, s in zip(keys, scores, strict=True) if s == best][-1]
    return _phrase_choice(question, keys)


# --------------------------------------------------------------------------- record builders


def _text(rec: dict[str, Any], *fields: str) -> str:
    for name in fields:
        value = rec.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise SkipRecord("empty question", f"no text in {'/'.join(fields)}")


def _native_id(value: Any, fallback: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return str(fallback)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_results(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise SkipRecord("unparseable results", raw[:80]) from None
    if not isinstance(raw, dict):
        raise SkipRecord("unparseable results", repr(raw)[:80])
    if not raw:
        raise SkipRecord("missing answer", "empty results")
    return raw


def build_optibench(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """OptiBench schema: index, question, type, results {label: numeric string}."""
    question = _text(rec, "question")
    results = _parse_results(rec.get("results"))
    answers: dict[str, float | None] = {}
    for key, raw in results.items():
        value = parse_number(raw)
        if value is None:
            raise SkipRecord("non-numeric reference value", f"{key}={raw!r}")
        answers[str(key).strip()] = value
    keys = list(answers)
    otype = str(rec.get("type", "")).strip()
    ptype = otype if otype in OPTIBENCH_TYPES else make_ptype("unknown", question)
    native = _native_id(rec.get("index"), rec_no - 1)
    return Problem(
        id=f"{dataset}:{native}",
        text=question,
        answers=answers,
        objective_key=guess_objective_key(question, keys),
        ptype=ptype,
        source=dataset,
        extra={"index": native, "type": otype, "raw_results": results},
    )


def build_llmopt(lin: str, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """LLMOPT schema: question, answer (float, 2-dp rounded), ori, index."""
    question = _text(rec, "question")
    answers, infeasible = _objective_answers(rec.get("answer"))
    native = _native_id(rec.get("index"), rec_no)
    return Problem(
        id=f"{dataset}:{native}",
        text=question,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype(lin, question),
        source=dataset,
        extra={"index": native, "ori": rec.get("ori"), "raw_answer": rec.get("answer")},
    )


def build_orlm(lin: str, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """ORLM/SIRL schema: en_question, en_answer (+ id, difficulty, question_type, ...)."""
    question = _text(rec, "en_question", "question")
    answers, infeasible = _objective_answers(rec.get("en_answer"))
    qtype = rec.get("question_type")
    lin = linearity(qtype) if qtype else lin
    native = _native_id(rec.get("id"), rec_no)
    extra = {k: rec[k] for k in ("difficulty", "question_type", "is_checked") if k in rec}
    original = rec.get("original_answer", rec.get("orginal_answer"))
    if original is not None:
        extra["original_answer"] = original
    extra["raw_answer"] = rec.get("en_answer")
    return Problem(
        id=f"{dataset}:{native}",
        text=question,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype(lin, question),
        source=dataset,
        extra=extra,
    )


def build_mamo(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """MAMO schema: id, Question, Answer (string), Category, Type."""
    question = _text(rec, "Question", "question")
    answers, infeasible = _objective_answers(rec.get("Answer"))
    native = _native_id(rec.get("id"), rec_no)
    return Problem(
        id=f"{dataset}:{native}",
        text=question,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype("linear", question),
        source=dataset,
        extra={"type": rec.get("Type"), "raw_answer": rec.get("Answer")},
    )


def _first_sample_input(rec: dict[str, Any]) -> Any:
    samples = rec.get("samples")
    if isinstance(samples, list) and samples and isinstance(samples[0], dict):
        return samples[0].get("input")
    return None


def build_samples(append_data: bool, dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """Chain-of-Experts schema: name, description, samples [{input, output}], gt_model, answer.

    ComplexOR descriptions are abstract, so the first sample's input data is appended;
    in the LLM4OR NL4Opt copy the sample input is the optimal solution (kept in ``extra``).
    """
    desc = _text(rec, "description", "question")
    answers, infeasible = _objective_answers(rec.get("answer"))
    data = _first_sample_input(rec)
    text = desc
    if append_data and data is not None:
        text = f"{desc}\n\nInput data (JSON):\n{json.dumps(data)}"
    native = _native_id(rec.get("name", rec.get("id")), rec_no)
    extra: dict[str, Any] = {"gt_model": rec.get("gt_model"), "raw_answer": rec.get("answer")}
    extra["data" if append_data else "solution"] = data
    return Problem(
        id=f"{dataset}:{native}",
        text=text,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype("linear", desc),
        source=dataset,
        extra=extra,
    )


def build_nlp4lp(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """NLP4LP schema: id, description, parameters, problem_info, solution, answer."""
    desc = _text(rec, "description")
    raw = rec.get("answer")
    solution = rec.get("solution") if isinstance(rec.get("solution"), dict) else {}
    if raw is None:
        raw = solution.get("objective")
    answers, infeasible = _objective_answers(raw)
    native = _native_id(rec.get("id"), rec_no)
    return Problem(
        id=f"{dataset}:{native}",
        text=desc,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype("linear", desc),
        source=dataset,
        extra={
            "parameters": rec.get("parameters"),
            "solution": solution,
            "problem_info": rec.get("problem_info"),
        },
    )


def build_orthought(types: dict[str, str], dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
    """ORThought schema: id, question, gt_model, answer {status, obj} (+ samples for ComplexOR)."""
    question = _text(rec, "question")
    answers, infeasible = _objective_answers(rec.get("answer"))
    native = _native_id(rec.get("id"), rec_no)
    data = _first_sample_input(rec)
    text = question if data is None else f"{question}\n\nInput data (JSON):\n{json.dumps(data)}"
    status = str((rec.get("answer") or {}).get("status", "")).strip().lower().replace(" ", "_")
    return Problem(
        id=f"{dataset}:{native}",
        text=text,
        answers=answers,
        infeasible=infeasible,
        ptype=make_ptype(linearity(types.get(native)), question),
        source=dataset,
        extra={
            "gt_model": rec.get("gt_model"),
            "reference_status": status,
            "problem_type": types.get(native),
        },
    )


# --------------------------------------------------------------------------- generic loading


def _require(path: Path) -> Path:
    if not path.exists():
        raise DatasetError(f"benchmark file missing: {path} (is the shared data directory complete?)")
    return path


def load_records(dataset: str, path: Path, build: Builder) -> ProblemSet:
    """Read one file with ``build`` per record; skip and report bad records."""
    report = LoadReport(dataset=dataset, files=[str(path)])
    problems: list[Problem] = []
    seen: Counter[str] = Counter()
    for rec_no, rec in read_records(_require(path), report):
        report.records += 1
        ref = f"{path.name}:{rec_no}"
        if not isinstance(rec, dict):
            report.skip(ref, "not an object", type(rec).__name__)
            continue
        try:
            problem = build(dataset, rec_no, rec)
        except SkipRecord as skip:
            report.skip(ref, skip.reason, skip.detail)
            continue
        seen[problem.id] += 1
        if seen[problem.id] > 1:
            report.notes.append(f"duplicate id {problem.id} renamed")
            problem.id = f"{problem.id}#{seen[problem.id]}"
        problem.extra.setdefault("record", ref)
        problems.append(problem)
    report.loaded = len(problems)
    if report.skipped:
        log.warning("%s", report.summary())
    return ProblemSet(problems, report)


def load_optibench_file(path: str | Path, dataset: str = "optibench") -> ProblemSet:
    """Load any OptiBench-schema JSON / JSON-Lines file (e.g. the repo's tiny sample)."""
    return load_records(dataset, Path(path), build_optibench)


@dataclass(frozen=True)
class Loader:
    """A registered dataset: where it lives and how to read it."""

    name: str
    relpath: str
    description: str
    build: Builder | None = None
    custom: Callable[[Loader, Path], ProblemSet] | None = None

    def __call__(self, data_dir: Path) -> ProblemSet:
        """Load the dataset from the resolved data directory."""
        if self.custom is not None:
            return self.custom(self, data_dir)
        assert self.build is not None
        return load_records(self.name, data_dir / self.relpath, self.build)


def _partial(fn: Callable[..., Problem], *args: Any) -> Builder:
    def build(dataset: str, rec_no: int, rec: dict[str, Any]) -> Problem:
        return fn(*args, dataset, rec_no, rec)

    return build


def _orthought_loader(summary: str) -> Callable[[Loader, Path], ProblemSet]:
    def load(loader: Loader, data_dir: Path) -> ProblemSet:
        path = data_dir / "orthought" / summary
        types = {}
        if path.exists():
            types = {k: v.get("problem_type") for k, v in json.loads(path.read_text()).items()}
        return load_records(loader.name, data_dir / loader.relpath, _partial(build_orthought, types))

    return load


# --------------------------------------------------------------------------- MIPLIB


def read_solu(path: Path) -> list[tuple[str, str, float | None]]:
    """Parse a MIPLIB ``.solu`` file into (status, name, value) rows."""
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("="):
            value = parse_number(parts[2]) if len(parts) > 2 else None
            rows.append((parts[0].strip("="), parts[1], value))
    return rows


def solu_optima(path: Path) -> dict[str, float | None]:
    """{instance: reference optimum} from a ``.solu`` file, None for ``=inf=``; other statuses left out."""
    return {name: (value if status == "opt" else None) for status, name, value in read_solu(path)
            if status in ("opt", "inf")}


def _solutions_csv(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {row["name"]: row for row in csv.DictReader(fh)}


def _mps_problem(
    loader: Loader, root: Path, status: str, name: str, value: float | None, meta: dict
) -> Problem:
    mps = next(
        (
            p
            for p in (root / "instances" / f"{name}.mps.gz", root / "instances" / f"{name}.mps")
            if p.exists()
        ),
        None,
    )
    if mps is None:
        raise SkipRecord("missing mps file", name)
    if status in {"opt", "best"} and value is not None:
        answers, infeasible = {OBJECTIVE_KEY: value}, False
    elif status == "inf":
        answers, infeasible = {OBJECTIVE_KEY: None}, True
    else:
        raise SkipRecord(f"unscorable reference ({status})", name)
    extra = {"mps_path": str(mps), "solu_status": status}
    extra.update({k: meta[k] for k in ("miplib2017_set", "tier", "highs_solve_s", "miplib_nl") if k in meta})
    return Problem(
        id=f"{loader.name}:{name}",
        text="",
        answers=answers,
        infeasible=infeasible,
        ptype="linear-mps",
        source=loader.name,
        extra=extra,
    )


def load_miplib_mps(loader: Loader, data_dir: Path) -> ProblemSet:
    """One problem per instance in ``miplib/selected.solu`` with its MPS path."""
    root = data_dir / "miplib"
    solu = _require(root / "selected.solu")
    report = LoadReport(dataset=loader.name, files=[str(solu)])
    meta = _solutions_csv(root / "solutions.csv")
    problems = []
    for status, name, value in read_solu(solu):
        report.records += 1
        try:
            problems.append(_mps_problem(loader, root, status, name, value, meta.get(name, {})))
        except SkipRecord as skip:
            report.skip(name, skip.reason, skip.detail)
    report.loaded = len(problems)
    return ProblemSet(problems, report)


def _nl_caveats(nl_value: float, solu_value: float | None) -> list[str]:
    if solu_value is None:
        return ["no .solu reference to cross-check"]
    if math.isclose(nl_value, solu_value, rel_tol=1e-6, abs_tol=1e-6):
        return []
    if math.isclose(nl_value, -solu_value, rel_tol=1e-6):
        return [
            f"optimal_value {nl_value} has the opposite sign of the .solu value {solu_value}: "
            "the NL text states the objective with the opposite sense; normalise before comparing"
        ]
    return [f"optimal_value {nl_value} disagrees with the .solu value {solu_value}: treat as suspect"]


def _nl_text(inst: dict[str, Any]) -> str:
    parts = [str(inst.get("abstract_problem", "")).strip()]
    if inst.get("parameters"):
        parts.append("Parameters (JSON):\n" + json.dumps(inst["parameters"]))
    files = inst.get("files") or {}
    if files:
        lines = [
            f"- {Path(f.get('path', '')).stem} ({f.get('path', '')}): {f.get('description', '')}"
            for f in files.values()
            if isinstance(f, dict)
        ]
        parts.append("Data files:\n" + "\n".join(lines))
    return "\n\n".join(p for p in parts if p)


def _nl_problem(loader: Loader, folder: Path, solu: dict[str, float | None]) -> Problem:
    path = folder / "instance.json"
    if not path.exists():
        raise SkipRecord("missing instance.json", folder.name)
    inst = json.loads(path.read_text())
    if not str(inst.get("abstract_problem", "")).strip():
        raise SkipRecord("empty question", folder.name)
    value = parse_number(inst.get("optimal_value"))
    if value is None:
        raise SkipRecord("unparseable answer", repr(inst.get("optimal_value")))
    tables = {p.stem: str(p) for p in sorted((folder / "data").glob("*.csv"))}
    listed = {Path(f.get("path", "")).name for f in (inst.get("files") or {}).values() if isinstance(f, dict)}
    missing = sorted(n for n in listed if not (folder / "data" / n).exists())
    return Problem(
        id=f"{loader.name}:{folder.name}",
        text=_nl_text(inst),
        tables=tables,
        answers={OBJECTIVE_KEY: value},
        ptype="linear-table",
        source=loader.name,
        extra={
            "instance": folder.name,
            "solu_value": solu.get(folder.name),
            "caveats": _nl_caveats(value, solu.get(folder.name)),
            "missing_tables": missing,
            "has_model_md": (folder / "model.md").exists(),
            "parameters": inst.get("parameters"),
        },
    )


def load_miplib_nl(loader: Loader, data_dir: Path) -> ProblemSet:
    """The MIPLIB-NL texts with their CSV tables; answers from ``optimal_value``."""
    root = data_dir / "miplib"
    nl_root = _require(root / "miplib_nl")
    report = LoadReport(dataset=loader.name, files=[str(nl_root)])
    solu_path = root / "selected.solu"
    solu = {name: value for _, name, value in read_solu(solu_path)} if solu_path.exists() else {}
    problems = []
    for folder in sorted(p for p in nl_root.iterdir() if p.is_dir()):
        report.records += 1
        try:
            problems.append(_nl_problem(loader, folder, solu))
        except SkipRecord as skip:
            report.skip(folder.name, skip.reason, skip.detail)
    report.loaded = len(problems)
    report.notes.extend(f"{p.id}: {c}" for p in problems for c in p.extra["caveats"])
    return ProblemSet(problems, report)


# --------------------------------------------------------------------------- registry


def _registry() -> dict[str, Loader]:
    llmopt = {
        "nl4opt": ("nl4opt_test.jsonl", "linear"),
        "mamo-easy": ("mamo_easy_test.jsonl", "linear"),
        "mamo-complex": ("mamo_complex_test.jsonl", "linear"),
        "nlp4lp": ("nlp4lp.jsonl", "linear"),
        "complexor": ("complexor.jsonl", "linear"),
        "industryor": ("industryor.jsonl", "unknown"),
        "task3": ("task3_test.jsonl", "unknown"),
        "optibench": ("optibench.jsonl", "unknown"),
    }
    sirl = {
        "nl4opt": ("NL4OPT.jsonl", "linear"),
        "mamo-easy": ("MAMO_EasyLP.json", "linear"),
        "mamo-easy-fixed": ("MAMO_EasyLP_fixed.jsonl", "linear"),
        "mamo-complex": ("MAMO_ComplexLP.json", "linear"),
        "mamo-complex-fixed": ("MAMO_ComplexLP_fixed.jsonl", "linear"),
        "industryor-fixedv2": ("IndustryOR_fixedV2.json", "unknown"),
        "optibench": ("OptiBench.jsonl", "unknown"),
    }
    ob = "optibench_resocratic"
    loaders = [
        Loader("optibench", f"{ob}/OptiBench.json", "OptiBench 605, multi-value results", build_optibench),
        Loader(
            "nl4opt-e", f"{ob}/NL4OPT-E.json", "NL4Opt test re-annotated (ReSocratic) 289", build_optibench
        ),
        Loader("mamo-easy", "mamo/mamo_easy_lp.jsonl", "MAMO EasyLP original 652", build_mamo),
        Loader("mamo-complex", "mamo/mamo_complex_lp.jsonl", "MAMO ComplexLP original 211", build_mamo),
        Loader(
            "nl4opt",
            "llmopt_testsets/nl4opt_test.jsonl",
            "NL4Opt test, LLMOPT copy 230",
            _partial(build_llmopt, "linear"),
        ),
        Loader(
            "industryor",
            "industryor/IndustryOR_original_v1.jsonl",
            "IndustryOR v1 (ORLM) 100",
            _partial(build_orlm, "unknown"),
        ),
        Loader(
            "industryor-v2",
            "industryor/IndustryOR_hf_v2_or_llm_agent.jsonl",
            "IndustryOR later revision 100",
            _partial(build_orlm, "unknown"),
        ),
        Loader("nlp4lp", "nlp4lp/nlp4lp_full269.jsonl", "NLP4LP (OptiMUS) 269", build_nlp4lp),
        Loader(
            "complexor",
            "complexor/complexor_coe18.jsonl",
            "ComplexOR (Chain-of-Experts) 18",
            _partial(build_samples, True),
        ),
        Loader(
            "complexor-44",
            "complexor/complexor_llm4or44.jsonl",
            "ComplexOR LLM4OR superset 44",
            _partial(build_samples, True),
        ),
        Loader(
            "complexor-orthought",
            "complexor/complexor_orthought18.jsonl",
            "ComplexOR, ORThought-corrected 18",
            custom=_orthought_loader("summary_complexor.json"),
        ),
        Loader(
            "orthought-industryor",
            "orthought/industryor_with_models.jsonl",
            "IndustryOR, ORThought-corrected 83",
            custom=_orthought_loader("summary_industryor.json"),
        ),
        Loader(
            "orthought-nlp4lp",
            "orthought/nlp4lp_with_models.jsonl",
            "NLP4LP, ORThought-corrected 264",
            custom=_orthought_loader("summary_nlp4lp.json"),
        ),
        Loader(
            "miplib-mps",
            "miplib/selected.solu",
            "34 MIPLIB 2017 instances (MPS) with .solu references",
            custom=load_miplib_mps,
        ),
        Loader("miplib-nl", "miplib/miplib_nl", "15 MIPLIB-NL texts with CSV tables", custom=load_miplib_nl),
    ]
    for short, (fname, lin) in llmopt.items():
        loaders.append(
            Loader(
                f"llmopt-{short}",
                f"llmopt_testsets/{fname}",
                f"LLMOPT test set {fname}",
                _partial(build_llmopt, lin),
            )
        )
    for short, (fname, lin) in sirl.items():
        loaders.append(
            Loader(f"sirl-{short}", f"sirl_fixed/{fname}", f"SIRL copy {fname}", _partial(build_orlm, lin))
        )
    clean = "llm4or_clean"
    loaders += [
        Loader(
            "clean-industryor",
            f"{clean}/IndustryOR.jsonl",
            "IndustryOR, LLM4OR-cleaned 42",
            _partial(build_orlm, "unknown"),
        ),
        Loader(
            "clean-mamo-easy",
            f"{clean}/Mamo_easy_lp_clean.jsonl",
            "MAMO EasyLP, LLM4OR-cleaned 545",
            build_mamo,
        ),
        Loader(
            "clean-mamo-complex",
            f"{clean}/Mamo_complex_lp_clean.jsonl",
            "MAMO ComplexLP, LLM4OR-cleaned 111",
            build_mamo,
        ),
        Loader(
            "clean-resocratic", f"{clean}/ReSocratic.jsonl", "OptiBench, LLM4OR-cleaned 403", build_optibench
        ),
        Loader(
            "clean-nl4opt",
            f"{clean}/nl4opt_clean.jsonl",
            "NL4Opt, LLM4OR-cleaned 214",
            _partial(build_samples, False),
        ),
        Loader("clean-nlp4lp", f"{clean}/nlp4lp_clean.jsonl", "NLP4LP, LLM4OR-cleaned 178", build_nlp4lp),
        Loader(
            "clean-complexor",
            f"{clean}/complexor_clean.jsonl",
            "ComplexOR, LLM4OR-cleaned 18",
            _partial(build_samples, True),
        ),
    ]
    return {loader.name: loader for loader in loaders}


DATASETS: dict[str, Loader] = _registry()


def list_datasets() -> list[str]:
    """Names of all registered datasets, sorted."""
    return sorted(DATASETS)


def load_dataset(name: str, data_dir: str | Path | None = None) -> ProblemSet:
    """Load a registered dataset; ``.report`` on the result lists skipped records."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(list_datasets())}")
    return DATASETS[name](resolve_data_dir(data_dir))
