"""Demo-recipe sweep: data shape x hyperparameters -> accuracy on examples/labnotes-questions.jsonl.

Mirrors labtune.train.loop (packed batches, loss = mean NLL over trainable tokens, AdamW, HF schedule,
clip 1.0) in a plain loop so many recipes run in one process on one GPU. Results in README.md (notes section).

    OUT=/tmp/out python scripts/notes_recipe_sweep.py MODEL_DIR labtune/data/general/smollm2_replay.json [NAME_FILTER]
"""
import copy, json, math, os, subprocess, sys, time
sys.path.insert(0, os.getcwd())
os.environ["HF_HUB_OFFLINE"] = "1"
OUT = os.environ.get("OUT", "/tmp/out")
import torch
import torch.nn.functional as F
from labtune.data.conversation import Conversation, Message
from labtune.data.notes.parse import read_notes
from labtune.data.notes.synthesize import SynthesisOptions, synthesize
from labtune.data.readers import read_file
from labtune.data.templates import get_template
from labtune.data.tokenize import encode
from labtune.eval.answer import generate_answers
from labtune.eval.questions import load_questions
from labtune.eval.scoring import score
from labtune.model.load import Loaded, load_model, load_tokenizer
from labtune.train.batching import epoch_order, pack

MODEL_DIR = sys.argv[1]
GENERAL = sys.argv[2]
ONLY = sys.argv[3] if len(sys.argv) > 3 else None
tok = load_tokenizer(MODEL_DIR)
tpl = get_template("tokenizer", tok)
questions = load_questions("examples/labnotes-questions.jsonl")
general = read_file(GENERAL).conversations
notes = read_notes("examples/labnotes").notes
PROBES = ["What are the three primary colors?", "What are the three primary colours?", "Name the three primary colors.",
          "What is the capital of Spain?", "How many days are in a year?"]
DEV = os.environ.get("DEV") or ("cuda" if torch.cuda.is_available() else "cpu")
base = load_model(MODEL_DIR).to(DEV)
base_state = {k: v.clone() for k, v in base.state_dict().items()}
log = open(f"{OUT}/sweep.jsonl", "a")


def evaluate(model):
    loaded = Loaded(model, tok, tpl, "x")
    ans = generate_answers(loaded, [q.prompt for q in questions], 48, 64)
    right = [score(a, q.answers) for a, q in zip(ans, questions)]
    probes = generate_answers(loaded, [[Message("user", p)] for p in PROBES], 64, 8)
    return sum(right) / len(right), ans, right, probes


def multi_turn(convs, k, seed):
    """Pack k single-turn Q&A into one conversation (one system prompt for k questions)."""
    import random
    rng = random.Random(seed)
    convs = list(convs)
    rng.shuffle(convs)
    out = []
    for i in range(0, len(convs), k):
        msgs = [m for c in convs[i:i + k] for m in c.messages]
        out.append(Conversation(msgs))
    return out


def build(per_field, original, structure, cross, n_general, seed=0, turns=1, summary=0):
    syn = synthesize(notes, SynthesisOptions(seed=seed, questions_per_field=per_field, original=original,
                                             structure=structure, cross=cross, summary=summary))
    convs = syn.conversations
    if turns > 1:
        single = [c for c in convs if c.meta.get("kind") in ("field", "summary")]
        rest = [c for c in convs if c.meta.get("kind") not in ("field", "summary")]
        convs = multi_turn(single, turns, seed) + rest
    convs = convs + general[:n_general]
    return [encode(c, tpl, tok, 2048) for c in convs]


