"""Load test for `labtune serve`: N concurrent streaming clients send a fixed number of requests.

Reports time to first token, total latency (p50/p90/p99), generated tokens/s over the whole run,
and errors by kind (429s included). Not a timed test: a tool to measure and to write down numbers.

    python benchmarks/serve_load.py --serve smollm2-135m --clients 4 --requests 16 --max-tokens 64
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --api-key KEY --clients 8 --requests 40
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
from dataclasses import asdict, dataclass

import httpx

PROMPTS = [
    "Who is the presenter of the 4/14/2023 lab meeting?",
    "Write a short haiku about fine-tuning language models.",
    "Explain what a KV cache is in two sentences.",
    "List three uses of a lab notebook.",
]


@dataclass
class Result:
    ok: bool
    status: int | str
    ttft: float | None = None  # seconds to the first content chunk
    latency: float | None = None  # seconds to the end of the stream
    tokens: int = 0


async def one_request(http: httpx.AsyncClient, url: str, i: int, max_tokens: int) -> Result:
    body = {"messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], "max_tokens": max_tokens,
            "temperature": 0.7, "seed": i, "stream": True, "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    ttft, tokens = None, 0
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
                if ttft is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                    ttft = time.perf_counter() - start
    except httpx.HTTPError as exc:
        return Result(False, type(exc).__name__)
    return Result(True, 200, ttft, time.perf_counter() - start, tokens)


async def run_load(url: str, clients: int, requests: int, max_tokens: int, api_key: str | None) -> tuple[list, float]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    results: list[Result] = []

    async def client(http: httpx.AsyncClient):
        while not queue.empty():
            results.append(await one_request(http, url, queue.get_nowait(), max_tokens))

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=600, headers=headers) as http:
        await asyncio.gather(*[client(http) for _ in range(clients)])
    return results, time.perf_counter() - start


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    if len(values) == 1:
        return {"p50": values[0], "p90": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98]}


def report(results: list[Result], wall: float, clients: int) -> dict:
    ok = [r for r in results if r.ok]
    tokens = sum(r.tokens for r in ok)
    summary = {
        "clients": clients, "requests": len(results), "ok": len(ok),
        "errors": dict(Counter(str(r.status) for r in results if not r.ok)),
        "wall_s": round(wall, 2), "completion_tokens": tokens, "tokens_per_s": round(tokens / wall, 2),
        "ttft_s": {k: round(v, 3) for k, v in percentiles([r.ttft for r in ok if r.ttft is not None]).items()},
        "latency_s": {k: round(v, 3) for k, v in percentiles([r.latency for r in ok]).items()},
    }
    print(f"{summary['ok']}/{summary['requests']} ok, errors {summary['errors'] or 'none'}, "
          f"{clients} clients, {wall:.1f} s, {tokens} tokens, {summary['tokens_per_s']} tokens/s")
    for name in ("ttft_s", "latency_s"):
        print(f"  {name:10s} " + "  ".join(f"{k} {v:.3f}" for k, v in summary[name].items()))
    return summary


def start_server(model: str, max_waiting: int, max_tokens: int, threads: int | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "labtune", "serve", model, "--port", str(port), "--max-waiting", str(max_waiting),
           "--max-tokens", str(max(max_tokens, 1))] + (["--threads", str(threads)] if threads else [])
    server = subprocess.Popen(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # bounded: model load can take a few minutes on a busy CPU
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("server did not come up in 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    target.add_argument("--serve", metavar="RUN_OR_MODEL", help="start `labtune serve` on a free loopback port")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--max-waiting", type=int, default=8, help="with --serve: the server's wait line")
    parser.add_argument("--threads", type=int, help="with --serve: the server's torch CPU threads")
    parser.add_argument("--api-key", default=os.environ.get("LABTUNE_API_KEY"))
    parser.add_argument("--json", help="also write the summary here")
    args = parser.parse_args()

    server = None
    url = args.url
    if args.serve:
        server, url = start_server(args.serve, args.max_waiting, args.max_tokens, args.threads)
    try:
        results, wall = asyncio.run(run_load(url.rstrip("/"), args.clients, args.requests, args.max_tokens,
                                             args.api_key))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    summary = report(results, wall, args.clients)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary | {"results": [asdict(r) for r in results]}, f, indent=2)


if __name__ == "__main__":
    main()
