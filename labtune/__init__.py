"""labtune: fine-tune a LLaMA-family model on a group's notes and chats, measure it, serve it."""

__version__ = "0.1.0"
