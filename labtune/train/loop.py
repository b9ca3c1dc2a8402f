"""`labtune train`: the whole recipe, read top to bottom.

setup (data -> pre-flight -> output dir -> model) then the loop: for each optimizer step, count the
trainable tokens of its accumulation window first, so the loss is the mean over all of them
(sum of token NLL / tokens), whatever the accumulation or the packing. Checkpoints carry model,
optimizer, scheduler, RNG and data position, so a stopped run resumes bit for bit.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from labtune.data.dataset import parse_spec
from labtune.data.templates import get_template
from labtune.errors import LabtuneError
from labtune.model.load import load_tokenizer
from labtune.model.resolve import resolve_model
from labtune.model.run_dir import ARTEFACTS
from labtune.train import checkpoint
from labtune.train.batching import MicroBatch, accumulation_windows, epoch_order, pack, rank_micro_batches
from labtune.train.config import TrainConfig
from labtune.train.cpu.prepare import MemoryPlan, fused_loss, prepare
from labtune.train.distributed.world import make_world
from labtune.train.metrics import Metrics, plot_loss
from labtune.train.model import (check_frozen_layers, check_frozen_patterns, count_parameters, load_for_training,
                                 make_optimizer, make_scheduler)
from labtune.train.output import write_meta, write_model, write_run_json
from labtune.train.preflight import CONFIG_FILE, check_output_dir, max_length, model_context, plan_steps
from labtune.train.progress import TrainProgress
from labtune.train.samples import load_samples
from labtune.train.world import SingleProcess



def loss_sum(model, batch: MicroBatch, autocast) -> torch.Tensor:
    """Sum of next-token NLL over the trainable positions; logits are computed only there."""
    fused = fused_loss(model, batch.input_ids, batch.position_ids, batch.keep, batch.targets)
    if fused is not None:
        return fused
    with autocast:
        out = model(input_ids=batch.input_ids, position_ids=batch.position_ids, logits_to_keep=batch.keep,
                    use_cache=False)
    logits = out.logits.float().view(-1, out.logits.shape[-1])
    return F.cross_entropy(logits, batch.targets, reduction="sum")


def backward_window(model, batches: list[MicroBatch], world, autocast) -> tuple[float, int]:
    """Accumulate the gradients of one optimizer step; returns (mean loss, trainable tokens).

    The window's trainable tokens (over all processes) are counted first and every micro-batch's
    NLL sum is divided by that count, so 4 x batch 1 gives the gradients of 1 x batch 4.
    """
    n_tokens = int(world.sum(sum(b.trainable_tokens for b in batches)))
    loss_total = 0.0
    for k, batch in enumerate(batches):
        with world.sync_gradients(model, sync=k == len(batches) - 1):
            loss = loss_sum(model, batch, autocast) / max(n_tokens, 1)
            # DDP/FSDP average gradients over processes; the loss is already the mean over all of them.
            (loss * world.world_size).backward()
        loss_total += loss.item()
    return world.sum(loss_total), n_tokens


@torch.no_grad()
def evaluate(model, samples, batch_size: int, device, autocast) -> float:
    model.eval()
    total, tokens = 0.0, 0
    for i in range(0, len(samples), batch_size):
        batch = pack(samples[i:i + batch_size]).to(device)
        total += float(loss_sum(model, batch, autocast))
        tokens += batch.trainable_tokens
    model.train()
    return total / max(tokens, 1)


def train(cfg: TrainConfig, world=None, stop_after_step: int | None = None,
          on_step: Callable[[dict], None] | None = None, memory: MemoryPlan | None = None,
          stop_early: Callable[[torch.nn.Module, dict], bool] | None = None) -> Path:
    """Run (or resume) training; returns the output dir.

    `stop_after_step` saves a checkpoint and returns early; `on_step(row)` sees every step's metrics
    (benchmarks read their timings there); `memory` replaces the config's host-memory plan (benchmarks).
    `stop_early(model, row)` is asked after every step (one process only): True ends the run there,
    saved like a run whose schedule ran out (`labtune learn` stops on its held-out check).
    """
    world = world or make_world(cfg) or SingleProcess()  # DDP/FSDP when started by torchrun
    if stop_early is not None and world.world_size > 1:
        raise LabtuneError("early stopping runs in one process only")
    started = time.time()
    out = Path(cfg.output_dir)
    show = TrainProgress(0, 0, quiet=True, enabled=world.is_main)

    # --- setup: everything that can refuse the run happens before the model loads
    model_dir = resolve_model(cfg.model)
    tokenizer = load_tokenizer(model_dir)
    template = get_template(cfg.template, tokenizer)
    seq_len = max_length(cfg, model_context(model_dir))
    check_frozen_patterns(model_dir, cfg.frozen_parameters)
    check_frozen_layers(cfg)
    data = load_samples(cfg, template, tokenizer, seq_len)
    plan = plan_steps(cfg, len(data.train), world.world_size)
    for warning in plan.warnings:
        show.warn(warning)
    if data.truncated:
        show.warn(f"{data.truncated} samples cut at model_max_length {seq_len} (trained on what fits)")
    checkpoint.clean_temp(out)
    last = checkpoint.latest(out)
    resuming = check_output_dir(cfg, out, last is not None)
    if world.is_main:
        if not resuming:
            clear_run(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / CONFIG_FILE).write_text(cfg.to_yaml(), encoding="utf-8")
    world.barrier()

    torch.manual_seed(cfg.seed)
    device = world.device
    load_started = time.time()
    model = load_for_training(cfg, model_dir, device)
    components = prepare(model, cfg, device, world.world_size, memory)
    train_model = world.wrap(model)  # before the optimizer: FSDP replaces the parameters by their shards
    optimizer = make_optimizer(model, cfg)
    scheduler = make_scheduler(optimizer, cfg, plan.warmup_steps, plan.total_steps)
    pos = world.load_checkpoint(last, train_model, optimizer, scheduler) if resuming else checkpoint.Position()
    load_s = time.time() - load_started
    trainable, total_params = count_parameters(model)
    show.info(f"{len(data.train)} samples, {data.tokens} tokens ({data.trainable_tokens} trainable); "
              f"{plan.total_steps} steps of {plan.gradient_accumulation_steps} x {cfg.per_device_train_batch_size}"
              f" x {world.world_size} samples; {trainable:,} of {total_params:,} parameters trained on {device}"
              + (f"; resuming at step {pos.step}" if resuming else ""))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if cfg.bf16 else contextlib.nullcontext()
    metrics = Metrics(out, pos.step, tensorboard=world.is_main) if world.is_main else None
    show = TrainProgress(plan.total_steps, pos.step, cfg.quiet, enabled=world.is_main)

    # --- the loop
    last_log_time, last_log_tokens = time.time(), pos.tokens
    session_start, session_elapsed = time.time(), pos.elapsed_s
    stopped = False
    try:
        while pos.step < plan.total_steps:
            order = epoch_order(len(data.train), cfg.seed, pos.epoch)
            micro = rank_micro_batches(order, cfg.per_device_train_batch_size, world.rank, world.world_size)
            windows = accumulation_windows(micro, plan.gradient_accumulation_steps)
            for window in windows[pos.window:]:
                batches = [pack([data.train[i] for i in idx]).to(device) for idx in window]
                window_loss, n_tokens = backward_window(train_model, batches, world, autocast)
                grad_norm = world.clip_grad_norm(train_model, cfg.max_grad_norm)
                lr = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)

                pos.step += 1
                pos.window += 1
                pos.tokens += int(world.sum(sum(b.tokens for b in batches)))
                pos.trainable_tokens += int(n_tokens)
                pos.elapsed_s = session_elapsed + time.time() - session_start
                now = time.time()
                row = {"step": pos.step, "epoch": round(pos.epoch + pos.window / len(windows), 4),
                       "loss": window_loss, "lr": lr, "grad_norm": grad_norm,
                       "tokens_per_s": (pos.tokens - last_log_tokens) / max(now - last_log_time, 1e-9),
                       "trainable_tokens": pos.trainable_tokens, "tokens": pos.tokens,
                       "elapsed_s": round(pos.elapsed_s, 3), "total_steps": plan.total_steps}
                log_now = pos.step % cfg.logging_steps == 0 or pos.step == plan.total_steps
                if log_now:
                    last_log_time, last_log_tokens = now, pos.tokens
                    if metrics:
                        metrics.log(row)
                show.step(row, log_now)
                if on_step:
                    on_step(row)
                stopped = bool(stop_early and stop_early(train_model, row))
                done = pos.step >= plan.total_steps or stopped
                if pos.step % cfg.save_steps == 0 or done or pos.step == stop_after_step:
                    if data.eval:
                        eval_loss = evaluate(train_model, data.eval, cfg.per_device_train_batch_size, device, autocast)
                        if metrics:
                            metrics.log({"step": pos.step, "eval_loss": eval_loss})
                        show.info(f"step {pos.step}: eval loss {eval_loss:.4f}")
                    world.save_checkpoint(out, train_model, optimizer, scheduler, pos, cfg.save_total_limit)
                if done or pos.step == stop_after_step:
                    break
            else:
                pos.epoch, pos.window = pos.epoch + 1, 0
                continue
            break
    except KeyboardInterrupt:
        # The model only changes at optimizer steps, so the state now is exactly that of pos.step.
        if pos.step > 0:
            world.save_checkpoint(out, train_model, optimizer, scheduler, pos, cfg.save_total_limit)
            show.info(f"interrupted: saved step {pos.step}; run the same command again to resume")
        raise
    finally:
        show.close()
        if metrics:
            metrics.close()

    if pos.step < plan.total_steps and not stopped:
        return out  # stopped on request; the checkpoint is there to resume from
    save_started = time.time()
    final_model = world.model_to_save(train_model)  # FSDP: gathers the shards on the main process
    if world.is_main:
        written = write_model(out, final_model, tokenizer, template, lora=cfg.lora or cfg.q_lora, merge=cfg.merge)
        plot_loss(out)
        timings = {"load_s": round(load_s, 2), "train_s": round(pos.elapsed_s, 2),
                   "save_s": round(time.time() - save_started, 2), "total_s": round(time.time() - started, 2)}
        write_run_json(out, {"config": cfg.model_dump(), "model_dir": str(model_dir), "device": str(device),
                             "world_size": world.world_size, "max_length": seq_len, **components.record(),
                             "gradient_accumulation_steps": plan.gradient_accumulation_steps,
                             "steps": pos.step, "planned_steps": plan.total_steps, "stopped_early": stopped,
                             "tokens": pos.tokens, "trainable_tokens": pos.trainable_tokens,
                             "trainable_parameters": trainable, "parameters": total_params,
                             "data": data.report, "truncated": data.truncated, "dropped": data.dropped,
                             "timings": timings}, [parse_spec(spec)[0] for spec in cfg.data])
        write_meta(out, cfg, template, {"model_max_length": seq_len, "outputs": written})
        show.info(f"done: {pos.step} steps in {pos.elapsed_s:.0f}s, wrote {', '.join(written)} to {out}")
    world.barrier()
    return out


def clear_run(out: Path) -> None:
    """Remove a previous run's artefacts (only names labtune writes; nothing else in the dir)."""
    if not out.is_dir():
        return
    for name in ARTEFACTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for old in out.glob(f"{checkpoint.PREFIX}*"):
        shutil.rmtree(old, ignore_errors=True)
