"""Packed-row attention: transformers' sdpa with the block-diagonal mask vs labtune's per-sample SDPA.

Same model, same packed rows (real conversations, `--per-row` samples each), forward + backward,
alternating the two implementations so both see the same machine load. Prints tokens/s of each,
their ratio, and the largest logit difference (they must agree).

    python benchmarks/packed_attention.py --rows 6 --per-row 8
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from labtune.data.dataset import load_dataset
from labtune.data.templates import get_template
from labtune.data.tokenize import encode_dataset
from labtune.model.load import load_model, load_tokenizer
from labtune.model.resolve import resolve_model
from labtune.train.attention import NAME
from labtune.train.batching import pack

DATA = Path(__file__).resolve().parents[1] / "labtune" / "data" / "general" / "smollm2_replay.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--data", default=str(DATA), help="any file labtune reads (default: the bundled replay set)")
    parser.add_argument("--rows", type=int, default=6, help="timed packed rows per implementation")
    parser.add_argument("--per-row", type=int, default=8, help="samples packed into one row")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = resolve_model(args.model)
    tokenizer = load_tokenizer(model_dir)
    convs = load_dataset([args.data], seed=0).train
    samples = encode_dataset(convs, get_template("tokenizer", tokenizer), tokenizer, 512).samples
    rows = [pack(samples[i * args.per_row:(i + 1) * args.per_row]) for i in range(args.rows + 1)]
    model = load_model(model_dir, dtype=torch.float32)
    model.config.use_cache = False
    seconds = {"sdpa": 0.0, NAME: 0.0}
    diff = 0.0
    for i, row in enumerate(rows):
        logits = {}
        for name in (("sdpa", NAME) if i % 2 else (NAME, "sdpa")):
            model.set_attn_implementation(name)
            start = time.perf_counter()
            out = model(input_ids=row.input_ids, position_ids=row.position_ids, logits_to_keep=row.keep)
            torch.nn.functional.cross_entropy(out.logits[0], row.targets).backward()
            model.zero_grad(set_to_none=True)
            if i:  # the first row warms both up
                seconds[name] += time.perf_counter() - start
            logits[name] = out.logits.detach()
        diff = max(diff, float((logits["sdpa"] - logits[NAME]).abs().max()))
    tokens = sum(r.tokens for r in rows[1:])
    result = {name: tokens / s for name, s in seconds.items()}
    print(json.dumps({"rows": args.rows, "mean_row_tokens": tokens / args.rows, "threads": torch.get_num_threads(),
                      "tokens_per_s": {k: round(v, 1) for k, v in result.items()},
                      "speedup": round(result[NAME] / result["sdpa"], 3), "max_logit_diff": diff}))


if __name__ == "__main__":
    main()
