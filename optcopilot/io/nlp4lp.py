"""NLP4LP (OptiMUS) reference formulations as IR `Formulation`s.

Two machine-readable sources describe each of the 269 items, and both are read with `ast`, never run:

- `problem_info` (in `nlp4lp/nlp4lp_full269.jsonl`): parameters and variables with shapes, and one gurobipy
  snippet per constraint and for the objective (`import_nlp4lp`). Its variable `type` says "continuous"
  for every variable, and some items write the type into the shape (`["Integer"]`); we read those words as
  the type they name.
- the whole OptiMUS program that produced the item's `answer` (ORThought's copy of the same items,
  `orthought/nlp4lp.csv`, column `optimus_code`; `import_nlp4lp_program`): it declares variables with
  `addVars`/`addVar` and their `vtype`/`lb`/`ub`, so it carries the integrality and bounds the answer
  was solved with.

`iter_nlp4lp_references` yields one `ReferenceItem` per item: the program's formulation where it imports,
otherwise the `problem_info` one, otherwise the reason neither imports.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optcopilot.io.data_dir import DatasetError, resolve_data_dir
from optcopilot.io.gurobipy_reader import GurobipyReader, SnippetError
from optcopilot.io.nlp4lp_data import ImportFailure, add_count_set, build_data
from optcopilot.io.optimus_program import program_formulation
from optcopilot.ir.errors import FormulationError
from optcopilot.ir.model import Formulation, VarDef
from optcopilot.ir.validate import parse_formulation

__all__ = ["ImportFailure", "LabelError", "ReferenceItem", "import_nlp4lp", "import_nlp4lp_program",
           "iter_nlp4lp_references", "known_label_errors", "orthought_programs"]

NLP4LP_FILE = Path("nlp4lp") / "nlp4lp_full269.jsonl"
PROGRAMS_FILE = Path("orthought") / "nlp4lp.csv"
WRONG_FILE = Path("orthought") / "nlp4lp_wrong.csv"
_TYPE_WORDS = {"integer": "integer", "binary": "binary", "continuous": "continuous", "nonnegative": None,
               "non-negative": None, "nonnegativeinteger": "integer", "nonnegative integer": "integer"}


@dataclass
class LabelError:
    """ORThought's note that an item's answer is wrong (`nlp4lp_wrong.csv`)."""

    note: str
    corrected: float | None


@dataclass
class ReferenceItem:
    id: str
    text: str
    formulation: Formulation | None
    answer: float | None
    failure: str | None
    source: str = ""  # "program" or "problem_info" (where the formulation came from)
    label_error: LabelError | None = None


def import_nlp4lp(record: dict[str, Any]) -> Formulation:
    """The `problem_info` formulation of one NLP4LP record; ImportFailure with a located reason."""
    item_id = str(record.get("id", "?"))
    info = record.get("problem_info") or {}
    if not info.get("objective") or "variables" not in info:
        raise ImportFailure(item_id, "problem_info is empty (no structured formulation)")
    data = record.get("parameters") or {}
    params = info.get("parameters") or {}
    model = build_data(item_id, {n: list(p.get("shape") or []) for n, p in params.items()}, data,
                       {n: p.get("description", "") for n, p in params.items()}, set(info["variables"]))
    taken = set(params) | set(info["variables"])
    variables: list[VarDef] = []
    for name, spec in info["variables"].items():
        domain = _DOMAIN.get(str(spec.get("type", "continuous")).lower())
        if domain is None:
            raise ImportFailure(item_id, f"variable {name!r}: unknown type {spec.get('type')!r}")
        dims: list[str] = []
        for entry in spec.get("shape") or []:
            word = str(entry).strip().lower()
            if word in _TYPE_WORDS:  # a type written into the shape, e.g. ["Integer"]
                domain = _TYPE_WORDS[word] or domain
            elif isinstance(entry, str) and entry in data:
                add_count_set(model, item_id, entry, data, taken)
                dims.append(entry)
            else:
                raise ImportFailure(item_id, f"variable {name!r}: shape entry {entry!r} is not a count parameter")
        model.symbols.variables[name] = dims
        variables.append(VarDef(name=name, description=str(spec.get("description", "")), domain=domain,
                                index=[model.symbols.dim_sets[d] for d in dims],
                                ub=1.0 if domain == "binary" else None))
    reader = GurobipyReader(model.symbols)
    for number, constraint in enumerate(info.get("constraints") or [], start=1):
        code = _gurobipy_code(constraint)
        if code is None:
            raise ImportFailure(item_id, f"constraint {number}: no gurobipy code")
        try:
            reader.snippet(code, f"constraint {number}")
        except SnippetError as exc:
            raise ImportFailure(item_id, str(exc)) from None
    code = _gurobipy_code(info["objective"])
    if code is None:
        raise ImportFailure(item_id, "objective: no gurobipy code")
    try:
        reader.snippet(code, "objective")
    except SnippetError as exc:
        raise ImportFailure(item_id, str(exc)) from None
    if reader.pieces.objective is None:
        raise ImportFailure(item_id, "objective: the code does not call setObjective")
    formulation = Formulation(name=f"nlp4lp_{item_id}", description=str(info.get("parametrized_description", "")),
                              sets=model.sets, parameters=model.params, variables=variables,
                              objective=reader.pieces.objective, constraints=reader.pieces.constraints)
    return checked(item_id, formulation)


_DOMAIN = {"continuous": "continuous", "integer": "integer", "binary": "binary"}


def import_nlp4lp_program(record: dict[str, Any], program: str) -> Formulation:
    """The formulation of the OptiMUS program that produced `record`'s answer; ImportFailure otherwise."""
    item_id = str(record.get("id", "?"))
    info = record.get("problem_info") or {}
    shapes = {n: list(p.get("shape") or []) for n, p in (info.get("parameters") or {}).items()}
    formulation = program_formulation(item_id, program, record.get("parameters") or {}, shapes)
    formulation.description = str(info.get("parametrized_description", ""))
    return checked(item_id, formulation)


