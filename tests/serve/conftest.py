"""Fixtures for serving tests: an engine on the tiny model, a scripted model, a live server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    from labtune.model.load import load
    from labtune.serve.generate import Engine

    return Engine(load(str(tiny_model_dir)))


class ModelWrapper:
    """Wraps a real model (so the KV cache stays real) and can slow it down or script its output."""

    def __init__(self, model, delay: float = 0.0, script: list[int] | None = None):
        self.inner, self.delay, self.script = model, delay, list(script or [])
        self.calls: list[list[int]] = []  # input ids fed at each step

    def __call__(self, input_ids, **kwargs):
        self.calls.append(input_ids[0].tolist())
        if self.delay:
            time.sleep(self.delay)
        out = self.inner(input_ids=input_ids, **kwargs)
        step = len(self.calls) - 1
        if step < len(self.script):  # make the scripted token overwhelmingly likely
            out.logits[:, -1, :] = -1e4
            out.logits[:, -1, self.script[step]] = 1e4
        return out

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def wrap_engine(tiny_engine):
    """wrap_engine(delay=..., script=...) -> a copy of the tiny engine whose model is wrapped."""
    import copy

    def make(delay: float = 0.0, script: list[int] | None = None):
        engine = copy.copy(tiny_engine)
        engine.model = ModelWrapper(tiny_engine.model, delay, script)
        return engine

    return make


@contextlib.contextmanager
def _live_server(app):
    """Run `app` with uvicorn on 127.0.0.1 and a free port in a thread; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):  # bounded: 10 s
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def live_server():
    """live_server(app) -> context manager yielding the base URL of the running app."""
    return _live_server


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread while these tests run: on a shared 2-core machine, two threads that wait for
    each other in every small op make the tiny model 5-10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
