"""Templates render byte-exact with FastChat / Stanford Alpaca and with the tokenizer's own template."""

from __future__ import annotations

import pytest

from labtune.data.conversation import Conversation, Message
from labtune.data.templates import get_template
from labtune.errors import LabtuneError

TWO_TURNS = Conversation.from_messages([
    {"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Vicuna."},
    {"role": "user", "content": "Have a nice day!"}, {"role": "assistant", "content": "You too!"}])

# Written out by hand from DESIGN.md section 3 (FastChat conversation.py, Stanford Alpaca train.py).
VICUNA_GOLDEN = ("A chat between a curious user and an artificial intelligence assistant. The assistant gives "
                 "helpful, detailed, and polite answers to the user's questions. USER: Who are you? ASSISTANT: "
                 "I am Vicuna.</s>USER: Have a nice day! ASSISTANT: You too!</s>")
ALPACA_NO_INPUT = ("Below is an instruction that describes a task. Write a response that appropriately completes "
                   "the request.\n\n### Instruction:\n{}\n\n### Response:")
ALPACA_GOLDEN = (ALPACA_NO_INPUT.format("Who are you?") + "I am Vicuna.</s>"
                 + ALPACA_NO_INPUT.format("Have a nice day!") + "You too!</s>")
ALPACA_WITH_INPUT_GOLDEN = (
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a "
    "response that appropriately completes the request.\n\n### Instruction:\nAdd the numbers\n\n### Input:\n"
    "2 and 3\n\n### Response:5</s>")


def test_vicuna_matches_fastchat_byte_for_byte():
    template = get_template("vicuna_v1.1")
    assert template.render(TWO_TURNS) == VICUNA_GOLDEN
    assert template.prompt(TWO_TURNS.messages[:3]) == VICUNA_GOLDEN.split("You too!")[0].rstrip()
    assert template.prompt(TWO_TURNS.messages[:3]).endswith("ASSISTANT:")


def test_alpaca_matches_stanford_prompts_byte_for_byte():
    template = get_template("alpaca")
    assert template.render(TWO_TURNS) == ALPACA_GOLDEN
    record = Conversation([Message("user", "Add the numbers\n\n2 and 3"), Message("assistant", "5")],
                          meta={"alpaca": {"instruction": "Add the numbers", "input": "2 and 3"}})
    assert template.render(record) == ALPACA_WITH_INPUT_GOLDEN
    assert template.prompt(TWO_TURNS.messages[:1]) == ALPACA_NO_INPUT.format("Who are you?")


def test_with_a_tokenizer_the_end_of_turn_is_its_eos(tokenizer):
    assert get_template("vicuna_v1.1", tokenizer).render(TWO_TURNS).endswith("You too!" + tokenizer.eos_token)
    assert get_template("alpaca", tokenizer).eot == tokenizer.eos_token


@pytest.mark.parametrize("system", [None, "You answer in French."])
def test_tokenizer_template_equals_apply_chat_template(tokenizer, system):
    conv = Conversation(([Message("system", system)] if system else []) + list(TWO_TURNS.messages))
    template = get_template("tokenizer", tokenizer)
    dicts = [m.to_dict() for m in conv.messages]
    assert template.render(conv) == tokenizer.apply_chat_template(dicts, tokenize=False)
    assert template.prompt(conv.messages[:-1]) == tokenizer.apply_chat_template(dicts[:-1], tokenize=False,
                                                                                add_generation_prompt=True)


def test_user_jinja_file(tmp_path):
    path = tmp_path / "zephyr.jinja"
    path.write_text("{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}</s>\n{% endfor %}"
                    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    template = get_template(str(path))
    segments = template.segments(TWO_TURNS)
    assert [s.text for s in segments if s.trainable] == ["I am Vicuna.</s>", "You too!</s>"]
    assert template.render(TWO_TURNS) == ("<|user|>\nWho are you?</s>\n<|assistant|>\nI am Vicuna.</s>\n"
                                          "<|user|>\nHave a nice day!</s>\n<|assistant|>\nYou too!</s>\n")


def test_jinja_template_that_reorders_messages_is_refused(tmp_path):
    path = tmp_path / "reverse.jinja"
    path.write_text("{% for m in messages|reverse %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
    with pytest.raises(LabtuneError, match="does not render prefixes consistently"):
        get_template(str(path)).segments(TWO_TURNS)


def test_unknown_template_names_the_choices():
    with pytest.raises(LabtuneError, match="unknown template 'chatml'.*vicuna_v1.1"):
        get_template("chatml")


def test_jinja_file_renders_with_hf_features(tmp_path):
    """`{% generation %}` blocks and HF's tojson (no HTML escaping) work as in apply_chat_template."""
    path = tmp_path / "hf.jinja"
    path.write_text("{% for m in messages %}{% if m.role == 'assistant' %}A: {% generation %}{{ m.content | tojson }}"
                    "{% endgeneration %}</s>{% else %}Q: {{ m.content }}\n{% endif %}{% endfor %}"
                    "{% if add_generation_prompt %}A: {% endif %}")
    conv = Conversation([Message("user", "<b>?"), Message("assistant", "a < b & c")])
    template = get_template(str(path))
    assert template.render(conv) == 'Q: <b>?\nA: "a < b & c"</s>'
    assert [s.text for s in template.segments(conv) if s.trainable] == ['"a < b & c"</s>']


@pytest.mark.parametrize("source,expected", [
    ("{% for m in messages %}{{ m.content }}", r"invalid Jinja at line 1: Unexpected end of template"),
    ("{{ raise_exception('only user/assistant roles') }}", r"chat template '.*bad.jinja': only user/assistant roles"),
])
def test_broken_jinja_file_is_a_clear_error(tmp_path, source, expected):
    path = tmp_path / "bad.jinja"
    path.write_text(source)
    with pytest.raises(LabtuneError, match=expected):
        get_template(str(path)).render(TWO_TURNS)
