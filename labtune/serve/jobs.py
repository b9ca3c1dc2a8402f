"""Run generations off the event loop: one model, one generation at a time, a bounded wait line.

Each admitted request gets a worker thread that takes the model lock, runs the engine and hands
text pieces to the request's coroutine through an asyncio queue. Admission is counted from
request start to the end of the work (not of the HTTP response), so a full server answers 429
instead of piling up threads, and a cancelled request frees its place as soon as it stops.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from labtune.serve.generate import Generation

_DONE = object()


@dataclass
class Stats:
    running: int = 0
    waiting: int = 0
    completed: int = 0
    cancelled: int = 0
    failed: int = 0
    rejected: int = 0


class Scheduler:
    def __init__(self, max_waiting: int = 8):
        self.max_waiting = max_waiting
        self.stats = Stats()
        self._model_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._admitted = 0

    def try_admit(self) -> bool:
        """Take a place (the running one or one of `max_waiting`), or say the server is full."""
        with self._count_lock:
            if self._admitted >= 1 + self.max_waiting:
                self.stats.rejected += 1
                return False
            self._admitted += 1
            self.stats.waiting += 1
            return True

    def start(self, make: Callable[[threading.Event], Generation]) -> "Job":
        """Start an admitted job; `make(cancel)` builds the generation once the model is free."""
        job = Job(asyncio.get_running_loop())
        threading.Thread(target=self._work, args=(job, make), daemon=True, name="labtune-generate").start()
        return job

    def _work(self, job: "Job", make: Callable[[threading.Event], Generation]) -> None:
        try:
            with self._model_lock:
                with self._count_lock:
                    self.stats.waiting -= 1
                    self.stats.running += 1
                try:
                    if not job.cancel.is_set():
                        job.generation = make(job.cancel)
                        for piece in job.generation:
                            job.put(piece)
                except BaseException as exc:  # handed to the request, which answers 500
                    job.error = exc
                finally:
                    with self._count_lock:
                        self.stats.running -= 1
                        finished = job.generation is not None and job.generation.finish_reason != "cancelled"
                        if job.error is not None:
                            self.stats.failed += 1
                        elif job.cancel.is_set() or not finished:
                            self.stats.cancelled += 1
                        else:
                            self.stats.completed += 1
        finally:
            with self._count_lock:
                self._admitted -= 1
            job.put(_DONE)


class Job:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.cancel = threading.Event()
        self.generation: Generation | None = None
        self.error: BaseException | None = None

    def put(self, item) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down): stop generating
            self.cancel.set()

    async def pieces(self) -> AsyncIterator[str]:
        """Text pieces as they come; cancels the generation if the consumer goes away."""
        try:
            while True:
                item = await self.queue.get()
                if item is _DONE:
                    break
                yield item
            if self.error is not None:
                raise self.error
        finally:
            self.cancel.set()

    async def text(self) -> str:
        return "".join([piece async for piece in self.pieces()])