def checked(item_id: str, formulation: Formulation) -> Formulation:
    """Static IR checks; their first issues become the failure reason."""
    try:
        parse_formulation(formulation)
    except FormulationError as exc:
        raise ImportFailure(item_id, f"the translated model is invalid: {exc}") from None
    return formulation


def _gurobipy_code(element: dict[str, Any]) -> str | None:
    code = element.get("code")
    if isinstance(code, dict):
        code = code.get("gurobipy")
    return code if isinstance(code, str) and code.strip() else None


# ---- dataset files -------------------------------------------------------------------------------------
def _data_dir(explicit: str | Path | None) -> Path:
    return resolve_data_dir(explicit)


def _orthought_id(item_id: str) -> str:
    return f"prob_{int(item_id):03d}" if item_id.isdigit() else item_id


def orthought_programs(data_dir: str | Path | None = None) -> dict[str, str]:
    """NLP4LP id -> OptiMUS program text (ORThought's `nlp4lp.csv`); empty when the file is absent."""
    path = _data_dir(data_dir) / PROGRAMS_FILE
    if not path.is_file():
        return {}
    csv.field_size_limit(sys.maxsize)
    out: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = row.get("id", "")
            if key.startswith("prob_") and key[5:].isdigit() and row.get("optimus_code"):
                out[str(int(key[5:]))] = row["optimus_code"]
    return out


def known_label_errors(data_dir: str | Path | None = None) -> dict[str, LabelError]:
    """NLP4LP id -> ORThought's note that its answer is wrong (`nlp4lp_wrong.csv`)."""
    path = _data_dir(data_dir) / WRONG_FILE
    if not path.is_file():
        return {}
    out: dict[str, LabelError] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or not row[0].startswith("prob_") or not row[0][5:].isdigit():
                continue
            try:
                corrected = float(row[1]) if row[1].strip() else None
            except ValueError:
                corrected = None
            out[str(int(row[0][5:]))] = LabelError(note=",".join(row[3:]).strip(","), corrected=corrected)
    return out


def _answer(record: dict[str, Any]) -> float | None:
    value = record.get("answer")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def reference_item(record: dict[str, Any], program: str | None = None,
                   label_error: LabelError | None = None) -> ReferenceItem:
    """One item: the program's formulation when it imports, else problem_info's, else both reasons."""
    item_id = str(record.get("id", "?"))
    base = {"id": item_id, "text": str(record.get("description", "")), "answer": _answer(record),
            "label_error": label_error}
    reasons: list[str] = []
    if program:
        try:
            return ReferenceItem(formulation=import_nlp4lp_program(record, program), failure=None,
                                 source="program", **base)
        except ImportFailure as exc:
            reasons.append(f"program: {exc.reason}")
    try:
        return ReferenceItem(formulation=import_nlp4lp(record), failure=None, source="problem_info", **base)
    except ImportFailure as exc:
        reasons.append(f"problem_info: {exc.reason}")
    return ReferenceItem(formulation=None, failure="; ".join(reasons), **base)


def iter_nlp4lp_references(path: str | Path | None = None, data_dir: str | Path | None = None,
                           use_programs: bool = True) -> Iterator[ReferenceItem]:
    """Every NLP4LP item as a ReferenceItem (`path` defaults to the shared `nlp4lp_full269.jsonl`)."""
    file = Path(path) if path is not None else _data_dir(data_dir) / NLP4LP_FILE
    try:
        programs = orthought_programs(data_dir) if use_programs else {}
        errors = known_label_errors(data_dir)
    except DatasetError:
        if path is None:
            raise
        programs, errors = {}, {}  # an explicit file without the shared ORThought copies
    with open(file, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            item_id = str(record.get("id", "?"))
            yield reference_item(record, programs.get(item_id), errors.get(item_id))
