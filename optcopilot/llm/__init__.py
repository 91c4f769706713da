"""The LLM layer: one small chat interface (:class:`LLMBackend`) and several backends.

``make_backend(spec)`` builds one from ``local``, ``local:/path/model.gguf``, ``openai:MODEL``,
``hf:PATH_OR_ID`` or ``scripted:/path/answers.json`` (default: env ``OPTCOPILOT_LLM`` or ``local``).
Backend modules are imported lazily, so importing this package stays cheap.
"""

from optcopilot.llm.base import LLMBackend, LLMError, LLMResponse, LLMTimeout, Message
from optcopilot.llm.cache import CachedBackend
from optcopilot.llm.factory import BackendSpec, default_spec, make_backend, parse_spec
from optcopilot.llm.scripted import ScriptedBackend
from optcopilot.llm.weights import PREPARE_MESSAGE, ensure_embedded_model, is_embedded_model_ready

__all__ = [
    "PREPARE_MESSAGE",
    "BackendSpec",
    "CachedBackend",
    "LLMBackend",
    "LLMError",
    "LLMResponse",
    "LLMTimeout",
    "Message",
    "ScriptedBackend",
    "default_spec",
    "ensure_embedded_model",
    "is_embedded_model_ready",
    "make_backend",
    "parse_spec",
]
