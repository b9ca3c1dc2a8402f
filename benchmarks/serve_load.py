"""Load benchmark for `labtune serve`: batching against one stream, and the engine against `model.generate`.

One run measures, on the same model and prompts, in this order:
  1. `model.generate` (transformers, greedy, in this process): decode tokens/s after the first token;
  2. one streaming client sending the requests one after another: first-token time, decode tokens/s,
     and tokens/s over the run (the single-stream figure);
  3. N concurrent streaming clients (default 8) sending N x the requests: tokens/s over the run,
     first-token p50, errors.
and prints the issue's targets as ratios: aggregate >= 4x single, first-token p50 <= 3x single,
0 errors, single-stream decode >= 1.5x generate. A tool to measure, not a timed test.

    python benchmarks/serve_load.py                       # default model, 8 clients
    python benchmarks/serve_load.py --serve runs/lab --clients 8 --max-tokens 64 --json out.json
    python benchmarks/serve_load.py --dtype float32                   # the torch engine in float32
    python benchmarks/serve_load.py --dtype int8                      # int8 weights (labtune.model.int8)
    python benchmarks/serve_load.py --engine llama.cpp                # llama-cpp-python on the .gguf
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --api-key KEY --skip-generate
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

PROMPTS = [
    "Write a short story about a lab notebook that learns to talk.",
    "Explain what a KV cache is, in a few sentences.",
    "List five uses of a lab notebook, one line each.",
    "Describe how a lab meeting is usually run.",
]


@dataclass
class Result:
    ok: bool
    status: int | str
    ttft: float | None = None  # seconds to the first content chunk
    latency: float | None = None  # seconds to the end of the stream
    tokens: int = 0
    decode_rate: float | None = None  # tokens/s after the first content chunk
    stamps: list = field(default_factory=list, repr=False)


async def one_request(http: httpx.AsyncClient, url: str, i: int, max_tokens: int, greedy: bool) -> Result:
    body = {"messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], "max_tokens": max_tokens,
            "temperature": 0 if greedy else 0.7, "seed": i, "stream": True, "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    first, last, tokens = None, None, 0
    try:
        async with http.stream("POST", url + "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                return Result(False, response.status_code)
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    return Result(False, "stream error")
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
                if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                    last = time.perf_counter()
                    first = first or last
    except httpx.HTTPError as exc:
        return Result(False, type(exc).__name__)
    end = time.perf_counter()
    rate = (tokens - 1) / (last - first) if first and last and last > first and tokens > 1 else None
    return Result(True, 200, (first or end) - start, end - start, tokens, rate)


async def run_clients(url: str, clients: int, requests: int, max_tokens: int, api_key: str | None,
                      greedy: bool) -> tuple[list[Result], float]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    results: list[Result] = []

    async def client(http: httpx.AsyncClient):
        while not queue.empty():
            results.append(await one_request(http, url, queue.get_nowait(), max_tokens, greedy))

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=900, headers=headers) as http:
        await asyncio.gather(*[client(http) for _ in range(clients)])
    return results, time.perf_counter() - start


def p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summary(name: str, results: list[Result], wall: float) -> dict:
    ok = [r for r in results if r.ok]
    tokens = sum(r.tokens for r in ok)
    out = {"requests": len(results), "ok": len(ok), "errors": dict(Counter(str(r.status) for r in results if not r.ok)),
           "wall_s": round(wall, 2), "completion_tokens": tokens, "tokens_per_s": round(tokens / wall, 3),
           "ttft_p50_s": p50([r.ttft for r in ok]), "decode_tokens_per_s_p50": p50([r.decode_rate for r in ok
                                                                                     if r.decode_rate])}
    print(f"{name}: {out['ok']}/{out['requests']} ok, errors {out['errors'] or 'none'}, {tokens} tokens in "
          f"{wall:.1f} s = {out['tokens_per_s']} tokens/s, first token p50 {out['ttft_p50_s']:.3f} s, "
          f"decode p50 {out['decode_tokens_per_s_p50'] or 0:.2f} tokens/s", flush=True)
    return out


def generate_baseline(model_name: str, max_tokens: int, threads: int | None, dtype: str = "float32") -> dict:
    """`model.generate` on the same prompts, greedy: decode tokens/s after the first token."""
    import torch
    from transformers.generation.streamers import BaseStreamer

    from labtune.data.conversation import Message
    from labtune.data.tokenize import encode_prompt
    from labtune.model.int8 import load_int8
    from labtune.model.load import load

    if threads:
        torch.set_num_threads(threads)
    loaded = load_int8(model_name) if dtype == "int8" else load(model_name, dtype=getattr(torch, dtype))
    model = loaded.model.eval()

    class Stamps(BaseStreamer):
        def __init__(self):
            self.times, self.prompt_seen = [], False

        def put(self, value):
            if self.prompt_seen:
                self.times.append(time.perf_counter())
            self.prompt_seen = True

        def end(self):
            pass

    rates = []
    for prompt in PROMPTS:
        ids = torch.tensor([encode_prompt([Message("user", prompt)], loaded.template, loaded.tokenizer)])
        stamps = Stamps()
        with torch.inference_mode():
            model.generate(ids, max_new_tokens=max_tokens, do_sample=False, streamer=stamps)
        if len(stamps.times) > 1:
            rates.append((len(stamps.times) - 1) / (stamps.times[-1] - stamps.times[0]))
    del model, loaded
    out = {"dtype": dtype, "decode_tokens_per_s_p50": p50(rates), "per_prompt": [round(r, 3) for r in rates]}
    print(f"model.generate ({dtype}): decode p50 {out['decode_tokens_per_s_p50']:.2f} tokens/s {out['per_prompt']}", flush=True)
    return out


def start_server(model: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    """`labtune serve MODEL EXTRA...` on a free local port; returns once /health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "labtune", "serve", model, "--port", str(port), *extra]
    server = subprocess.Popen(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):  # bounded: model load can take minutes on a busy CPU
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("server did not come up in 600 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    target.add_argument("--serve", metavar="RUN_OR_MODEL", default="smollm2-135m",
                        help="start `labtune serve` on a free loopback port (default: smollm2-135m)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4, help="requests per client (the single stream sends as many)")
    parser.add_argument("--max-tokens", type=int, default=128, help="per request (chat answers are often longer)")
    parser.add_argument("--max-batch", type=int, default=8, help="with --serve: the server's batch size")
    parser.add_argument("--threads", type=int, help="torch CPU threads, for the server and model.generate alike")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "int8"],
                        help="with --serve: the torch engine's weights, as `labtune serve --dtype` (auto: "
                             "bfloat16 where the CPU has it natively). model.generate runs in float32 and, "
                             "when the server's type differs, in that type too")
    parser.add_argument("--engine", default="torch", choices=["torch", "llama.cpp"], help="with --serve")
    parser.add_argument("--skip-generate", action="store_true", help="do not run the model.generate baseline")
    parser.add_argument("--api-key", default=os.environ.get("LABTUNE_API_KEY"))
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    if args.dtype == "auto":
        from labtune.model.bfloat16 import native_bfloat16

        args.dtype = "bfloat16" if native_bfloat16() else "float32"
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "load_average": os.getloadavg(), "args": vars(args)}
    if not args.url and not args.skip_generate:
        report["generate"] = generate_baseline(args.serve, args.max_tokens, args.threads)
        if args.dtype != "float32" and args.engine == "torch":
            report["generate_same_dtype"] = generate_baseline(args.serve, args.max_tokens, args.threads, args.dtype)
    extra = ["--max-batch", str(args.max_batch), "--max-waiting", str(max(args.clients, 8)),
             "--max-tokens", str(args.max_tokens), "--engine", args.engine, "--dtype", args.dtype]
    extra += ["--threads", str(args.threads)] if args.threads else []
    server, url = (None, args.url.rstrip("/")) if args.url else start_server(args.serve, extra)
    try:
        asyncio.run(run_clients(url, 1, 1, 4, args.api_key, True))  # warm up: first-call costs out of the figures
        single, wall = asyncio.run(run_clients(url, 1, args.requests, args.max_tokens, args.api_key, greedy=True))
        report["single"] = summary("1 client", single, wall)
        many, wall = asyncio.run(run_clients(url, args.clients, args.clients * args.requests, args.max_tokens,
                                             args.api_key, greedy=True))
        report["concurrent"] = summary(f"{args.clients} clients", many, wall)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    one, all_ = report["single"], report["concurrent"]
    targets = {
        "aggregate_vs_single": all_["tokens_per_s"] / one["tokens_per_s"],
        "ttft_p50_vs_single": all_["ttft_p50_s"] / one["ttft_p50_s"],
        "errors": sum(all_["errors"].values()) + sum(one["errors"].values()),
    }
    if "generate" in report:
        targets["decode_vs_generate"] = one["decode_tokens_per_s_p50"] / report["generate"]["decode_tokens_per_s_p50"]
    if "generate_same_dtype" in report:
        targets["decode_vs_generate_same_dtype"] = (one["decode_tokens_per_s_p50"]
                                                    / report["generate_same_dtype"]["decode_tokens_per_s_p50"])
    report["targets"] = targets
    report["load_average_after"] = os.getloadavg()
    print(f"aggregate {targets['aggregate_vs_single']:.2f}x single (target >= 4), first token p50 "
          f"{targets['ttft_p50_vs_single']:.2f}x single (target <= 3), errors {targets['errors']} (target 0)"
          + (f", single-stream decode {targets['decode_vs_generate']:.2f}x model.generate (target >= 1.5)"
             if "decode_vs_generate" in targets else "")
          + (f"; {targets['decode_vs_generate_same_dtype']:.2f}x model.generate in {args.dtype}"
             if "decode_vs_generate_same_dtype" in targets else ""))
    print(f"load average before {report['load_average']}, after {report['load_average_after']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
