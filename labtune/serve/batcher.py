"""The thread that runs the model for a server: requests join the running batch as they come.

Each turn of the loop: drop sequences that finished or were cancelled; start prefilling the
waiting prompts as one group when the batch has room; run one chunk of that prefill; run one
decode step for the whole batch. A long prompt therefore delays the running answers by one chunk
at a time, never by its whole prefill. The thread stops after a short idle time and starts again
with the next request, so an idle server holds no thread for it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass

import torch

from labtune.serve.batch import Batch, Prefill, Sequence

log = logging.getLogger("labtune.serve")


@dataclass
class BatcherStats:
    running: int = 0  # sequences in the batch (prefilling or decoding)
    pending: int = 0  # submitted, waiting for room in the batch
    steps: int = 0  # decode forward passes
    largest_batch: int = 0


class Batcher:
    def __init__(self, model, max_batch: int = 8, prefill_chunk: int = 256, idle_seconds: float = 2.0,
                 threads: int | None = None):
        self.model, self.max_batch, self.prefill_chunk = model, max(1, max_batch), prefill_chunk
        self.threads = threads  # torch threads for this thread's operations (None: the process's setting)
        self.idle_seconds = idle_seconds
        self.stats = BatcherStats()
        self._pending: deque[Sequence] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def active(self) -> bool:
        """Whether the model's thread is running (it ends after `idle_seconds` without work)."""
        return self._thread is not None

    def submit(self, seq: Sequence) -> None:
        with self._wake:
            if self._closed:
                seq.end("cancelled")
                return
            self._pending.append(seq)
            self.stats.pending = len(self._pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="labtune-batch", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        """Cancel everything and let the thread end (server shutdown)."""
        with self._wake:
            self._closed = True
            for seq in self._pending:
                seq.cancel()
            self._wake.notify()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self._loop()
        finally:  # normally the loop has let go already; after anything unforeseen, no answer hangs
            with self._wake:
                if self._thread is threading.current_thread():
                    self._thread = None
                    for seq in list(self._pending):
                        seq.end("error", flush=False)
                    self._pending.clear()

    def _loop(self) -> None:
        batch, prefill, group = Batch(self.model), None, []
        with torch.inference_mode():
            while True:
                with self._wake:
                    self._drop_cancelled_pending()
                    if self._closed:
                        for seq in batch.rows + (prefill.sequences if prefill else []):
                            seq.cancel()
                    self.stats.pending = len(self._pending)
                    self.stats.running = len(batch) + (len(prefill.sequences) if prefill else 0)
                    if not batch.rows and prefill is None and not self._pending:
                        self._wake.wait_for(lambda: self._pending or self._closed, timeout=self.idle_seconds)
                        self._drop_cancelled_pending()
                        if not self._pending:  # idle: the next submit starts a new thread
                            self._thread = None
                            return
                    if prefill is None and self._pending and len(batch) < self.max_batch:
                        room = min(self.max_batch - len(batch), len(self._pending))
                        group = [self._pending.popleft() for _ in range(room)]
                    self.stats.pending = len(self._pending)
                    self.stats.running = len(batch) + len(group) + (len(prefill.sequences) if prefill else 0)
                try:
                    if group:
                        prefill, group = Prefill(self.model, group, self.prefill_chunk), []
                    if prefill is not None:
                        if all(seq.cancelled.is_set() for seq in prefill.sequences):
                            for seq in prefill.sequences:
                                seq.end("cancelled")
                            prefill = None
                        else:
                            prefill.step()
                            if prefill.finished:
                                batch.join(prefill)
                                prefill = None
                    batch.drop_finished()
                    if batch.rows:
                        batch.decode()
                        self.stats.steps += 1
                        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
                        batch.drop_finished()
                except Exception:  # one failing forward pass fails the sequences in it, not the server
                    failed = batch.rows + group + (prefill.sequences if prefill else [])
                    log.exception("generation failed for %d sequences", len(failed))
                    batch.fail()
                    for seq in failed:
                        seq.end("error", flush=False)
                    prefill, group = None, []

    def _drop_cancelled_pending(self) -> None:
        """A request cancelled while in line leaves without ever reaching the model."""
        for seq in [s for s in self._pending if s.cancelled.is_set()]:
            self._pending.remove(seq)
            seq.end("cancelled")
