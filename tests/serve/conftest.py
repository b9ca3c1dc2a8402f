"""Fixtures for serving tests: an engine on the tiny model, a scripted model, a live server."""

from __future__ import annotations

import time

import pytest

from browser import live_server as serve_live


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


@pytest.fixture(scope="session")
def live_server():
    """live_server(app) -> context manager yielding the base URL of the running app."""
    return serve_live




@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread while these tests run: on a shared 2-core machine, two threads that wait for
    each other in every small op make the tiny model 5-10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
