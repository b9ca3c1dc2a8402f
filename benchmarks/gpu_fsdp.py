"""bf16 FSDP2 on GPU with a random-init ~1.1B LLaMA: tokens/s, MFU, peak memory, then a full save.

    torchrun --standalone --nproc_per_node=1 benchmarks/gpu_fsdp.py          # one H100 (any N works)
    torchrun --standalone --nproc_per_node=2 benchmarks/gpu_fsdp.py --tiny --device cpu   # CPU smoke test
    python benchmarks/gpu_fsdp.py                                           # = torchrun with 1 process

It trains through labtune's own distributed code (dist_wrap.wrap_model: decoder layer = FSDP unit,
bf16 params/reduce; distributed.gradient_sync for accumulation), then gathers the full state dict
into rank 0's CPU memory (dist_checkpoint.gather_model_state), writes it to a temp dir, checks every
tensor read back, renames it, and reloads it with transformers. The last stdout line is one JSON
object (`{"benchmark": "gpu_fsdp", ...}`); on failure it carries "error" and the exit code is 1.
No weights or data are needed: the model is random and the tokens are random.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402

H100_BF16_DENSE_FLOPS = 989e12  # H100 SXM, bf16 dense tensor-core peak (no sparsity)

# TinyLlama-1.1B's shape (LLaMA-2 architecture, GQA): 1.10B parameters.
MODEL_1B = dict(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048)
MODEL_TINY = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="2-layer toy model, seq 64 (smoke test)")
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    p.add_argument("--batch", type=int, default=None, help="sequences per micro-batch per GPU (default 4; tiny 2)")
    p.add_argument("--seq", type=int, default=None, help="tokens per sequence (default 2048; tiny 64)")
    p.add_argument("--accum", type=int, default=2, help="micro-batches per optimizer step (sync on the last)")
    p.add_argument("--warmup", type=int, default=3, help="untimed optimizer steps")
    p.add_argument("--steps", type=int, default=None, help="timed optimizer steps (default 15; tiny 3)")
    p.add_argument("--max-train-s", type=float, default=120, help="stop timing early after this many seconds")
    p.add_argument("--no-save", action="store_true", help="skip the gathered save")
    p.add_argument("--out", default=None, help="where the saved model goes (a temp dir, removed at the end)")
    p.add_argument("--keep", action="store_true", help="keep the saved model")
    p.add_argument("--cpu-offload", action="store_true", help="FSDP CPU offload of shards/grads/optimizer")
    args = p.parse_args(argv)
    args.batch = args.batch or (2 if args.tiny else 4)
    args.seq = args.seq or (64 if args.tiny else 2048)
    args.steps = args.steps if args.steps is not None else (3 if args.tiny else 15)
    return args


def flops_per_token(n_params: int, cfg: dict, seq: int) -> float:
    """Training FLOPs per token, PaLM/nanoGPT convention: 6N + 12·layers·hidden·seq (attention scores)."""
    return 6 * n_params + 12 * cfg["num_hidden_layers"] * cfg["hidden_size"] * seq


def build_model(cfg: dict, device: torch.device):
    from transformers import AutoModelForCausalLM, LlamaConfig

    config = LlamaConfig(**cfg, tie_word_embeddings=False, use_cache=False)
    with torch.device(device):  # initialise straight on the GPU: seconds instead of a minute on CPU
        model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", dtype=torch.float32)
    return model


def peak_memory(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"peak_allocated_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
                "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2),
                "gpu_total_gib": round(torch.cuda.get_device_properties(device).total_memory / 2**30, 2)}
    return {"peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_steps(model, optimizer, args, world, vocab: int, n_steps: int, time_limit: float | None = None):
    """`n_steps` optimizer steps on random tokens; returns (steps done, seconds, last loss)."""
    from labtune.train.distributed import gradient_sync

    sync(world.device)
    start = time.perf_counter()
    loss = torch.zeros(())
    done = 0
    for _ in range(n_steps):
        for micro in range(args.accum):
            x = torch.randint(0, vocab, (args.batch, args.seq), device=world.device)
            with gradient_sync(model, micro == args.accum - 1):
                loss = model(input_ids=x, labels=x).loss / args.accum
                loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done += 1
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    sync(world.device)
    return done, time.perf_counter() - start, float(loss.detach().float()) * args.accum


def save_and_verify(model, world, out_root: Path) -> dict:
    """Gather on rank 0's CPU, write to a temp dir, verify, rename; then reload with transformers."""
    from labtune.train.dist_checkpoint import gather_model_state, save_hf_model
    from labtune.train.distributed import on_main

    info = {}
    torch.cuda.reset_peak_memory_stats() if world.device.type == "cuda" else None
    start = time.perf_counter()
    state = gather_model_state(model)  # collective; full tensors on rank 0 only, on CPU
    info["gather_s"] = round(time.perf_counter() - start, 2)
    if world.device.type == "cuda":
        info["gather_peak_allocated_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    final = out_root / "model"

    def write_verify_reload():
        t = time.perf_counter()
        save_hf_model(model, final, state)  # temp dir -> every tensor read back and compared -> rename
        info["write_verify_s"] = round(time.perf_counter() - t, 2)
        info["bytes"] = sum(f.stat().st_size for f in final.iterdir())
        t = time.perf_counter()
        from transformers import AutoModelForCausalLM
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        reloaded = AutoModelForCausalLM.from_pretrained(final, dtype=torch.float32)
        name, tensor = next(iter(state.items()))
        info["reload_equal"] = bool(torch.equal(reloaded.state_dict()[name], tensor))
        info["reload_s"] = round(time.perf_counter() - t, 2)

    on_main(write_verify_reload)  # rank 0 writes; its error (if any) is raised on every rank
    info["ok"] = bool(info.get("reload_equal", True))
    return info


def ensure_process_group_env() -> None:
    """Plain `python benchmarks/gpu_fsdp.py` works too: a one-process group on a free local port."""
    if "RANK" in os.environ:
        return
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))


