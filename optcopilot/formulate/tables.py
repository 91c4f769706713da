"""CSV tables → IR sets and parameters, loaded by our code (never by the LLM).

A table's first column labels its rows when it is not numeric (or is named like an id); the row labels
become a set named after the file (``products.csv`` → set ``Products``). Every numeric column becomes a
parameter indexed by that set, named after its header (``Unit cost`` → ``unit_cost``). A table whose first
column is numeric gets a 1-based row set. The LLM only sees the names and shapes (``describe_tables``).
"""

from __future__ import annotations

import io
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from optcopilot.ir.expr import BUILTIN_NAMES
from optcopilot.ir.model import ParamDef, SetDef

MAX_TABLE_BYTES = 5_000_000
_ID_HEADERS = re.compile(r"^(id|name|item|product|key|label|index|#|period|week|day|month|year|t)$", re.IGNORECASE)


class TableError(ValueError):
    """A table cannot be read or turned into sets/parameters; the message names the table."""


@dataclass
class TableData:
    """Sets and parameters built from the tables, plus the short description shown to the LLM."""

    sets: list[SetDef] = field(default_factory=list)
    parameters: list[ParamDef] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.sets} | {p.name for p in self.parameters}

    def describe(self) -> str:
        return "\n".join(self.lines)

    def numbers(self) -> list[float]:
        """Every number in the tables' parameters (they count as the problem's own numbers)."""
        out: list[float] = []
        stack: list[object] = [p.value for p in self.parameters]
        while stack:
            value = stack.pop()
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                out.append(float(value))
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value.values())
        return out


def identifier(text: str, *, capital: bool = False) -> str:
    """A safe IR name from a header or file stem (`Unit cost ($)` → `unit_cost`)."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) if capital else "_".join(w.lower() for w in words)
    if not name or name[0].isdigit():
        name = ("T" if capital else "c_") + name
    if keyword.iskeyword(name) or name in BUILTIN_NAMES:
        name += "_"
    return name


def _read_text(source: str | Path) -> tuple[str, str]:
    """(name hint, CSV text): a Path or an existing file path is read, other strings are CSV text."""
    if isinstance(source, Path) or ("\n" not in source and len(source) < 4096 and Path(source).is_file()):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_TABLE_BYTES:
                raise TableError(f"{path}: table is {size} bytes, larger than the {MAX_TABLE_BYTES}-byte limit")
            return path.stem, path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableError(f"{path}: not UTF-8 text") from None
        except OSError as exc:
            raise TableError(f"{path}: cannot read ({exc.strerror})") from None
    if len(source) > MAX_TABLE_BYTES:
        raise TableError(f"table is {len(source)} characters, larger than the {MAX_TABLE_BYTES} limit")
    return "", source


def load_tables(tables: dict[str, str | Path] | None) -> TableData:
    """Read every table (name → CSV path or CSV text) into sets and parameters."""
    import pandas as pd

    out = TableData()
    taken: set[str] = set()
    for key, source in (tables or {}).items():
        hint, text = _read_text(source)
        set_name = _unique(identifier(key or hint or "Rows", capital=True), taken)
        try:
            frame = pd.read_csv(io.StringIO(text), skipinitialspace=True)
        except (ValueError, pd.errors.ParserError) as exc:
            raise TableError(f"table {key!r}: not a readable CSV ({str(exc).splitlines()[0]})") from None
        if frame.empty or frame.shape[1] == 0:
            raise TableError(f"table {key!r}: no rows")
        first = frame.columns[0]
        labelled = (not pd.api.types.is_numeric_dtype(frame[first])) or bool(_ID_HEADERS.match(str(first).strip()))
        if labelled:
            labels = [_element(v) for v in frame[first].tolist()]
            if len(set(labels)) != len(labels):
                raise TableError(f"table {key!r}: row labels in column {first!r} are not unique")
            columns = list(frame.columns[1:])
            out.sets.append(SetDef(name=set_name, elements=labels, description=f"rows of {key} ({first})"))
            shown = ", ".join(str(v) for v in labels[:8]) + (", …" if len(labels) > 8 else "")
        else:
            labels = list(range(1, len(frame) + 1))
            columns = list(frame.columns)
            out.sets.append(SetDef(name=set_name, range=[1, len(frame)], description=f"rows of {key}"))
            shown = f"1..{len(frame)}"
        taken.add(set_name)
        out.lines.append(f"set {set_name} = {{{shown}}} ({len(labels)} elements, rows of table {key!r})")
        for col in columns:
            series = pd.to_numeric(frame[col], errors="coerce")
            if series.isna().all():
                continue
            pname = _unique(identifier(str(col)), taken)
            taken.add(pname)
            values = [None if v != v else float(v) for v in series.tolist()]  # NaN → missing
            value = {str(lab): v for lab, v in zip(labels, values, strict=True) if v is not None}
            out.parameters.append(ParamDef(name=pname, index=[set_name], value=value, default=0.0,
                                           description=f"column {col!r} of {key}"))
            sample = ", ".join(f"{lab}: {v:g}" for lab, v in zip(labels[:3], values[:3], strict=False)
                               if v is not None)
            out.lines.append(f"param {pname}[{set_name}] = column {str(col)!r} ({sample}{', …' if len(labels) > 3 else ''})")
    return out


def _element(value: object) -> str | int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    return str(value).strip()


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}{n}", n + 1
    return out
