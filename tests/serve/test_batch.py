"""Continuous batching: answers join and leave a running batch and come out as they would alone."""

from __future__ import annotations

import threading
import time

import pytest

from labtune.data.conversation import Message
from labtune.serve.sampling import Sampling

QUESTIONS = ["Hi", "Explain what a KV cache is in two sentences, with some detail.",
             "List three uses of a lab notebook.", "Who presented on 4/14/2023 at the lab meeting? " * 4]
SETTINGS = [Sampling(temperature=0, max_new_tokens=14), Sampling(temperature=0.9, seed=3, max_new_tokens=10),
            Sampling(temperature=0, max_new_tokens=12, repetition_penalty=1.3),
            Sampling(temperature=1.0, top_p=0.8, seed=11, max_new_tokens=9, stop=("e",))]


class Collect:
    def __init__(self):
        self.pieces: list[str] = []
        self.generation = None
        self.done = threading.Event()

    def text(self, piece):
        self.pieces.append(piece)

    def finish(self, generation):
        self.generation = generation
        self.done.set()


def ids_of(engine, question):
    return engine.chat_prompt_ids([Message("user", question)])


def start_all(served, engine, gap: float = 0.0):
    sinks = []
    for question, sampling in zip(QUESTIONS, SETTINGS):
        sinks.append(Collect())
        served.start(ids_of(engine, question), sampling, sinks[-1], chat=True)
        time.sleep(gap)
    for sink in sinks:
        assert sink.done.wait(120)
    return sinks


