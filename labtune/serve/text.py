"""Token ids to streamed text: incremental detokenization and stop strings that never leak.

Detokenizing uses the tokenizers library's `DecodeStream`, which decodes only the newest tokens
(constant work per token, where decoding the whole answer again each time is quadratic) and holds
back a token that ends inside a multi-byte character until the character is complete.
"""

from __future__ import annotations


def held_back(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest tail of `text` that could still grow into a stop string."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


class TextStream:
    """Feed token ids with `push`; get the text that may be shown, and whether a stop string came."""

    def __init__(self, tokenizer, stops: tuple[str, ...] = ()):
        from tokenizers.decoders import DecodeStream

        self._backend = tokenizer.backend_tokenizer
        self._decode = DecodeStream(skip_special_tokens=True)
        self._undecoded: list[int] = []  # tokens DecodeStream holds: an unfinished multi-byte character
        self.stops = tuple(s for s in stops if s)
        self._longest_stop = max((len(s) for s in self.stops), default=0)
        self._pending = ""  # decoded, not yet shown: it may be the start of a stop string
        self._shown: list[str] = []

    @property
    def text(self) -> str:
        """Everything shown so far (after `finish`, the whole answer)."""
        return "".join(self._shown)

    def push(self, token: int) -> tuple[str, bool]:
        """Add one token. Returns (text to show now, True when a stop string ended the answer)."""
        piece = self._decode.step(self._backend, token)
        if piece is None:
            self._undecoded.append(token)
            return "", False
        self._undecoded.clear()
        if not piece:
            return "", False
        if not self.stops:
            self._shown.append(piece)
            return piece, False
        self._pending += piece
        # Shown text never ends with the start of a stop string, so a match starts in `_pending`.
        hits = [i for i in (self._pending.find(s) for s in self.stops) if i >= 0]
        if hits:
            out, self._pending = self._pending[:min(hits)], ""
            self._shown.append(out)
            return out, True
        keep = held_back(self._pending[-self._longest_stop:], self.stops)
        out = self._pending[:len(self._pending) - keep]
        self._pending = self._pending[len(out):]
        self._shown.append(out)
        return out, False

    def finish(self) -> str:
        """The answer ended without a stop string: release what was held back for one, and a
        character left unfinished as U+FFFD (what decoding the whole answer gives)."""
        if self._undecoded:
            self._pending += self._backend.decode(self._undecoded, skip_special_tokens=True)
            self._undecoded.clear()
        out, self._pending = self._pending, ""
        self._shown.append(out)
        return out
