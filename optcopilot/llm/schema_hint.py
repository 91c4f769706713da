"""Prompt-side schema instructions for backends that cannot constrain decoding to a JSON schema."""

from __future__ import annotations

import json
from typing import Any

from optcopilot.llm.base import Message


def with_schema_hint(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """``messages`` plus a final system message asking for JSON that fits ``schema``."""
    hint = (
        "Reply with a single JSON object only (no prose, no code fences) that conforms to this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":"), sort_keys=True)
    )
    return [*messages, {"role": "system", "content": hint}]
