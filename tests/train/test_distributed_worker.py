"""The per-rank side of the distributed tests: run by `torchrun ... test_distributed_worker.py SCENARIO ARGS`.

Not a test module (nothing to collect); tests/train/test_distributed.py launches it. Each scenario
prints one `RESULT {json}` line per rank for the test to check.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__test__ = False  # pytest: nothing to collect here


def result(scenario: str, **values) -> None:
    # One write() of the whole line: ranks share the pipe, and print() writes the text and the newline
    # separately, so two ranks' lines could interleave (seen under load).
    line = "RESULT " + json.dumps({"scenario": scenario, "rank": int(os.environ["RANK"]), **values}) + "\n"
    sys.stdout.write(line)
    sys.stdout.flush()


def stop_then_resume(cfg_json: str, stop_after: str) -> None:
    """Stop after a few steps (checkpoint only), then resume in a fresh model/optimizer/FSDP wrap."""
    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    from labtune.errors import LabtuneError
    from labtune.train import checkpoint

    cfg = TrainConfig(**json.loads(cfg_json))
    train(cfg, stop_after_step=int(stop_after))
    train(cfg.model_copy(update={"resume": True}))
    # a checkpoint from another world size is refused: its data position means other samples
    if int(os.environ["RANK"]) == 0:
        state = checkpoint.latest(Path(cfg.output_dir)) / checkpoint.STATE
        state.write_text(json.dumps({**json.loads(state.read_text()), "world_size": 4}))
    import torch.distributed as dist

    dist.barrier()
    try:
        train(cfg.model_copy(update={"resume": True}))
        refused = None
    except LabtuneError as exc:
        refused = str(exc)
    result("stop_then_resume", refused=refused)


def tiny_dataset(cfg_json: str) -> None:
    """3 samples, accumulation 16, 2 ranks: once with pre-flight, once with its adjustment forced off."""
    from labtune.train import loop, preflight
    from labtune.train.config import TrainConfig
    from labtune.train.metrics import read_metrics

    cfg = TrainConfig(**json.loads(cfg_json))
    planned = preflight.plan_steps(cfg, 3, 2)
    loop.train(cfg)
    forced = cfg.model_copy(update={"output_dir": cfg.output_dir + "-forced"})
    real_plan = preflight.plan_steps

    def no_adjustment(c, n, world_size=1):  # keep gradient_accumulation_steps as given, like the lab's run
        plan = real_plan(c, n, world_size)
        plan.gradient_accumulation_steps = c.gradient_accumulation_steps
        plan.warnings = []
        return plan

    loop.plan_steps = no_adjustment
    loop.train(forced)
    steps = [r["step"] for r in read_metrics(Path(forced.output_dir)) if "loss" in r]
    result("tiny_dataset", planned_accumulation=planned.gradient_accumulation_steps, warnings=planned.warnings, forced_steps=steps)


def lora_both_ways(cfg_json: str) -> None:
    """The LoRA recipe under DDP (its default) and under FSDP, into `<output_dir>-ddp` / `-fsdp`."""
    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    cfg = TrainConfig(**json.loads(cfg_json))
    for strategy in ("ddp", "fsdp"):
        train(cfg.model_copy(update={"distributed": strategy, "output_dir": f"{cfg.output_dir}-{strategy}"}))
    result("lora", done=True)


def primitives() -> None:
    """Accumulating 2 micro-batches with the reduction only on the 2nd gives the gradient of all ranks'
    data; before it, nothing was reduced. And `on_main` spreads rank 0's error to every rank."""
    import torch
    from torch.distributed.tensor import DTensor

    from labtune.errors import LabtuneError
    from labtune.train.distributed.wrap import wrap_model
    from labtune.train.distributed.process import gradient_sync, init_world, on_main

    world = init_world("cpu")

    def batch(rank, micro):  # different tokens per rank and per micro-batch
        return torch.full((1, 8), 3 + rank + 10 * micro)

    def up_proj_grad(model):
        grad = next(p for n, p in model.named_parameters() if "layers.0.mlp.up_proj" in n).grad
        return grad.full_tensor() if isinstance(grad, DTensor) else grad

    torch.manual_seed(0)
    reference = tiny_llama()  # one process doing every rank's work
    for rank in range(world.size):
        for micro in range(2):
            x = batch(rank, micro)
            reference(input_ids=x, labels=x).loss.backward()
    expected = up_proj_grad(reference) / world.size  # DDP/FSDP average over ranks

    out = {}
    for strategy in ("ddp", "fsdp"):
        torch.manual_seed(0)
        model = wrap_model(tiny_llama(), world, strategy)
        for micro in range(2):
            x = batch(world.rank, micro)
            with gradient_sync(model, micro == 1):
                model(input_ids=x, labels=x).loss.backward()
            if micro == 0:
                grad = next(p for n, p in model.named_parameters() if "layers.0.mlp.up_proj" in n).grad
                # DDP: this rank's own gradient; FSDP: kept unsharded aside, no sharded grad yet.
                out[f"{strategy}_before_sync"] = None if grad is None else round(float(grad.double().sum()), 8)
        out[f"{strategy}_error"] = float((up_proj_grad(model) - expected).abs().max())

    def fail():
        raise LabtuneError("disk full on rank 0 (simulated)")

    try:
        on_main(fail)
        out["on_main_error"] = None
    except LabtuneError as exc:
        out["on_main_error"] = str(exc)
    result("primitives", **out)


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    return LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                        num_attention_heads=2, num_key_value_heads=1))


def fail_on_rank1() -> None:
    """Rank 1 dies while rank 0 waits in a collective: the job must end at once, with rank 1's message."""
    import torch
    import torch.distributed as dist

    from labtune.train.distributed.process import init_world

    world = init_world("cpu")
    if world.rank == 1:
        raise RuntimeError("boom on rank 1 (simulated)")
    dist.all_reduce(torch.ones(1))  # never completes: rank 1 is gone
    result("fail_on_rank1", unreachable=True)


if __name__ == "__main__":
    scenario, *args = sys.argv[1:]
    if scenario == "checks":  # one launch for several scenarios: interpreter start-up is most of the cost
        primitives()
        tiny_dataset(args[0])
        lora_both_ways(args[1])
        stop_then_resume(args[2], args[3])
    else:
        fail_on_rank1()
    from labtune.train.distributed.process import leave_worker

    leave_worker()
