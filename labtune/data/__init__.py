"""Data layer: readers -> Conversation -> templates -> token ids and labels."""

from labtune.data.conversation import Conversation, Message

__all__ = ["Conversation", "Message"]
