"""The one in-memory type every reader produces and every consumer takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def to_dict(self) -> dict:
        return {"role": self.role, "content": self.content}


@dataclass
class Conversation:
    """Ordered messages: an optional system message, then user/assistant turns alternating.

    `source` and `index` say where it came from (file and record index) so any later error can
    name them; `id` is the record's own id when it has one.
    """

    messages: list[Message]
    id: str | None = None
    source: str | None = None
    index: int | None = None
    meta: dict = field(default_factory=dict)

    @property
    def system(self) -> str | None:
        return self.messages[0].content if self.messages and self.messages[0].role == "system" else None

    @property
    def turns(self) -> list[Message]:
        """Messages without the leading system message."""
        return self.messages[1:] if self.system is not None else list(self.messages)

    def key(self) -> tuple:
        """Identity of the content, for exact-duplicate removal."""
        return tuple((m.role, m.content) for m in self.messages)

    def to_dict(self) -> dict:
        return {"id": self.id, "messages": [m.to_dict() for m in self.messages]}

    @classmethod
    def from_messages(cls, messages: list[dict], **kw) -> "Conversation":
        return cls([Message(m["role"], m["content"]) for m in messages], **kw)
