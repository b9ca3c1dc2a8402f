"""Soak test for `labtune serve`: a bounded mix of good, bad, streamed and abandoned requests, then a
check that the server came back to its idle state (RSS, threads, open files, queue counters) and never
answered 500. `tests/serve/test_soak.py` runs it for a minute on a tiny model; run it longer here:

    python benchmarks/serve_soak.py --serve smollm2-135m --seconds 1800 --clients 8
Exit status 0 when everything returned to idle and no 500 was seen, 1 otherwise; --json writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter

import httpx
import psutil
from serve_load import start_server  # the benchmarks folder is on sys.path when run as a script

JSON = {"Content-Type": "application/json"}
USER = [{"role": "user", "content": "Who presented at the lab meeting?"}]


async def one(http: httpx.AsyncClient, url: str, kind: str, rng: random.Random) -> str:
    """Send one request of `kind`; returns its status (or what happened to it)."""
    chat = url + "/v1/chat/completions"
    try:
        if kind == "chat":
            return str((await http.post(chat, json={"messages": USER, "max_tokens": rng.randint(1, 12)})).status_code)
        if kind == "completion":
            return str((await http.post(url + "/v1/completions", json={"prompt": "The lab", "max_tokens": 4})).status_code)
        if kind in ("stream", "stream-abandoned"):
            body = {"messages": USER, "max_tokens": 16, "stream": True, "temperature": 1.0, "seed": rng.randint(0, 99)}
            async with http.stream("POST", chat, json=body) as response:
                async for i, _ in _enumerate(response.aiter_lines()):
                    if kind == "stream-abandoned" and i == 2:
                        return "abandoned"
                return str(response.status_code)
        if kind == "abandoned":  # a non-streaming client that gives up
            try:
                await http.post(chat, json={"messages": USER, "max_tokens": 32}, timeout=0.05)
            except httpx.TimeoutException:
                return "abandoned"
            return "finished"
        if kind == "bad-json":
            return str((await http.post(chat, content=b'{"messages": [' * rng.randint(1, 300), headers=JSON)).status_code)
        if kind == "bad-field":
            return str((await http.post(chat, json={"messages": USER, "max_tokens": "5", "stream": "yes"})).status_code)
        if kind == "text-plain":
            return str((await http.post(chat, content=b"{}", headers={"Content-Type": "text/plain"})).status_code)
        if kind == "huge-prompt":
            big = {"messages": [{"role": "user", "content": "lab " * rng.randint(2_000, 60_000)}]}
            return str((await http.post(chat, json=big)).status_code)
        if kind == "not-found":
            return str((await http.get(url + "/v1/nothing")).status_code)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    raise ValueError(kind)


async def _enumerate(lines):
    i = 0
    async for line in lines:
        yield i, line
        i += 1


KINDS = ["chat", "chat", "completion", "stream", "stream", "stream-abandoned", "abandoned", "bad-json", "bad-field",
         "text-plain", "huge-prompt", "not-found"]


# client port -> the last request answered on it, and a request after it that got no answer (timed out
# or abandoned, maybe on a new connection): names the request kind when the server leaves a connection open
ANSWERED_ON_PORT: dict[int, str] = {}
UNANSWERED_AFTER: dict[int, str] = {}


def last_on_port(port: int) -> str:
    answered = ANSWERED_ON_PORT.get(port, "unknown")
    return f"{answered}, then {UNANSWERED_AFTER[port]} (no answer)" if port in UNANSWERED_AFTER else answered


async def soak(url: str, seconds: float, clients: int, seed: int = 0, max_requests: int = 100_000) -> Counter:
    deadline, seen, sent = time.monotonic() + seconds, Counter(), 0

    async def client(n: int):
        nonlocal sent
        rng = random.Random(seed * 1000 + n)
        port, answered = [0], [False]

        async def note_port(response: httpx.Response):
            stream = response.extensions.get("network_stream")
            address = stream.get_extra_info("client_addr") if stream is not None else None
            port[0], answered[0] = address[1] if address else 0, True

        async with httpx.AsyncClient(timeout=120, event_hooks={"response": [note_port]}) as http:
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                kind, answered[0] = rng.choice(KINDS), False
                outcome = await one(http, url, kind, rng)
                seen[f"{kind} {outcome}"] += 1
                if answered[0]:
                    ANSWERED_ON_PORT[port[0]] = f"{kind} {outcome}"
                    UNANSWERED_AFTER.pop(port[0], None)
                else:
                    UNANSWERED_AFTER[port[0]] = f"{kind} {outcome}"

    await asyncio.gather(*[client(n) for n in range(clients)])
    return seen


def metrics(url: str) -> dict:
    text = httpx.get(url + "/metrics", timeout=30).text
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line and not line.startswith("#")}


def idle_state(url: str, pid: int, timeout: float = 120) -> dict:
    """Wait until no request holds a place and the model's thread has ended, then measure."""
    process = psutil.Process(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = metrics(url)
        if m["labtune_requests_admitted"] == 0 and m["labtune_requests_running"] == 0 \
                and m["labtune_requests_queued"] == 0:
            time.sleep(3.0)  # the model's thread ends after 2 s idle
            m = metrics(url)
            if m["labtune_requests_admitted"] == 0:
                return {"rss_mb": process.memory_info().rss / 2**20, "threads": process.num_threads(),
                        "open_files": process.num_fds(), "fds": _fd_kinds(pid),
                        "connections": [{"status": c.status, "port": c.raddr.port if c.raddr else None}
                                        for c in process.net_connections()],
                        "admitted": m["labtune_requests_admitted"], "running": m["labtune_requests_running"],
                        "queued": m["labtune_requests_queued"]}
        time.sleep(0.2)
    raise SystemExit(f"server did not become idle in {timeout} s: {metrics(url)}")


def _fd_kinds(pid: int) -> dict:
    """What the open descriptors are (socket, pipe, anon_inode:[eventfd], a file), counted."""
    kinds = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kinds[target.split(":[")[0] + (":" + target.split(":[")[1].split("]")[0] if "anon_inode" in target else "")] += 1
    return dict(kinds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", default="smollm2-135m", metavar="RUN_OR_MODEL")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rss-slack-mb", type=float, default=64, help="RSS growth allowed over the idle value")
    parser.add_argument("--server-args", default="--max-batch 4 --max-waiting 4 --max-tokens 32 --max-prompt-tokens 400",
                        help="extra `labtune serve` options")
    parser.add_argument("--json")
    args = parser.parse_args()

    server, url = start_server(args.serve, args.server_args.split())
    try:
        asyncio.run(soak(url, 0, 1))  # nothing: just the client side's imports
        warm = asyncio.run(soak(url, min(20.0, args.seconds / 4), args.clients, seed=1))  # caches, pools, first calls
        before = idle_state(url, server.pid)
        seen = asyncio.run(soak(url, args.seconds, args.clients, seed=2))
        after, settle_start = idle_state(url, server.pid), time.monotonic()
        # A connection whose client vanished mid-request can stay open until its body deadline
        # (--body-timeout, 10 s) runs out: that is the server letting go, give it that long.
        while time.monotonic() - settle_start < 20 and (after["open_files"] > before["open_files"]
                                                         or after["threads"] > before["threads"]):
            time.sleep(1)
            after = idle_state(url, server.pid)
        after["settled_after_s"] = round(time.monotonic() - settle_start, 1)
        totals = metrics(url)
    finally:
        server.terminate()
        server.wait(timeout=60)
    server_errors = {k: v for k, v in (warm + seen).items() if k.endswith(" 500")}
    problems = []
    if server_errors:
        problems.append(f"500s: {server_errors}")
    if after["threads"] > before["threads"]:
        problems.append(f"threads {before['threads']} -> {after['threads']}")
    if after["open_files"] > before["open_files"]:
        left = [f"{c['status']} from port {c['port']} (last request on it: {last_on_port(c['port'])})"
                for c in after["connections"] if c["port"] is not None]
        problems.append(f"open files {before['open_files']} -> {after['open_files']}; connections left: {left}")
    if after["rss_mb"] > before["rss_mb"] + args.rss_slack_mb:
        problems.append(f"RSS {before['rss_mb']:.0f} -> {after['rss_mb']:.0f} MB")
    if after["admitted"] or after["running"] or after["queued"]:
        problems.append(f"queue counters not back to 0: {after}")
    report = {"seconds": args.seconds, "clients": args.clients, "requests": sum(seen.values()), "outcomes": dict(seen),
              "idle_before": before, "idle_after": after, "totals": totals, "problems": problems}
    print(json.dumps({k: report[k] for k in ("requests", "idle_before", "idle_after", "problems")}, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