def main(argv=None) -> dict:
    from labtune.train.dist_wrap import wrap_model
    from labtune.train.distributed import init_world

    args = parse_args(argv)
    cfg = dict(MODEL_TINY if args.tiny else MODEL_1B)
    cfg["max_position_embeddings"] = max(cfg["max_position_embeddings"], args.seq)
    summary: dict = {"benchmark": "gpu_fsdp", "tiny": args.tiny}
    t0 = time.perf_counter()
    world = init_world(args.device)
    summary.update(world_size=world.size, device=str(world.device), torch=torch.__version__,
                   gpu=torch.cuda.get_device_name(world.device) if world.device.type == "cuda" else None)
    torch.manual_seed(0)  # identical init on every rank (FSDP2 does not broadcast rank 0's weights)

    model = build_model(cfg, world.device if not args.cpu_offload else torch.device("cpu"))
    n_params = sum(p.numel() for p in model.parameters())
    model = wrap_model(model, world, "fsdp", bf16=True, cpu_offload=args.cpu_offload)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    summary.update(params=n_params, config=cfg, batch=args.batch, seq=args.seq, accum=args.accum,
                   setup_s=round(time.perf_counter() - t0, 2))

    # warm-up: first steps allocate, autotune and build the optimizer state; halve the batch on OOM
    while True:
        try:
            train_steps(model, optimizer, args, world, cfg["vocab_size"], args.warmup)
            break
        except torch.OutOfMemoryError:
            if args.batch == 1:
                raise
            optimizer.zero_grad(set_to_none=True)
            model.reset_iter_state()
            torch.cuda.empty_cache()
            args.batch //= 2
            summary["batch"] = args.batch
            summary.setdefault("notes", []).append(f"OOM in warm-up: batch lowered to {args.batch}")
    if world.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    steps, seconds, loss = train_steps(model, optimizer, args, world, cfg["vocab_size"], args.steps, args.max_train_s)
    tokens = steps * args.accum * args.batch * args.seq * world.size
    tps = tokens / seconds
    summary.update(steps=steps, train_s=round(seconds, 2), step_s=round(seconds / max(steps, 1), 4),
                   tokens_per_s=round(tps, 1), tokens_per_s_per_gpu=round(tps / world.size, 1),
                   loss=round(loss, 4), flops_per_token=flops_per_token(n_params, cfg, args.seq),
                   **peak_memory(world.device))
    # MFU only means something against the card it was measured on.
    summary["mfu_vs_h100_bf16"] = (round(tps * summary["flops_per_token"] / (H100_BF16_DENSE_FLOPS * world.size), 4)
                                   if world.device.type == "cuda" else None)

    if not args.no_save:
        root = Path(args.out) if args.out else Path(tempfile.gettempdir())
        out_root = Path(tempfile.mkdtemp(prefix="labtune-gpu-fsdp-", dir=root)) if world.is_main else None
        box = [str(out_root) if out_root else None]
        import torch.distributed as dist

        if dist.is_initialized():
            dist.broadcast_object_list(box, src=0)
        out_root = Path(box[0])
        try:
            summary["save"] = save_and_verify(model, world, out_root)
        finally:
            if world.is_main and not args.keep:
                shutil.rmtree(out_root, ignore_errors=True)
        if args.keep:
            summary["save"]["path"] = str(out_root / "model")
    summary["total_s"] = round(time.perf_counter() - t0, 2)
    return summary


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ensure_process_group_env()
    rank = int(os.environ.get("RANK", "0"))
    code = 0
    try:
        result = main()
    except BaseException as exc:  # report what failed in the same one-line format, then fail
        traceback.print_exc()
        result = {"benchmark": "gpu_fsdp", "rank": rank, "error": f"{type(exc).__name__}: {exc}"}
        code = 1
    if rank == 0 or code:
        print(json.dumps(result), flush=True)
    from labtune.train.distributed import leave_worker

    if code == 0:
        leave_worker()
    sys.exit(code)
