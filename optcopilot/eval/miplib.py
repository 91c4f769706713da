"""MIPLIB: `.solu` reference files, the MPS instances (`miplib-mps`) and the MIPLIB-NL texts (`miplib-nl`)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from optcopilot.eval.answers import parse_number
from optcopilot.eval.problems import (
    OBJECTIVE_KEY,
    Loader,
    LoadReport,
    Problem,
    ProblemSet,
    SkipRecord,
    require_file,
)


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
    loader: Loader, root: Path, status: str, name: str, value: float | None, meta: dict[str, str]
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
    answers: dict[str, float | None]
    if status in {"opt", "best"} and value is not None:
        answers, infeasible = {OBJECTIVE_KEY: value}, False
    elif status == "inf":
        answers, infeasible = {OBJECTIVE_KEY: None}, True
    else:
        raise SkipRecord(f"unscorable reference ({status})", name)
    extra: dict[str, Any] = {"mps_path": str(mps), "solu_status": status}
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
    solu = require_file(root / "selected.solu")
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
    nl_root = require_file(root / "miplib_nl")
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

