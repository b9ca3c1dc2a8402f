"""Labels: -100 everywhere except assistant content and the end-of-turn token that closes it."""

from __future__ import annotations

import logging

import pytest

from labtune.data.conversation import Conversation, Message
from labtune.data.templates import get_template
from labtune.data.tokenize import IGNORE_INDEX, encode, encode_dataset, encode_prompt

SYSTEM = Message("system", "Answer briefly.")
TURNS = [Message("user", "What is 2+2?"), Message("assistant", "4"),
         Message("user", "And the capital of France?"), Message("assistant", "Paris, of course."),
         Message("user", "Thanks!"), Message("assistant", "You're welcome.")]
TEMPLATES = ["tokenizer", "vicuna_v1.1", "alpaca", "jinja-file"]


@pytest.fixture
def make_template(tokenizer, tmp_path):
    def make(name):
        if name == "jinja-file":
            path = tmp_path / "llama3ish.jinja"
            path.write_text("{{ bos_token }}{% for m in messages %}<|start|>{{ m.role }}\n\n{{ m.content }}"
                            "{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|start|>assistant\n\n"
                            "{% endif %}")
            return get_template(str(path), tokenizer)
        return get_template(name, tokenizer)
    return make


def trainable_runs(enc, tokenizer) -> list[str]:
    """Decode each maximal run of trainable tokens."""
    runs, current = [], []
    for token, label in zip(enc.input_ids, enc.labels):
        if label != IGNORE_INDEX:
            assert label == token
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [tokenizer.decode(run) for run in runs]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("with_system", [False, True])
def test_only_assistant_turns_and_their_end_of_turn_are_trainable(tokenizer, make_template, name, with_system):
    template = make_template(name)
    conv = Conversation(([SYSTEM] if with_system else []) + TURNS)
    runs = trainable_runs(encode(conv, template, tokenizer), tokenizer)
    # vicuna_v1.1 writes "ASSISTANT: answer": the separating space belongs to the first answer token.
    lead = " " if name == "vicuna_v1.1" else ""
    assert runs == [lead + m.content + template.eot for m in TURNS if m.role == "assistant"]
    assert all(run.endswith(tokenizer.eos_token) or run.endswith("<|im_end|>") for run in runs)


@pytest.mark.parametrize("name", TEMPLATES)
def test_generation_prompt_is_a_prefix_of_the_training_ids(tokenizer, make_template, name):
    """What chat/serve feed the model is exactly what training showed before each answer."""
    template = make_template(name)
    enc = encode(Conversation(TURNS), template, tokenizer)
    for i, msg in enumerate(TURNS):
        if msg.role == "assistant":
            prompt = encode_prompt(TURNS[:i], template, tokenizer)
            assert enc.input_ids[:len(prompt)] == prompt
            assert enc.labels[len(prompt) - 1] == IGNORE_INDEX  # the answer starts right after the prompt
            assert enc.labels[len(prompt)] != IGNORE_INDEX
            if i == 1:
                assert set(enc.labels[:len(prompt)]) == {IGNORE_INDEX}


def test_tokenizer_template_ids_equal_whole_string_tokenization(tokenizer, make_template):
    conv = Conversation([SYSTEM] + TURNS)
    enc = encode(conv, make_template("tokenizer"), tokenizer)
    assert enc.input_ids == tokenizer.apply_chat_template([m.to_dict() for m in conv.messages],
                                                          tokenize=True, return_dict=True)["input_ids"]


def test_truncation_counts_and_samples_without_trainable_tokens_are_dropped(tokenizer, caplog):
    template = get_template("vicuna_v1.1", tokenizer)
    short = Conversation(TURNS[:2], source="d.json", index=0)
    long_prompt = Conversation([Message("user", "word " * 300), Message("assistant", "ok")],
                               source="d.json", index=1, id="long")
    long_answer = Conversation([Message("user", "Hi"), Message("assistant", "word " * 300)],
                               source="d.json", index=2)
    with caplog.at_level(logging.WARNING):
        out = encode_dataset([short, long_prompt, long_answer], template, tokenizer, max_length=64)
    assert out.truncated == 2
    assert out.dropped == [long_prompt]
    assert out.conversations == [short, long_answer]
    assert all(len(s.input_ids) <= 64 for s in out.samples)
    assert "dropped 1 of 3 samples" in caplog.text and "d.json: record 1 (id=long)" in caplog.text


