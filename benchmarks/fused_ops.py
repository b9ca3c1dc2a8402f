"""labtune's lean training ops (labtune/train/cpu/fused.py) against the modules they replace, at SmolLM2-135M sizes.

For each op, forward + backward on `--tokens` tokens, in a fresh process per variant, with glibc
returning freed blocks to the OS at once (a 256 KB mmap threshold) so that peak RSS tracks what is
live. Prints milliseconds per forward + backward (best of `--repeats`) and the peak memory above the
inputs, for:

- the vocabulary projection + loss: `F.cross_entropy(hidden @ W.T)` vs `linear_cross_entropy`;
- `--layers` SwiGLU MLPs in a row: transformers' LlamaMLP vs `SwiGLU` (activations kept for backward);
- 2 x `--layers` RMSNorms in a row (two per decoder layer): transformers' LlamaRMSNorm vs `RMSNorm`.

    python benchmarks/fused_ops.py --tokens 512
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

HIDDEN, INTERMEDIATE, VOCAB = 576, 1536, 49152  # SmolLM2-135M


def _current_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1e3
    return 0.0


def _peak_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    return 0.0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current RSS


def _run(variant: str, args: dict, conn) -> None:
    import torch
    import torch.nn.functional as F
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaMLP

    from labtune.train.cpu.fused import RMSNorm, SwiGLU, linear_cross_entropy
    from labtune.train.cpu.host_memory import LOW_MEMORY_THRESHOLD, set_malloc

    set_malloc(LOW_MEMORY_THRESHOLD, LOW_MEMORY_THRESHOLD)
    torch.set_num_threads(args["threads"])
    torch.manual_seed(0)
    tokens = args["tokens"]
    if variant.startswith("loss"):
        weight = torch.nn.Parameter(torch.randn(VOCAB, HIDDEN) * 0.02)
        hidden = torch.randn(tokens, HIDDEN, requires_grad=True)
        targets = torch.randint(0, VOCAB, (tokens,))

        def step():
            if variant == "loss: transformers":
                loss = F.cross_entropy(hidden @ weight.T, targets, reduction="sum")
            else:
                loss = linear_cross_entropy(hidden, weight, targets)
            loss.backward()
    elif variant.startswith("RMSNorm"):
        from transformers.models.llama.modeling_llama import LlamaRMSNorm

        norms = [LlamaRMSNorm(HIDDEN) for _ in range(2 * args["layers"])]
        x = torch.randn(1, tokens, HIDDEN, requires_grad=True)

        def step():
            h = x
            for norm in norms:
                h = norm(h) if variant == "RMSNorm: transformers" else RMSNorm.apply(h, norm.weight, norm.variance_epsilon)
            h.sum().backward()
    else:
        config = LlamaConfig(hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, hidden_act="silu")
        mlps = [LlamaMLP(config) for _ in range(args["layers"])]
        x = torch.randn(1, tokens, HIDDEN, requires_grad=True)

        def step():
            h = x
            for mlp in mlps:
                if variant == "SwiGLU: transformers":
                    h = mlp(h)
                else:
                    h = SwiGLU.apply(h, mlp.gate_proj.weight, mlp.up_proj.weight, mlp.down_proj.weight)
            h.sum().backward()

    step()  # warm-up: gradients exist from here on, so the peak below is the op's own
    best = float("inf")
    before = _current_rss_mb()
    _reset_peak()
    for _ in range(args["repeats"]):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    conn.send({"ms": best * 1e3, "peak_mb": _peak_rss_mb() - before})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = vars(parser.parse_args())
    context = multiprocessing.get_context("spawn")
    results = {}
    for variant in ("loss: transformers", "loss: labtune", "SwiGLU: transformers", "SwiGLU: labtune",
                    "RMSNorm: transformers", "RMSNorm: labtune"):
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=_run, args=(variant, args, child))
        process.start()
        results[variant] = parent.recv()
        process.join()
    print(f"{args['tokens']} tokens, {args['layers']} MLPs, {args['threads']} threads; forward + backward, best of "
          f"{args['repeats']}; peak RSS above the inputs and gradients")
    print(f"{'op':24} {'ms':>8} {'peak MB':>9}")
    for variant, r in results.items():
        print(f"{variant:24} {r['ms']:8.1f} {r['peak_mb']:9.1f}")
    for op in ("loss", "SwiGLU", "RMSNorm"):
        ours, theirs = results[f"{op}: labtune"], results[f"{op}: transformers"]
        print(f"{op}: labtune / transformers = {ours['ms'] / theirs['ms']:.2f}x time, "
              f"{ours['peak_mb'] / max(theirs['peak_mb'], 1e-9):.2f}x peak memory")


if __name__ == "__main__":
    main()