class Recorder:
    """Wraps the model: records the shape of every forward pass; can fail or wait on demand."""

    def __init__(self, model):
        self.inner, self.shapes, self.fail_next = model, [], False
        self.delay = 0.0  # seconds each forward pass takes at least
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, input_ids, **kwargs):
        self.gate.wait(30)
        time.sleep(self.delay)
        self.shapes.append(tuple(input_ids.shape))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("simulated failure /secret/path/model.safetensors")
        return self.inner(input_ids=input_ids, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def recorded(tiny_engine):
    import copy

    engine = copy.copy(tiny_engine)
    engine.model = Recorder(tiny_engine.model)
    return engine


@pytest.mark.parametrize("gap", [0.0, 0.02])
def test_batched_answers_equal_answers_alone(tiny_engine, recorded, gap):
    alone = [tiny_engine.chat([Message("user", q)], s).run() for q, s in zip(QUESTIONS, SETTINGS)]
    # A step longer than the gap between arrivals, so each request comes while the earlier ones still
    # run, however fast the tiny model is (on a loaded CPU it could finish an answer within the gap).
    recorded.model.delay = 0.05
    served = recorded.serving(max_batch=3)  # the fourth waits for room, then joins
    sinks = start_all(served, recorded, gap)
    for one, sink in zip(alone, sinks):
        assert "".join(sink.pieces) == sink.generation.text == one.text
        assert (sink.generation.finish_reason, sink.generation.completion_tokens) == \
            (one.finish_reason, one.completion_tokens)
    assert served.stats.largest_batch >= 2
    served.close()


def test_one_forward_pass_decodes_every_running_sequence(recorded):
    served = recorded.serving(max_batch=4)
    recorded.model.gate.clear()  # hold the model until all four are in line: they prefill as one group
    sinks = [Collect() for _ in QUESTIONS]
    for question, sink in zip(QUESTIONS, sinks):
        served.start(ids_of(recorded, question), Sampling(temperature=0, max_new_tokens=6), sink, chat=True)
    recorded.model.gate.set()
    for sink in sinks:
        assert sink.done.wait(60)
    decodes = [shape for shape in recorded.model.shapes if shape[1] == 1]
    generated = sum(sink.generation.completion_tokens for sink in sinks)
    assert (4, 1) in decodes  # one forward pass gave each of the four its next token
    assert len(decodes) <= generated // 2, (decodes, generated)  # one at a time would take one pass per token
    served.close()


def test_a_long_prompt_is_prefilled_between_decode_steps(recorded, monkeypatch):
    from labtune.serve import generate

    monkeypatch.setattr(generate, "PREFILL_CHUNK", 16)
    served = recorded.serving(max_batch=2)
    first = Collect()
    running = served.start(ids_of(recorded, "Hi"), Sampling(temperature=0, max_new_tokens=400), first, chat=True)
    while not first.pieces and not first.done.is_set():
        time.sleep(0.01)
    second = Collect()
    long_ids = ids_of(recorded, "tell me about the lab meeting " * 10)
    served.start(long_ids, Sampling(temperature=0, max_new_tokens=3), second, chat=True)
    assert second.done.wait(60)
    running.cancel()
    assert first.done.wait(60) and first.generation.finish_reason == "cancelled"
    shapes = recorded.model.shapes
    chunks = [i for i, shape in enumerate(shapes) if shape == (1, 16)]
    assert len(chunks) >= 3, shapes
    # the running answer got a token between consecutive chunks of the long prompt
    assert all(any(shapes[j] == (1, 1) for j in range(a + 1, b)) for a, b in zip(chunks, chunks[1:])), shapes
    served.close()


def test_cancelling_one_answer_leaves_the_others_as_they_would_be(tiny_engine):
    alone = tiny_engine.chat([Message("user", QUESTIONS[1])], SETTINGS[1]).run()
    served = tiny_engine.serving(max_batch=4)
    keep, drop = Collect(), Collect()
    served.start(ids_of(tiny_engine, QUESTIONS[1]), SETTINGS[1], keep, chat=True)
    handle = served.start(ids_of(tiny_engine, QUESTIONS[2]), Sampling(temperature=0, max_new_tokens=200), drop,
                          chat=True)
    while not drop.pieces and not drop.done.is_set():
        time.sleep(0.005)
    handle.cancel()
    assert drop.done.wait(60) and keep.done.wait(60)
    assert drop.generation.finish_reason == "cancelled" and drop.generation.completion_tokens < 200
    assert keep.generation.text == alone.text and keep.generation.finish_reason == alone.finish_reason
    served.close()


def test_an_answer_cancelled_in_line_never_reaches_the_model(recorded):
    served = recorded.serving(max_batch=1)
    running, waiting = Collect(), Collect()
    recorded.model.gate.clear()
    served.start(ids_of(recorded, "Hi"), Sampling(temperature=0, max_new_tokens=5), running, chat=True)
    queued = ids_of(recorded, QUESTIONS[3])
    handle = served.start(queued, Sampling(temperature=0, max_new_tokens=5), waiting, chat=True)
    handle.cancel()
    recorded.model.gate.set()
    assert waiting.done.wait(60) and running.done.wait(60)
    assert waiting.generation.finish_reason == "cancelled" and waiting.generation.completion_tokens == 0
    assert all(shape[1] != len(queued) for shape in recorded.model.shapes)  # its prompt was never fed
    assert running.generation.finish_reason in ("stop", "length")
    served.close()


def test_a_failing_forward_pass_fails_its_answers_and_the_next_ones_run(recorded, caplog):
    served = recorded.serving(max_batch=2)
    recorded.model.fail_next = True
    failed = Collect()
    served.start(ids_of(recorded, "Hi"), Sampling(temperature=0, max_new_tokens=5), failed, chat=True)
    assert failed.done.wait(60) and failed.generation.finish_reason == "error"
    assert "simulated failure" in caplog.text  # the detail is in the server log
    after = Collect()
    served.start(ids_of(recorded, "Hi"), Sampling(temperature=0, max_new_tokens=5), after, chat=True)
    assert after.done.wait(60) and after.generation.finish_reason in ("stop", "length")
    served.close()


def test_the_model_thread_ends_when_idle_and_comes_back(tiny_engine):
    served = tiny_engine.serving(max_batch=2)
    served.batcher.idle_seconds = 1.0  # room to read the thread just started before it idles out
    threads = []
    for _ in range(2):
        sink = Collect()
        served.start(ids_of(tiny_engine, "Hi"), Sampling(temperature=0, max_new_tokens=3), sink, chat=True)
        threads.append(served.batcher._thread)
        assert sink.done.wait(60)
        deadline = time.monotonic() + 10
        while served.batcher.active and time.monotonic() < deadline:
            time.sleep(0.05)
        threads[-1].join(10)  # this batcher's own thread, not a count that other tests' threads can move
        assert not served.batcher.active and not threads[-1].is_alive()
    assert threads[0] is not threads[1]  # the second request started a new thread
