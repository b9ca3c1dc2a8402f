"""bf16 FSDP2 on GPU with a random-init ~1.1B LLaMA through `labtune train`'s own loop: tokens/s, MFU,
peak memory, then the run's full save (gathered on rank 0's CPU) reloaded with transformers.

    torchrun --standalone --nproc_per_node=1 benchmarks/gpu_fsdp.py          # one GPU (any N works)
    torchrun --standalone --nproc_per_node=2 benchmarks/gpu_fsdp.py --tiny --device cpu   # CPU smoke test
    python benchmarks/gpu_fsdp.py                                           # = torchrun with 1 process

No weights or data are needed: rank 0 writes a random LLaMA with a word-level tokenizer made on the
spot (a ChatML template, so the run's template is the tokenizer's own) and conversations of random
words, then every rank runs `labtune.train.loop.train` with `distributed: fsdp` and `bf16`, exactly as
`torchrun -m labtune train config.yaml` would. Timings come from the loop's step callback. The last
stdout line is one JSON object (`{"benchmark": "gpu_fsdp", ...}`); on failure it carries "error" and
the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402

H100_BF16_DENSE_FLOPS = 989e12  # H100/H200 SXM, bf16 dense tensor-core peak (no sparsity)

# TinyLlama-1.1B's shape (LLaMA-2 architecture, GQA): 1.10B parameters.
MODEL_1B = dict(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048)
MODEL_TINY = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
SPECIALS = ["<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"]
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="2-layer toy model, seq 64 (smoke test)")
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    p.add_argument("--batch", type=int, default=None, help="sequences per micro-batch per GPU (default 4; tiny 2)")
    p.add_argument("--seq", type=int, default=None, help="tokens per sequence (default 2048; tiny 64)")
    p.add_argument("--accum", type=int, default=2, help="micro-batches per optimizer step")
    p.add_argument("--warmup", type=int, default=3, help="untimed optimizer steps (at least 1)")
    p.add_argument("--steps", type=int, default=None, help="timed optimizer steps (default 15; tiny 3)")
    p.add_argument("--no-save", action="store_true", help="stop before the final save (checkpoint only)")
    p.add_argument("--out", default=None, help="where the work dir goes (a temp dir, removed at the end)")
    p.add_argument("--keep", action="store_true", help="keep the work dir (random model, data, the run)")
    p.add_argument("--cpu-offload", action="store_true", help="FSDP CPU offload of shards/grads/optimizer")
    args = p.parse_args(argv)
    if args.warmup < 1 or (args.steps is not None and args.steps < 1):
        p.error("--warmup and --steps must be at least 1")
    args.batch = args.batch or (2 if args.tiny else 4)
    args.seq = args.seq or (64 if args.tiny else 2048)
    args.steps = args.steps if args.steps is not None else (3 if args.tiny else 15)
    return args


def flops_per_token(n_params: int, cfg: dict, seq: int) -> float:
    """Training FLOPs per token, PaLM/nanoGPT convention: 6N + 12·layers·hidden·seq (attention scores)."""
    return 6 * n_params + 12 * cfg["num_hidden_layers"] * cfg["hidden_size"] * seq


def word_tokenizer(vocab_size: int):
    """A word-level tokenizer of `vocab_size` ids (special tokens + words w0, w1, ...) with ChatML."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS)}
    vocab.update({f"w{i}": len(SPECIALS) + i for i in range(vocab_size - len(SPECIALS))})
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", eos_token="<|im_end|>",
                                        pad_token="<|im_end|>", additional_special_tokens=SPECIALS[1:3])
    tokenizer.chat_template = CHATML
    return tokenizer


def write_random_model(cfg: dict, out: Path, device: torch.device) -> int:
    """A random LLaMA with the word tokenizer, saved as an HF directory; returns its parameter count."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = word_tokenizer(cfg["vocab_size"])
    config = LlamaConfig(**cfg, tie_word_embeddings=False, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    with torch.device(device):  # initialise on the GPU: seconds instead of a minute on CPU
        model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def write_random_data(path: Path, samples: int, words: int, vocab: int) -> None:
    """ShareGPT conversations whose assistant turn is `words` random words (one token each)."""
    rng = random.Random(0)
    records = [{"id": str(i), "conversations": [
        {"from": "human", "value": " ".join(f"w{rng.randrange(vocab)}" for _ in range(8))},
        {"from": "gpt", "value": " ".join(f"w{rng.randrange(vocab)}" for _ in range(words))}]}
        for i in range(samples)]
    path.write_text(json.dumps(records))


def peak_memory(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"peak_allocated_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
                "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2),
                "gpu_total_gib": round(torch.cuda.get_device_properties(device).total_memory / 2**30, 2)}
    return {"peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}


def check_saved(run: Path) -> dict:
    """The run's model/ reloads with plain transformers and gives finite logits."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(run / "model", dtype=torch.float32)
    logits = model(input_ids=torch.tensor([[1, 7, 9, 11]])).logits
    record = json.loads((run / "run.json").read_text())
    return {"save_s": record["timings"]["save_s"], "reload_s": round(time.perf_counter() - started, 2),
            "bytes": sum(f.stat().st_size for f in (run / "model").iterdir()),
            "reload_finite": bool(torch.isfinite(logits).all()), "run_json": True}


