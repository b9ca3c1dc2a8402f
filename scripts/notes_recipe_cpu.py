"""CPU recipe runs: the sweep loop of scripts/notes_recipe_sweep.py on CPU, with chained turns.

    OMP_NUM_THREADS=1 NT=1 OUT=/tmp/out python scripts/notes_recipe_cpu.py X1   (DRY=1: sizes only)
"""
import json, math, os, random, sys, time
sys.path.insert(0, os.getcwd())
os.environ["HF_HUB_OFFLINE"] = "1"
import torch, torch.nn.functional as F
torch.set_num_threads(int(os.environ.get("NT","1")))
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
from labtune.model.resolve import resolve_model
from labtune.train.batching import epoch_order, pack

MODEL_DIR = resolve_model("smollm2-135m")
tok = load_tokenizer(MODEL_DIR); tpl = get_template("tokenizer", tok)
questions = load_questions("examples/labnotes-questions.jsonl")
general = read_file("labtune/data/general/smollm2_replay.json").conversations
notes = read_notes("examples/labnotes").notes
PROBES = ["What are the three primary colors?"]
base = load_model(MODEL_DIR)
base_state = {k: v.clone() for k, v in base.state_dict().items()}

def evaluate(model):
    loaded = Loaded(model, tok, tpl, "x")
    ans = generate_answers(loaded, [q.prompt for q in questions], 48, 64)
    right = [score(a, q.answers) for a, q in zip(ans, questions)]
    probes = generate_answers(loaded, [[Message("user", p)] for p in PROBES], 64, 8)
    return sum(right) / len(right), ans, right, probes

def mix_turns(convs, k, seed):
    """k single-turn Q&A of DIFFERENT notes per conversation."""
    rng = random.Random(seed); convs = list(convs); rng.shuffle(convs)
    groups = []
    for c in convs:
        for g in groups:
            if len(g) < k and all(x.source != c.source for x in g):
                g.append(c); break
        else:
            groups.append([c])
    return [Conversation([m for c in g for m in c.messages]) for g in groups]

def build(per_field, summary, n_general, turns=1, seed=0):
    syn = synthesize(notes, SynthesisOptions(seed=seed, questions_per_field=per_field, original=False,
                                             structure=False, cross=False, summary=summary))
    convs = syn.conversations
    if turns > 1:
        convs = mix_turns(convs, turns, seed)
    convs = convs + general[:n_general]
    return [encode(c, tpl, tok, 2048) for c in convs]

def train(samples, epochs, bs, lr, sched="linear", warmup=0.03, seed=42, freeze_emb=False, budget=None):
    from transformers import get_scheduler
    torch.manual_seed(seed)
    base.load_state_dict(base_state); model = base
    for p in model.parameters(): p.requires_grad_(True)
    if freeze_emb: model.get_input_embeddings().weight.requires_grad_(False)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=True)
    steps_per_epoch = math.ceil(len(samples) / bs)
    total = int(steps_per_epoch * epochs)
    schedule = get_scheduler(sched, opt, num_warmup_steps=int(round(total * warmup)), num_training_steps=total)
    step, epoch, tokens, losses = 0, 0, 0, []
    t0 = time.time()
    while step < total:
        order = epoch_order(len(samples), seed, epoch)
        for i in range(0, len(order), bs):
            b = pack([samples[j] for j in order[i:i + bs]])
            out = model(input_ids=b.input_ids, position_ids=b.position_ids, logits_to_keep=b.keep, use_cache=False)
            loss = F.cross_entropy(out.logits.float().view(-1, out.logits.shape[-1]), b.targets, reduction="sum") / b.trainable_tokens
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(); schedule.step(); opt.zero_grad(set_to_none=True)
            tokens += b.tokens; step += 1; losses.append(loss.item())
            if step % 50 == 0:
                print(f"  step {step}/{total} loss {sum(losses[-50:])/50:.3f} tok {tokens} {tokens/(time.time()-t0):.0f} tok/s", flush=True)
            if step >= total: break
        epoch += 1
    model.eval()
    return model, tokens, losses, time.time() - t0

def run(name, data, **kw):
    samples = build(**data)
    tpe = sum(len(s.input_ids) for s in samples)
    print(f"== {name}: {len(samples)} convs, {tpe} tok/epoch, est total {tpe*kw['epochs']}", flush=True)
    if os.environ.get("DRY"): return
    model, tokens, losses, secs = train(samples, **kw)
    t = time.time()
    acc, ans, right, probes = evaluate(model)
    row = {"name": name, "data": data, "train": kw, "n": len(samples), "tokens_per_epoch": tpe, "tokens_total": tokens,
           "final_loss": sum(losses[-10:]) / 10, "acc": acc, "train_s": round(secs), "eval_s": round(time.time() - t),
           "wrong": [(q.text, a) for q, a, r in zip(questions, ans, right) if not r], "probes": probes}
    print(json.dumps({k: row[k] for k in ("name", "tokens_total", "final_loss", "acc", "train_s", "eval_s", "probes")}), flush=True)
    with open(f"{os.environ.get('OUT', '/tmp')}/notes-recipe-{name}.jsonl", "a") as f: f.write(json.dumps(row) + "\n")

GRID = {
    "A": (dict(per_field=4, summary=4, n_general=16, turns=3), dict(epochs=5, bs=1, lr=3e-4, freeze_emb=True)),
    "B": (dict(per_field=4, summary=4, n_general=16, turns=1), dict(epochs=6, bs=2, lr=3e-4)),
    "C": (dict(per_field=4, summary=4, n_general=16, turns=2), dict(epochs=6, bs=1, lr=3e-4)),
    "X1": (dict(per_field=4, summary=8, n_general=16, turns=3), dict(epochs=4, bs=1, lr=5e-4)),
    "X2": (dict(per_field=4, summary=4, n_general=16, turns=3), dict(epochs=5, bs=1, lr=5e-4)),
    "D": (dict(per_field=8, summary=4, n_general=16, turns=3), dict(epochs=4, bs=1, lr=3e-4)),
}
if __name__ == "__main__":
    for name in sys.argv[1:]:
        data, kw = GRID[name]
        run(name, data, **kw)

def breakdown():
    syn = synthesize(notes, SynthesisOptions(seed=0, questions_per_field=4, original=False, structure=False, cross=False, summary=4))
    for kind in ("field", "summary"):
        cs = [c for c in syn.conversations if c.meta["kind"] == kind]
        n = [len(encode(c, tpl, tok, 2048).input_ids) for c in cs]
        print(kind, len(cs), sum(n), sum(n)/len(n))
    g = [len(encode(c, tpl, tok, 2048).input_ids) for c in general]
    print("general", len(g), sorted(g))
    print(tpl.render(syn.conversations[0]) if hasattr(tpl, "render") else "")
