"""How close `labtune models` comes to a real training run on this machine.

For each mode (full, LoRA) and round: the probe as `labtune models` runs it (1 + 3 steps, batch 4 of
~130-token synthetic conversations, fresh process, no cache), then a run as `labtune train` makes it
(its default batch 4, real conversations, 1 warm-up + N timed steps, fresh process), then the probe
again; each reports its median step's time per 1k tokens; the computed estimate uses the matmul peak measured at the start of the round. Reported: time
per 1k tokens and peak memory of each, and the ratios estimate / real run, the probe taken as the mean
of the two around the real run (so a machine that speeds up or slows down during the round cancels out).

    python benchmarks/model_estimate.py --rounds 2 --steps 10 -o model_estimate.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from labtune.chooser.card import describe
from labtune.chooser.estimate import compute, measure_machine
from labtune.chooser.probe import ProbeSettings, probe_training
from labtune.chooser.report import SEQ_LEN
from labtune.model.resolve import resolve_model
from labtune.train.bench import in_fresh_process

# The peer data beside the checkout, as tests/testpaths.py finds it.
SHARED_DUMMY = Path(__file__).resolve().parents[2] / "shared" / "data" / "dummy_conversation.json"


def run(job: dict) -> dict:
    result = in_fresh_process(probe_training, job)
    if "error" in result:
        raise SystemExit(f"error: {job['mode']} run failed: {result['error']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--data", default=str(SHARED_DUMMY), help="conversations for the real run")
    parser.add_argument("--modes", nargs="+", default=["full", "lora"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed steps of the real run")
    parser.add_argument("--batch", type=int, default=4, help="batch of the real run (labtune train's default)")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()

    model_dir = resolve_model(args.model)
    arch = describe(args.model).architecture
    probe = ProbeSettings()
    real = ProbeSettings(batch=args.batch, warmup_steps=1, timed_steps=args.steps)
    rows = []
    for round_ in range(args.rounds):
        machine = measure_machine()
        for mode in args.modes:
            job = {"model_dir": str(model_dir), "mode": mode}
            before = run(job | {"settings": asdict(probe)})
            actual = run(job | {"settings": asdict(real), "data": args.data})
            after = run(job | {"settings": asdict(probe)})
            computed = compute(arch, machine, probe.batch, SEQ_LEN, mode)
            probe_s = statistics.mean([before["seconds_per_1k_tokens"], after["seconds_per_1k_tokens"]])
            probe_gb = statistics.mean([before["memory_gb"], after["memory_gb"]])
            row = {"round": round_ + 1, "mode": mode, "matmul_gflops": machine.matmul_gflops,
                   "real_s_per_1k": actual["seconds_per_1k_tokens"], "real_gb": actual["memory_gb"],
                   "real_tokens_per_step": actual["tokens_per_step"],
                   "probe_s_per_1k": [before["seconds_per_1k_tokens"], after["seconds_per_1k_tokens"]],
                   "probe_gb": [before["memory_gb"], after["memory_gb"]],
                   "computed_s_per_1k": computed.seconds_per_1k_tokens, "computed_gb": computed.memory_gb,
                   "probe_time_ratio": probe_s / actual["seconds_per_1k_tokens"],
                   "computed_time_ratio": computed.seconds_per_1k_tokens / actual["seconds_per_1k_tokens"],
                   "probe_memory_ratio": probe_gb / actual["memory_gb"],
                   "computed_memory_ratio": computed.memory_gb / actual["memory_gb"]}
            rows.append(row)
            print(f"round {row['round']} {mode}: real {row['real_s_per_1k']:.1f} s/1k tokens, {row['real_gb']:.2f} GB "
                  f"({row['real_tokens_per_step']:.0f} tokens/step); probe {probe_s:.1f} s, {probe_gb:.2f} GB "
                  f"(x{row['probe_time_ratio']:.2f} time, x{row['probe_memory_ratio']:.2f} memory); computed "
                  f"{row['computed_s_per_1k']:.1f} s, {row['computed_gb']:.2f} GB (x{row['computed_time_ratio']:.2f}, "
                  f"x{row['computed_memory_ratio']:.2f}); matmul peak {machine.matmul_gflops:.0f} GFLOP/s", flush=True)
    summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "model": args.model, "data": args.data, "rows": rows}
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