def test_valid_data_drops_nothing(tokenizer):
    out = encode_dataset([Conversation(TURNS)] * 3, get_template("tokenizer", tokenizer), tokenizer, 2048)
    assert (out.truncated, out.dropped, len(out.samples)) == (0, [], 3)
    assert out.samples[0].input_ids == out.samples[2].input_ids  # a repeated conversation is encoded once,
    assert out.samples[0].input_ids is not out.samples[2].input_ids  # but each sample owns its lists
    assert out.trainable_tokens < out.tokens


def test_a_sample_is_learnable_only_with_a_trainable_token_after_the_first():
    from labtune.data.tokenize import Encoded

    assert not Encoded([5, 6], [5, IGNORE_INDEX]).learnable  # position 0 predicts nothing
    assert Encoded([5, 6], [IGNORE_INDEX, 6]).learnable


def llama_style_tokenizer(texts: list[str]):
    """A character-level LLaMA tokenizer (SentencePiece-style "▁" prepended to the start of a text)."""
    from transformers import LlamaTokenizer

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for ch in sorted(set("".join(texts).replace(" ", "▁").replace("</s>", "")) | {"▁", "x"}):
        vocab.setdefault(ch, len(vocab))
    return LlamaTokenizer(vocab=vocab, merges=[])


@pytest.mark.parametrize("name", ["vicuna_v1.1", "alpaca"])
def test_sentencepiece_style_segments_tokenize_as_the_whole_text(name):
    conv = Conversation([SYSTEM] + TURNS)
    text = get_template(name).render(conv)
    tok = llama_style_tokenizer([text])
    template = get_template(name, tok)
    naive = [i for s in template.segments(conv) for i in tok(s.text, add_special_tokens=False)["input_ids"]]
    whole = tok(text)["input_ids"]
    assert naive != whole  # each segment alone would start with a spurious "▁"
    enc = encode(conv, template, tok)
    assert enc.input_ids == whole
    lead = " " if name == "vicuna_v1.1" else ""
    trained = "".join(t if l != IGNORE_INDEX else "|" for t, l in zip(tok.convert_ids_to_tokens(enc.input_ids),
                                                                     enc.labels))
    # decode() drops a leading "▁"; the tokens themselves show the space exactly.
    assert [run.replace("▁", " ") for run in trained.split("|") if run] == \
        [lead + m.content + "</s>" for m in TURNS if m.role == "assistant"]
    prompt = encode_prompt(conv.messages[:4], template, tok)  # system, user, assistant, user
    assert enc.input_ids[:len(prompt)] == prompt and enc.labels[len(prompt)] != IGNORE_INDEX


@pytest.mark.parametrize("name", ["dummy_conversation.json", "alpaca_5000.json"])
def test_shared_peer_data_has_no_fully_masked_sample(tokenizer, name):
    from testpaths import SHARED_DATA
    from labtune.data.readers import read_file

    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    convs = read_file(path).conversations[:500]
    out = encode_dataset(convs, get_template("tokenizer", tokenizer), tokenizer, 2048)
    assert (len(out.samples), out.dropped, out.truncated) == (500, [], 0)
    ends = [s.labels[i] for s in out.samples for i in range(1, len(s.labels))
            if s.labels[i] != IGNORE_INDEX and (i + 1 == len(s.labels) or s.labels[i + 1] == IGNORE_INDEX)]
    assert len(ends) == sum(len([m for m in c.messages if m.role == "assistant"]) for c in convs)
    assert set(ends) == {tokenizer.convert_tokens_to_ids("<|im_end|>")}  # every answer ends with end-of-turn
