"""What moves llama.cpp's prompt and generation speed on this machine (embedded model, xllamacpp).

    python benchmarks/bench_llama_settings.py [--repeats 2]

Each setting runs in its own process (a fresh model load): one greedy 100-token generation and one ~1,000-token
prompt, timed by llama.cpp itself. "same text" says whether the greedy generation is byte-identical to the
default's (a setting that changes answers at temperature 0 cannot become a default without a new accuracy run).
Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
import statistics
import subprocess
import sys
from typing import Any

SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("default (as shipped: flash attention auto, n_batch = n_ubatch = 512, repacked weights, f16 KV, 2 threads)",
     {}),
    ("flash attention on", {"fa": 1}),
    ("flash attention off", {"fa": 0}),
    ("n_ubatch 256", {"ubatch": 256}),
    ("n_batch 512, n_ubatch 128", {"ubatch": 128}),
    ("n_batch 2048, n_ubatch 2048", {"batch": 2048, "ubatch": 2048}),
    ("no repacked weights (no_extra_bufts)", {"nobufts": True}),
    ("no busy polling (poll 0)", {"poll": 0}),
    ("KV cache q8_0", {"ctk": 8}),
    ("1 thread", {"threads": 1}),
]
GENERATE = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
PROMPT = [{"role": "user", "content": "Summarize: " + " ".join(
    f"item {i} costs {i * 3} dollars and weighs {i % 7} kg;" for i in range(60))}]


def _server(cfg: dict[str, Any]) -> Any:
    import xllamacpp

    from optcopilot.llm.weights import ensure_embedded_model

    p = xllamacpp.CommonParams()
    p.model.path = str(ensure_embedded_model())
    p.n_ctx, p.n_parallel, p.verbosity, p.cache_ram_mib = 8192, 1, 0, 512
    p.n_batch, p.n_ubatch = cfg.get("batch", 512), cfg.get("ubatch", 512)
    threads = cfg.get("threads", 2)
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
    p.no_extra_bufts = cfg.get("nobufts", False)
    if "fa" in cfg:
        p.flash_attn_type = cfg["fa"]
    if "ctk" in cfg:
        p.cache_type_k = p.cache_type_v = cfg["ctk"]
    if "poll" in cfg:
        p.cpuparams.poll = p.cpuparams_batch.poll = cfg["poll"]
    p.api_keys = [secrets.token_hex(8)]
    return xllamacpp.Server(p)


def _complete(server: Any, messages: list[dict[str, str]], max_tokens: int) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    timings: dict[str, Any] = {}

    def on_chunk(chunk: Any) -> bool:
        if isinstance(chunk, dict):
            timings.update(chunk.get("timings") or {})
            for choice in chunk.get("choices") or []:
                parts.append((choice.get("delta") or {}).get("content") or "")
        return False

    server.handle_chat_completions({"messages": messages, "max_tokens": max_tokens, "temperature": 0, "top_k": 1,
                                    "stream": True, "stream_options": {"include_usage": True}}, on_chunk)
    return "".join(parts), timings


def child(cfg: dict[str, Any]) -> None:
    server = _server(cfg)
    _complete(server, GENERATE, 1)
    text, gen = _complete(server, GENERATE, 100)
    _, prompt = _complete(server, PROMPT, 1)
    print(json.dumps({"gen": gen["predicted_per_second"], "prompt": prompt["prompt_per_second"],
                      "text": hashlib.sha256(text.encode()).hexdigest()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    rows, reference = [], None
    for label, cfg in SETTINGS:
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run([sys.executable, __file__, "--child", json.dumps(cfg)], capture_output=True,
                                 text=True, check=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        reference = reference or runs[0]["text"]
        rows.append((label, statistics.median(r["prompt"] for r in runs), statistics.median(r["gen"] for r in runs),
                     all(r["text"] == reference for r in runs)))
        print(f"{label}: done", file=sys.stderr, flush=True)
    print("| setting | prompt tokens/s | generated tokens/s | same text at temperature 0 |")
    print("|---|---:|---:|---|")
    for label, prompt, gen, same in rows:
        print(f"| {label} | {prompt:.1f} | {gen:.1f} | {'yes' if same else 'no'} |")


if __name__ == "__main__":
    main()
