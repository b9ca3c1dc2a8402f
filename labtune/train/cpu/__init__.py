"""Host-memory and speed components of training, switched on by one call: `prepare.prepare(model, cfg, ...)`.

- `allocator.py`: tcmalloc, preloaded by re-executing the command (`labtune.cli.entry`) where installed.
- `host_memory.py`: the heap policy: freed memory kept for the next step; `--low_cpu_memory` gives it
  back and trims the heap at a few depths of every step.
- `fused.py`: lean ops (linear + cross-entropy in chunks, SwiGLU, RMSNorm) for fp32 full fine-tuning.
- `tied.py`: the tied embeddings' input-side gradient added in place into the output side's.

The loop calls `prepare` (prepare.py) once after the model is loaded and `fused_loss` for every micro-batch. A
benchmark passes its own `MemoryPlan` (`train(cfg, memory=...)`) instead of patching the loop.
"""

# Nothing is imported here: `allocator` is read by every command before torch loads.
