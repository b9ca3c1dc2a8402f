"""Helpers shared by the export tests: a small tokenizer and model, chats, logits, leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from labtune.data.conversation import Message
from labtune.model.load import load

CHATML = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
          "{{ '<|im_start|>system\nYou are a helpful lab assistant.<|im_end|>\n' }}{% endif %}"
          "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
CORPUS = [
    "Who is the presenter of the 4/14/2023 lab meeting? Dana Ruiz presented the diatom results.",
    "The lab meeting on May 12 covered sediment cores from Reed Lake and the sampling plan.",
    "Priya Okonkwo took the notes; Mateo Lindqvist gave the talk about amplicons and the grant.",
    "USER: ASSISTANT: ### Instruction: ### Response: Below is an instruction that describes a task.",
    "What subject did the meeting cover? The answer is in the notes. Question 12, answer 345.",
]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def make_small_tokenizer(out: Path):
    """A byte-level BPE tokenizer (GPT-2 style, as SmolLM2's) of ~400 tokens with ChatML specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(CORPUS * 4, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        unk_token="<|endoftext|>", pad_token="<|im_end|>")
    tokenizer.chat_template = CHATML
    tokenizer.save_pretrained(out)
    return tokenizer


def make_model(out: Path, tokenizer, seed: int = 0, model_type: str = "llama"):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

    torch.manual_seed(seed)
    config_class, model_class = (LlamaConfig, LlamaForCausalLM) if model_type == "llama" else \
        (MistralConfig, MistralForCausalLM)
    config = config_class(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                          tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                          rope_theta=10000.0)
    model = model_class(config)
    with torch.no_grad():  # norms away from 1 so a mistake in them shows in the logits
        for name, param in model.named_parameters():
            if "norm" in name:
                param.uniform_(0.5, 1.5)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def write_chats(path: Path, n: int = 8) -> Path:
    records = [{"id": f"c{i}", "conversations": [
        {"from": "human", "value": f"Who presented on 4/{i + 1}/2023?"},
        {"from": "gpt", "value": f"Dana Ruiz presented the diatom results {i}."}]} for i in range(n)]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def train_run(out: Path, model: Path, **overrides) -> Path:
    from labtune.train.config import TrainConfig
    from labtune.train.loop import train

    values = dict(model=str(model), data=[str(write_chats(out.parent / f"{out.name}-chats.json"))],
                  output_dir=str(out), per_device_train_batch_size=2, gradient_accumulation_steps=1,
                  num_train_epochs=1, learning_rate=5e-2, save_steps=1000, quiet=True, seed=3)
    values.update(overrides)
    train(TrainConfig(**values))
    return out


MESSAGES = [Message("user", "Who presented on 4/14/2023?"), Message("assistant", "Dana Ruiz."),
            Message("user", "And the topic?")]


def run_logits(run, text="Who is the presenter of the 4/14/2023 lab meeting?"):
    loaded = load(str(run))
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return ids, loaded.model(ids).logits


def leftovers(folder: Path, name: str) -> list[str]:
    """Anything named like `name` (the output or its temporary) left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if name in p.name)


def llama_cpp_logits(gguf_path: Path, ids: list[int]):
    """llama.cpp's logits for every position of `ids` (llama-cpp-python), as a torch tensor."""
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(gguf_path), n_ctx=len(ids) + 8, n_threads=1, logits_all=True,
                            verbose=False)
    llama.eval(ids)
    return torch.tensor(llama.scores[: len(ids)])[None]
