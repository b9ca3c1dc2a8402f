"""Take a run anywhere: a standalone HF directory, GGUF for llama.cpp, an Ollama model, delta weights
against a base; and bring Meta's original LLaMA checkpoints or a delta in.

One module per idea: `source` (a run as one plain model), `output` (write under a temp name, then
rename), `hf`, `gguf_vocab` + `gguf_writer`, `rotary` (the two Q/K row orders), `ollama`, `delta`,
`meta_llama`, `check` (does an export answer like its run).
"""
