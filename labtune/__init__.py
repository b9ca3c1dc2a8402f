"""labtune: fine-tune a LLaMA-family model on a group's notes and chats, measure it, serve it."""

__version__ = "0.1.0"

import warnings

# peft (0.21) still reads transformers' deprecated `is_gradient_checkpointing` whenever it wraps a
# model; the warning is theirs, not the user's, so it is not shown on every LoRA load.
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
