"""A KV cache for a batch of sequences of different lengths: left-padded rows that come and go.

transformers' `DynamicCache` concatenates every layer's keys and values at every token (the whole
cache copied per step) and has no way to add a row. Here each layer writes into a buffer with room
to grow, and the batch operations continuous batching needs are whole-cache tensor ops: keep some
rows, drop padding columns no row uses any more, and join a freshly prefilled group of rows.
Rows are aligned on the right (left padding); the caller keeps the matching attention mask.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

GROW = 128  # columns added when a layer's buffer is full


class GrowingLayer(DynamicLayer):
    """One layer's keys/values in [batch, heads, capacity, dim] buffers; `keys`/`values` are views."""

    def __init__(self):
        super().__init__()
        self.size = 0
        self.key_buffer = self.value_buffer = None

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
            self.key_buffer, self.value_buffer = _empty_like(key_states, 0), _empty_like(value_states, 0)
        end = self.size + key_states.shape[-2]
        if end > self.key_buffer.shape[-2]:
            self._set(_grow(self.key_buffer, end + GROW), _grow(self.value_buffer, end + GROW), self.size)
        self.key_buffer[:, :, self.size:end] = key_states
        self.value_buffer[:, :, self.size:end] = value_states
        self._set(self.key_buffer, self.value_buffer, end)
        return self.keys, self.values

    def _set(self, keys, values, size: int) -> None:
        self.key_buffer, self.value_buffer, self.size = keys, values, size
        self.keys, self.values = keys[:, :, :size], values[:, :, :size]

    def get_seq_length(self) -> int:
        return self.size

    def select(self, rows: torch.Tensor) -> None:
        self._set(self.key_buffer[rows], self.value_buffer[rows], self.size)

    def trim_left(self, columns: int) -> None:
        self._set(self.key_buffer[:, :, columns:], self.value_buffer[:, :, columns:], self.size - columns)

    def join(self, other: "GrowingLayer", size: int) -> None:
        """Rows of `other` below ours, both right-aligned to `size` columns."""
        keys = torch.cat([_left_pad(self.keys, size), _left_pad(other.keys, size)])
        values = torch.cat([_left_pad(self.values, size), _left_pad(other.values, size)])
        self._set(_grow(keys, size + GROW), _grow(values, size + GROW), size)


class BatchCache(DynamicCache):
    """A `DynamicCache` whose layers are `GrowingLayer`s, with row operations across all layers."""

    def __init__(self, config):
        super().__init__(config=config)
        self.layers = [GrowingLayer() for _ in self.layers]

    @staticmethod
    def supports(config) -> bool:
        """Only plain full-attention layers can be padded and joined (not sliding windows, not linear)."""
        probe = DynamicCache(config=config)
        return all(type(layer) is DynamicLayer for layer in probe.layers)

    @property
    def size(self) -> int:
        return self.layers[0].size

    def select(self, rows: list[int]) -> None:
        index = torch.tensor(rows, dtype=torch.long, device=self.layers[0].keys.device)
        for layer in self.layers:
            layer.select(index)

    def trim_left(self, columns: int) -> None:
        if columns > 0:
            for layer in self.layers:
                layer.trim_left(columns)

    def join(self, other: "BatchCache") -> None:
        size = max(self.size, other.size)
        for mine, theirs in zip(self.layers, other.layers):
            mine.join(theirs, size)


def _empty_like(states: torch.Tensor, columns: int) -> torch.Tensor:
    batch, heads, _, dim = states.shape
    return states.new_zeros((batch, heads, columns, dim))


def _grow(buffer: torch.Tensor, columns: int) -> torch.Tensor:
    if buffer.shape[-2] >= columns:
        return buffer
    grown = _empty_like(buffer, columns)
    grown[:, :, :buffer.shape[-2]] = buffer
    return grown


def _left_pad(states: torch.Tensor, size: int) -> torch.Tensor:
    pad = size - states.shape[-2]
    if pad == 0:
        return states
    return torch.cat([_empty_like(states, pad), states], dim=-2)
