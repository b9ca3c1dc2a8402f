"""Config layering, the CLI, and what a finished run leaves behind (loadable by transformers/peft)."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from labtune.data.conversation import Conversation, Message
from labtune.data.templates import get_template
from labtune.data.tokenize import encode
from labtune.errors import LabtuneError
from labtune.train.config import load_config
from labtune.train.output import hf_chat_template


def test_yaml_config_with_command_line_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate: 1.0e-4\nnum_train_epochs: 5\ndata: a.json\nlora: true\n")
    cfg = load_config(path, {"num_train_epochs": 2.0, "learning_rate": None, "data": []})
    assert (cfg.learning_rate, cfg.num_train_epochs, cfg.data, cfg.lora) == (1e-4, 2.0, ["a.json"], True)
    assert cfg.lr_scheduler_type == "cosine" and cfg.lr == 1e-4
    assert load_config(None, {"lora": True}).lr == 2e-4  # LoRA's default learning rate


@pytest.mark.parametrize("cuda, native, nproc, world_size, expected", [
    (False, True, None, "1", True),     # one process on an AVX512-BF16/AMX CPU
    (False, False, None, "1", False),   # emulated bfloat16 would be slower
    (False, True, 2, "1", False),       # sharded CPU training stays in float32
    (False, True, None, "2", False),    # ... also when torchrun launched this rank
    (True, False, 2, "2", True),        # a GPU with bfloat16
])
def test_bf16_auto_is_resolved_where_it_is_faster(monkeypatch, tmp_path, cuda, native, nproc, world_size, expected):
    from labtune.model import bfloat16

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    monkeypatch.setattr(bfloat16, "native_bfloat16", lambda: native)
    monkeypatch.setenv("WORLD_SIZE", world_size)
    path = tmp_path / "c.yaml"
    path.write_text("bf16: auto\n" + (f"nproc: {nproc}\n" if nproc else ""))
    cfg = load_config(path)
    assert cfg.bf16 is expected and f"bf16: {str(expected).lower()}" in cfg.to_yaml()  # the run records the choice
    path.write_text("bf16: sometimes\n")
    with pytest.raises(LabtuneError, match="c.yaml: field bf16: .*must be true, false or auto"):
        load_config(path)


def test_bad_config_names_the_file_and_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rat: 1e-4\n")
    with pytest.raises(LabtuneError, match=r"c.yaml: field learning_rat: Extra inputs are not permitted"):
        load_config(path)
    path.write_text("lr_scheduler_type: cosin\n")
    with pytest.raises(LabtuneError, match="c.yaml: field lr_scheduler_type: .*must be one of cosine"):
        load_config(path)
    with pytest.raises(LabtuneError, match="option --per_device_train_batch_size: .*greater than or equal to 1"):
        load_config(None, {"per_device_train_batch_size": 0})
    path.write_text("a: [1\n")
    with pytest.raises(LabtuneError, match="c.yaml: invalid YAML"):
        load_config(path)


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    from labtune.cli import main

    monkeypatch.setattr(sys, "argv", ["labtune", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code, capsys.readouterr().err


def test_cli_bad_input_is_one_line_exit_2(monkeypatch, capsys, tmp_path):
    (tmp_path / "c.yaml").write_text("warmup_ratio: 2\n")
    code, err = _cli(monkeypatch, capsys, "train", str(tmp_path / "c.yaml"))
    assert code == 2
    assert err.strip().splitlines() == [f"error: {tmp_path / 'c.yaml'}: field warmup_ratio: Input should be "
                                        "less than or equal to 1"]


def test_cli_lora_run_with_merge_loads_everywhere(monkeypatch, capsys, tmp_path, tiny_model_dir, chats):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from labtune.model.load import load

    (tmp_path / "c.yaml").write_text(f"model: {tiny_model_dir}\ndata: [{chats}]\nlora: true\nlora_r: 4\n")
    out = tmp_path / "run"
    code, err = _cli(monkeypatch, capsys, "train", str(tmp_path / "c.yaml"), "-o", str(out), "--max_steps", "2",
                     "--learning_rate", "1e-2", "--merge", "--quiet", "--lora_target_modules", "q_proj,v_proj",
                     "--eval_fraction", "0.25")
    assert code in (0, None), err
    meta = json.loads((out / "labtune.json").read_text())
    assert (meta["template"], meta["kind"], meta["base_model"]) == ("tokenizer", "lora", str(tiny_model_dir))
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2]
    assert [r["step"] for r in rows if "eval_loss" in r] == [2]  # held-out loss at the end of the run
    assert {"loss", "lr", "grad_norm", "tokens_per_s", "trainable_tokens"} <= rows[0].keys()
    run = json.loads((out / "run.json").read_text())
    assert list(run["data_sha256"]) == [str(chats)] and run["versions"]["torch"] == torch.__version__
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert json.loads((out / "adapter" / "adapter_config.json").read_text())["target_modules"] in (
        ["q_proj", "v_proj"], ["v_proj", "q_proj"])

    # adapter on the base with plain peft == the merged model with plain transformers == labtune's loader
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    with torch.no_grad():
        adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), out / "adapter")
        merged = AutoModelForCausalLM.from_pretrained(out / "model")
        base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
        torch.testing.assert_close(adapted(ids).logits, merged(ids).logits, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(base(ids).logits, merged(ids).logits, atol=1e-4)  # training changed it
        loaded = load(str(out))
        torch.testing.assert_close(loaded.model(ids).logits, merged(ids).logits, atol=1e-4, rtol=1e-4)
    tokenizer = AutoTokenizer.from_pretrained(out / "model")
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    stops = merged.generation_config.eos_token_id
    assert im_end in (stops if isinstance(stops, list) else [stops])  # plain generate() stops at end of turn
    assert loaded.template.name == "tokenizer" and tokenizer.chat_template == get_template(
        "tokenizer", tokenizer).source


@pytest.mark.parametrize("name", ["vicuna_v1.1", "alpaca"])
def test_saved_chat_template_renders_what_training_saw(tokenizer, name):
    template = get_template(name, tokenizer)
    conv = Conversation.from_messages([{"role": "user", "content": "Who presented?"},
                                       {"role": "assistant", "content": "Ada."},
                                       {"role": "user", "content": "When?"},
                                       {"role": "assistant", "content": "On 4/14/2023."}])
    trained = encode(conv, template, tokenizer).input_ids
    rendered = tokenizer.apply_chat_template([m.to_dict() for m in conv.messages], tokenize=False,
                                             chat_template=hf_chat_template(template, tokenizer))
    assert rendered == template.render(conv)
    assert tokenizer(rendered, add_special_tokens=False)["input_ids"] == trained
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                           add_generation_prompt=True,
                                           chat_template=hf_chat_template(template, tokenizer))
    assert prompt == template.prompt(Conversation.from_messages([{"role": "user", "content": "Hi"}]).messages)


def test_jinja_template_file_is_saved_in_the_run_and_reloaded(tmp_path, tokenizer):
    from labtune.model.load import template_from_spec
    from labtune.train.config import TrainConfig
    from labtune.train.output import template_spec

    path = tmp_path / "mine.jinja"
    path.write_text("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}<|im_end|>{% endfor %}"
                    "{% if add_generation_prompt %}<assistant>{% endif %}")
    template = get_template(str(path), tokenizer)
    spec = template_spec(TrainConfig(template=str(path)), template)
    assert spec["jinja"] == path.read_text()  # the run keeps the source, not a path that may move
    path.unlink()
    again = template_from_spec(spec, tokenizer)
    conv = Conversation.from_messages([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}])
    assert again.render(conv) == template.render(conv) == "<user>Hi<|im_end|><assistant>Yo<|im_end|>"


def test_alpaca_jinja_renders_the_with_input_prompt_from_an_input_key(tokenizer):
    template = get_template("alpaca", tokenizer)
    conv = Conversation([Message("user", "Sum these.\n\n2 and 3"), Message("assistant", "5")],
                        meta={"alpaca": {"instruction": "Sum these.", "input": "2 and 3"}})
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Sum these.", "input": "2 and 3"}, {"role": "assistant", "content": "5"}],
        tokenize=False, chat_template=hf_chat_template(template, tokenizer))
    assert "### Input:\n2 and 3\n\n### Response:" in rendered
    assert rendered == template.render(conv)


def test_template_stop_ids_are_the_end_of_turn_token_then_eos(tokenizer):
    ids = get_template("tokenizer", tokenizer).stop_token_ids(tokenizer)
    assert ids[0] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert tokenizer.eos_token_id in ids and len(ids) == len(set(ids))
