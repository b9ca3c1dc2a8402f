"""DDP/FSDP under torchrun (gloo on CPU, NCCL on GPU): `process` joins the group, `wrap` shards or
replicates the model, `world` is what the loop asks of the group, `checkpoint` saves and gathers,
`launch` starts `--nproc N` workers."""
