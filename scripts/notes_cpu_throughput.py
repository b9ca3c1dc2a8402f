"""Tokens/s of the training step on 2 CPU threads, full fine-tune and LoRA r64.

    DEV=cpu OUT=/tmp/out taskset -c 0,1 python scripts/notes_cpu_throughput.py MODEL_DIR labtune/data/general/smollm2_replay.json
"""
import os, sys, time, json
sys.path.insert(0, os.getcwd())
import torch
torch.set_num_threads(2)
sys.argv = [sys.argv[0], sys.argv[1], sys.argv[2], "NONE"] if len(sys.argv) >= 3 else sys.argv
import importlib.util
spec = importlib.util.spec_from_file_location("sweep", str(__import__("pathlib").Path(__file__).with_name("notes_recipe_sweep.py")))
import torch.nn.functional as F
sw = importlib.util.module_from_spec(spec); spec.loader.exec_module(sw)
from labtune.train.batching import pack
samples = sw.build(per_field=4, original=False, structure=False, cross=True, n_general=24)
for lora in (None, (64, 128)):
    model = sw.base
    if lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(sw.base, LoraConfig(r=lora[0], lora_alpha=lora[1], target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5)
    toks, t0 = 0, None
    for step in range(7):
        if step == 1:
            t0, toks = time.time(), 0
        b = pack(samples[step * 8:(step + 1) * 8])
        out = model(input_ids=b.input_ids, position_ids=b.position_ids, logits_to_keep=b.keep, use_cache=False)
        loss = F.cross_entropy(out.logits.float().view(-1, out.logits.shape[-1]), b.targets)
        loss.backward(); opt.step(); opt.zero_grad()
        toks += b.tokens
    print(json.dumps({"lora": lora, "tok_per_s": toks / (time.time() - t0), "threads": torch.get_num_threads()}), flush=True)
