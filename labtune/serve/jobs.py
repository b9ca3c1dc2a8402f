"""A request's place in line, and the bridge from the model's thread to the request's coroutine.

A request takes its place (`Line.enter`) before its prompt is tokenized and keeps it until its
answer is finished or cancelled, so a full server answers 429 before doing any work for it, and a
cancelled request frees its place as soon as the model lets go of it.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import AsyncIterator

from labtune.serve.batch import Generation

_DONE = object()


@dataclass
class LineStats:
    admitted: int = 0  # requests holding a place now (tokenizing, in line or generating)
    completed: int = 0
    cancelled: int = 0
    failed: int = 0
    rejected: int = 0  # turned away with 429
    refused: int = 0  # gave up their place before generating (prompt too long, client gone, ...)


class Line:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.stats = LineStats()
        self._lock = threading.Lock()

    def enter(self) -> "Ticket | None":
        with self._lock:
            if self.stats.admitted >= self.capacity:
                self.stats.rejected += 1
                return None
            self.stats.admitted += 1
        return Ticket(self)

    def _leave(self, outcome: str) -> None:
        with self._lock:
            self.stats.admitted -= 1
            setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)


class Ticket:
    """A place in line; leaving twice is leaving once."""

    def __init__(self, line: Line):
        self._line, self._held = line, True
        self._lock = threading.Lock()

    def leave(self, outcome: str = "cancelled") -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._line._leave(outcome)


class Job:
    """Receives one answer's text and end from the model's thread (it is the sequence's sink)."""

    def __init__(self, ticket: Ticket):
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.ticket = ticket
        self.generation: Generation | None = None
        self.handle = None  # what the engine returned: `.cancel()` stops the answer

    # --- called from the model's thread --------------------------------------------------------

    def text(self, piece: str) -> None:
        self._put(piece)

    def finish(self, generation: Generation) -> None:
        self.generation = generation
        outcome = {"stop": "completed", "length": "completed", "error": "failed"}.get(generation.finish_reason,
                                                                                     "cancelled")
        self.ticket.leave(outcome)
        self._put(_DONE)

    def _put(self, item) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down): stop generating
            self.cancel()

    # --- called from the request's coroutine ---------------------------------------------------

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    async def pieces(self) -> AsyncIterator[str]:
        """Text pieces as they come; cancels the answer if the consumer goes away first."""
        try:
            while True:
                item = await self.queue.get()
                if item is _DONE:
                    return
                yield item
        finally:
            if self.generation is None:
                self.cancel()

    async def text_until_done(self) -> str:
        return "".join([piece async for piece in self.pieces()])