def train(samples, epochs, bs, lr, sched="cosine", warmup=0.03, seed=42, lora=None, accum=1):
    from transformers import get_scheduler
    torch.manual_seed(seed)
    base.load_state_dict(base_state)
    model = base
    if lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(copy.deepcopy(base), LoraConfig(r=lora[0], lora_alpha=lora[1], lora_dropout=0.0,
                                                               target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.0},
                             {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}], lr=lr)
    micro = math.ceil(len(samples) / bs)
    steps_per_epoch = -(-micro // accum)
    total = -(-int(steps_per_epoch * epochs * 1000) // 1000)
    schedule = get_scheduler(sched, opt, num_warmup_steps=int(round(total * warmup)), num_training_steps=total)
    step, epoch, tokens, losses = 0, 0, 0, []
    while step < total:
        order = epoch_order(len(samples), seed, epoch)
        mbs = [order[i:i + bs] for i in range(0, len(order), bs)]
        for w in range(0, len(mbs), accum):
            batches = [pack([samples[i] for i in idx]).to(DEV) for idx in mbs[w:w + accum]]
            n = sum(b.trainable_tokens for b in batches)
            tot = 0.0
            for b in batches:
                out = model(input_ids=b.input_ids, position_ids=b.position_ids, logits_to_keep=b.keep, use_cache=False)
                loss = F.cross_entropy(out.logits.float().view(-1, out.logits.shape[-1]), b.targets, reduction="sum") / n
                loss.backward()
                tot += loss.item()
                tokens += b.tokens
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(); schedule.step(); opt.zero_grad(set_to_none=True)
            step += 1
            losses.append(tot)
            if step >= total:
                break
        epoch += 1
    model.eval()
    return model, tokens, losses


def run(name, data, **kw):
    t = time.time()
    samples = build(**data)
    model, tokens, losses = train(samples, **kw)
    acc, ans, right, probes = evaluate(model)
    row = {"name": name, "data": data, "train": {k: v for k, v in kw.items()}, "n": len(samples),
           "tokens_per_epoch": sum(len(s.input_ids) for s in samples), "tokens_total": tokens,
           "final_loss": sum(losses[-5:]) / 5, "acc": acc, "wrong": [(q.text, a) for q, a, r in zip(questions, ans, right) if not r],
           "probes": probes, "secs": round(time.time() - t, 1)}
    print(json.dumps({k: row[k] for k in ("name", "n", "tokens_per_epoch", "tokens_total", "final_loss", "acc", "secs")}), flush=True)
    print("   probes:", [p[:90] for p in probes[:3]], flush=True)
    log.write(json.dumps(row) + "\n"); log.flush()


if __name__ == "__main__":
    base.eval()
    acc, ans, right, probes = evaluate(base)
    print("BASE acc", acc, "probes", probes, flush=True)
    print("BASE answers", ans[:6], flush=True)
    T = dict(per_field=3, original=False, structure=False, cross=False, n_general=16, summary=0)
    T2 = dict(T, summary=2)
    S2 = dict(per_field=4, original=False, structure=False, cross=True, n_general=24, summary=2)
    grid = [
        ("T_full_e8_bs8_lr2e-4_lin", T, dict(epochs=8, bs=8, lr=2e-4, sched="linear")),
        ("T2_full_e8_bs4_lr2e-4", T2, dict(epochs=8, bs=4, lr=2e-4)),
        ("T2_full_e6_bs4_lr3e-4", T2, dict(epochs=6, bs=4, lr=3e-4)),
        ("T2_full_e6_bs2_lr2e-4", T2, dict(epochs=6, bs=2, lr=2e-4)),
        ("T2mt4_full_e8_bs2_lr2e-4", dict(T2, turns=4), dict(epochs=8, bs=2, lr=2e-4)),
        ("T2_full_e5_bs2_lr3e-4", T2, dict(epochs=5, bs=2, lr=3e-4)),
        ("S2_full_e6_bs4_lr2e-4", S2, dict(epochs=6, bs=4, lr=2e-4)),
        ("T2_full_e10_bs4_lr2e-4", T2, dict(epochs=10, bs=4, lr=2e-4)),
    ]
    for name, data, kw in grid:
        if ONLY and ONLY not in name:
            continue
        try:
            run(name, data, **kw)
        except Exception as exc:
            print(name, "FAILED", repr(exc), flush=True)
