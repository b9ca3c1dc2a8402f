"""Training: `loop.train(cfg)` reads top to bottom; `cpu/` holds the host-memory components it switches
on with one call, `distributed/` the DDP/FSDP world it runs in under torchrun."""
