"""Take a run anywhere: a standalone HF directory, GGUF for llama.cpp, an Ollama model, delta
weights against a base; and bring Meta's original LLaMA checkpoints or a delta in.

One module per idea: `source` (a run as one plain model), `output` (write under a temp name, then
rename), `hf`, `gguf_vocab` + `gguf_writer`, `ollama`, `delta`, `meta_llama`.
"""
