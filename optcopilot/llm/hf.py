"""Local Hugging Face ``transformers`` backend (optional extra: ``pip install optcopilot[hf]``).

``hf:PATH`` loads a local model directory; ``hf:ORG/NAME`` may fetch from the Hub where a network exists.
Decoding is greedy at temperature 0; a schema is passed as a prompt instruction (no constrained decoding).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from optcopilot.llm.base import LLMError, LLMResponse, LLMTimeout, Message, check_messages
from optcopilot.llm.schema_hint import with_schema_hint

_MODELS: dict[tuple[str, str], tuple[Any, Any]] = {}
_MODELS_LOCK = threading.Lock()


def _import_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise LLMError("The hf backend needs transformers and torch: pip install 'optcopilot[hf]'.") from exc
    return transformers, torch


class HFBackend:
    """Chat with a causal LM through ``transformers`` using its chat template."""

    name = "hf"

    def __init__(
        self, model: str | Path, *, device: str | None = None, local_files_only: bool = False
    ) -> None:
        if not str(model):
            raise LLMError("The hf backend needs a model path or hub id: --llm hf:PATH_OR_ID.")
        path = Path(model).expanduser()
        self.model_id = str(path) if path.exists() else str(model)
        self.model = path.name if path.exists() else str(model)
        self.device = device
        self.local_files_only = local_files_only
        self._transformers, self._torch = _import_transformers()

    def _load(self) -> tuple[Any, Any]:
        device = self.device or ("cuda" if self._torch.cuda.is_available() else "cpu")
        key = (self.model_id, device)
        with _MODELS_LOCK:
            if key not in _MODELS:
                tf = self._transformers
                try:
                    tokenizer = tf.AutoTokenizer.from_pretrained(
                        self.model_id, local_files_only=self.local_files_only
                    )
                    model = tf.AutoModelForCausalLM.from_pretrained(
                        self.model_id, torch_dtype="auto", local_files_only=self.local_files_only
                    ).to(device)
                except (OSError, ValueError) as exc:
                    raise LLMError(
                        f"transformers could not load {self.model_id}: {exc}".splitlines()[0]
                    ) from exc
                model.eval()
                _MODELS[key] = (tokenizer, model)
            return _MODELS[key]

    continues_assistant = True  # grammar is not applied here; the pipeline's reader checks the text

    def chat(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 2048,
        seed: int | None = None,
        timeout: float | None = None,
        grammar: str | None = None,
    ) -> LLMResponse:
        """Generate a reply with the model's chat template; ``timeout`` bounds generation time."""
        check_messages(messages)
        tokenizer, model = self._load()
        if json_schema is not None:
            messages = with_schema_hint(messages, json_schema)
        start = time.monotonic()
        prefill = messages[-1]["role"] == "assistant"  # continue the assistant's partial message
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=not prefill, continue_final_message=prefill, return_tensors="pt",
            return_dict=True,
        ).to(model.device)
        options: dict[str, Any] = {"max_new_tokens": max_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            options["temperature"] = temperature
        if timeout is not None:
            options["max_time"] = timeout
        if seed is not None:
            self._transformers.set_seed(seed)
        if tokenizer.pad_token_id is None:
            options["pad_token_id"] = tokenizer.eos_token_id
        with self._torch.inference_mode():
            output = model.generate(**inputs, **options)
        seconds = time.monotonic() - start
        prompt_len = inputs["input_ids"].shape[1]
        new_tokens = output[0][prompt_len:]
        if timeout is not None and seconds >= timeout and len(new_tokens) < max_tokens:
            raise LLMTimeout(f"The hf model did not finish within {timeout:g} s.")
        return LLMResponse(
            text=tokenizer.decode(new_tokens, skip_special_tokens=True),
            backend=self.name,
            model=self.model,
            prompt_tokens=int(prompt_len),
            completion_tokens=len(new_tokens),
            seconds=seconds,
        )
