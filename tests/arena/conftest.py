"""Arena fixtures: an arena over canned answers (no model), and a run of the tiny random model."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
import time

import pytest

from arena_helpers import canned_arena
from labtune.arena.battles import Arena


@pytest.fixture
def arena(tmp_path) -> Arena:
    return canned_arena(tmp_path / "votes.db")


@pytest.fixture(scope="session")
def tiny_vicuna_run(tmp_path_factory, tiny_model_dir):
    """A run directory (as training writes it) whose weights are the tiny model's, trained with the
    vicuna_v1.1 template: its answers must be generated with that template, not the tokenizer's."""
    run = tmp_path_factory.mktemp("arena-runs") / "vicuna-run"
    shutil.copytree(tiny_model_dir, run / "model")
    (run / "labtune.json").write_text(json.dumps({"template": "vicuna_v1.1", "base_model": str(tiny_model_dir),
                                                  "kind": "full"}))
    return run


@contextlib.contextmanager
def _live_server(app):
    """Run `app` with uvicorn on 127.0.0.1 and a free port in a thread; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):  # bounded: 10 s
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def live_server():
    """live_server(app) -> context manager yielding the base URL of the running app."""
    return _live_server