def ensure_process_group_env() -> None:
    """Plain `python benchmarks/gpu_fsdp.py` works too: a one-process group on a free local port."""
    if "RANK" in os.environ:
        return
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))


def shared_work_dir(world, root: Path) -> Path:
    import torch.distributed as dist

    box = [tempfile.mkdtemp(prefix="labtune-gpu-fsdp-", dir=root) if world.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return Path(box[0])


def main(argv=None) -> dict:
    import torch.distributed as dist

    from labtune.train.config import TrainConfig
    from labtune.train.distributed.process import init_world
    from labtune.train.loop import train

    args = parse_args(argv)
    cfg = dict(MODEL_TINY if args.tiny else MODEL_1B)
    cfg["max_position_embeddings"] = max(cfg["max_position_embeddings"], args.seq + 16)
    summary: dict = {"benchmark": "gpu_fsdp", "tiny": args.tiny}
    t0 = time.perf_counter()
    world = init_world(args.device)
    summary.update(world_size=world.size, device=str(world.device), torch=torch.__version__,
                   gpu=torch.cuda.get_device_name(world.device) if world.device.type == "cuda" else None)
    work = shared_work_dir(world, Path(args.out) if args.out else Path(tempfile.gettempdir()))
    try:
        box = [None]
        if world.is_main:
            torch.manual_seed(0)
            box = [write_random_model(cfg, work / "model", world.device)]
            samples = (args.warmup + args.steps) * args.batch * args.accum * world.size
            # Each assistant turn fills the sequence: seq minus the prompt's and template's tokens.
            write_random_data(work / "data.json", samples, args.seq - 24, cfg["vocab_size"] - len(SPECIALS))
        dist.broadcast_object_list(box, src=0)
        n_params = box[0]
        summary.update(params=n_params, config=cfg, batch=args.batch, seq=args.seq, accum=args.accum,
                       setup_s=round(time.perf_counter() - t0, 2))
        steps: list[tuple[float, dict]] = []
        train_cfg = TrainConfig(
            model=str(work / "model"), data=[str(work / "data.json")], output_dir=str(work / "run"),
            max_steps=args.warmup + args.steps, per_device_train_batch_size=args.batch,
            gradient_accumulation_steps=args.accum, learning_rate=1e-4, warmup_ratio=0.0,
            model_max_length=args.seq, bf16=world.device.type == "cuda", distributed="fsdp",
            cpu_offload=args.cpu_offload, save_steps=10**9, save_total_limit=1, quiet=True, seed=0)
        if world.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        train(train_cfg, world=None, stop_after_step=args.warmup + args.steps if args.no_save else None,
              on_step=lambda row: steps.append((time.perf_counter(), row)))
        (t_start, first), (t_end, last) = steps[args.warmup - 1], steps[-1]  # timed: the steps after warm-up
        seconds = t_end - t_start
        tps = (last["tokens"] - first["tokens"]) / seconds
        summary.update(steps=len(steps) - args.warmup, train_s=round(seconds, 2),
                       step_s=round(seconds / (len(steps) - args.warmup), 4), tokens_per_s=round(tps, 1),
                       tokens_per_s_per_gpu=round(tps / world.size, 1), loss=round(last["loss"], 4),
                       flops_per_token=flops_per_token(n_params, cfg, args.seq), **peak_memory(world.device))
        # MFU only means something against the card it was measured on.
        summary["mfu_vs_h100_bf16"] = (
            round(tps * summary["flops_per_token"] / (H100_BF16_DENSE_FLOPS * world.size), 4)
            if world.device.type == "cuda" else None)
        if not args.no_save and world.is_main:
            summary["save"] = check_saved(work / "run")
            summary["save"]["ok"] = summary["save"]["reload_finite"]
            if args.keep:
                summary["save"]["path"] = str(work / "run" / "model")
        dist.barrier()
    finally:
        if world.is_main and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
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
    from labtune.train.distributed.process import leave_worker

    if code == 0:
        leave_worker()
    sys.exit(code)
