"""LLM answers → IR: the DSL or JSON text parsed (never executed), tidied, with table data merged in."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from optcopilot.formulate.dsl import parse_dsl
from optcopilot.formulate.prompts import llm_json_to_formulation
from optcopilot.formulate.tables import TableData
from optcopilot.ir.model import Formulation


def parse_answer(text: str, surface: str, data: TableData | None = None) -> Formulation:
    """Turn an LLM answer into a Formulation (table data merged in); ValueError with a precise reason.

    A JSON object is read as the JSON surface whatever surface was asked for: other models (and scripted
    answers) may prefer it, and the content is declarative either way.
    """
    if surface == "dsl" and not _looks_like_json(text):
        formulation = parse_dsl(text)
    else:
        payload = _json_payload(text)
        try:
            formulation = llm_json_to_formulation(payload)
        except ValidationError as exc:
            raise ValueError(_pydantic_message(exc)) from None
    formulation = tidy(formulation)
    return merge_tables(formulation, data) if data is not None and data.names else formulation


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _looks_like_json(text: str) -> bool:
    body = re.sub(r"^```(?:json)?\s*", "", text.strip())
    return body.startswith("{")


def tidy(f: Formulation) -> Formulation:
    """Drop harmless slips: unused parameters/sets, parameters shadowing a variable, `[v]` scalar values."""
    var_names = {v.name for v in f.variables}
    texts = [f.objective.expression, *(c.expression for c in f.constraints), *(c.forall or "" for c in f.constraints),
             *(str(b) for v in f.variables for b in (v.lb, v.ub) if isinstance(b, str))]
    used = set(_IDENT.findall(" ".join(texts))) | {i for v in f.variables for i in v.index}
    params = []
    for p in f.parameters:
        if p.name in var_names or p.name not in used:
            continue
        if not p.index and isinstance(p.value, list) and len(p.value) == 1:
            p = p.model_copy(update={"value": p.value[0]})
        params.append(p)
    used |= {i for p in params for i in p.index}
    sets = [s for s in f.sets if s.name in used or any(s.name in (o.index or []) for o in f.sets)]
    return f.model_copy(update={"parameters": params, "sets": sets})


def _json_payload(text: str) -> Any:
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*\n(.*?)```", body, flags=re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        raise ValueError("the answer is empty; reply with the JSON model")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(body[start:end + 1])
            except json.JSONDecodeError:
                pass
        raise ValueError(f"the answer is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:4]:
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith(("function-", "union")))
        parts.append(f"{loc or 'model'}: {err['msg']}")
    return "invalid model structure: " + "; ".join(parts)


def merge_tables(formulation: Formulation, data: TableData) -> Formulation:
    """Our table sets/parameters replace any the LLM (re)defined under the same names."""
    names = data.names
    sets = [*data.sets, *(s for s in formulation.sets if s.name not in names)]
    params = [*data.parameters, *(p for p in formulation.parameters if p.name not in names)]
    return formulation.model_copy(update={"sets": sets, "parameters": params})
