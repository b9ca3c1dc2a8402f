"""The generation engine: template prompt, stop rules, sampling controls, cancel, history trimming."""

from __future__ import annotations

import threading

from labtune.data.conversation import Message
from labtune.data.tokenize import encode_prompt
from labtune.serve.generate import Sampling

GREEDY = Sampling(temperature=0, max_new_tokens=12)
QUESTION = [Message("system", "Be brief."), Message("user", "Who presented on 4/14/2023?")]


def ids(engine, text: str) -> list[int]:
    return engine.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_model_is_fed_the_templates_prompt_tokenized_as_in_training(wrap_engine):
    engine = wrap_engine()
    generation = engine.chat(QUESTION, GREEDY).run()
    expected = encode_prompt(QUESTION, engine.template, engine.tokenizer)
    assert engine.model.calls[0] == expected
    assert engine.tokenizer.decode(expected).endswith("<|im_start|>assistant\n")
    assert generation.prompt_tokens == len(expected)
    # after the prompt, each step feeds exactly the one token picked before (the KV cache holds the rest)
    assert all(len(call) == 1 for call in engine.model.calls[1:])


def test_stops_at_the_templates_end_of_turn_token(wrap_engine):
    probe = wrap_engine()
    eot = ids(probe, "<|im_end|>")
    assert len(eot) == 1 and eot[0] in probe.stop_token_ids
    engine = wrap_engine(script=ids(probe, "Alice presented.") + eot + ids(probe, " leaked"))
    generation = engine.chat(QUESTION, GREEDY)
    pieces = list(generation)
    assert "".join(pieces) == generation.text == "Alice presented."
    assert generation.finish_reason == "stop"
    assert len(pieces) > 1  # streamed, not one block at the end


def test_stop_string_split_across_tokens_never_leaks(wrap_engine):
    probe = wrap_engine()
    script = ids(probe, "one two") + ids(probe, " ST") + ids(probe, "OP three four")
    engine = wrap_engine(script=script)
    generation = engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=20, stop=("STOP",)))
    pieces = list(generation)
    assert "".join(pieces) == "one two "
    assert not any("ST" in p for p in pieces)
    assert generation.finish_reason == "stop"


def test_text_held_back_for_a_stop_string_that_never_comes_is_released(wrap_engine):
    probe = wrap_engine()
    engine = wrap_engine(script=ids(probe, "ends with ST"))
    generation = engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=len(ids(probe, "ends with ST")),
                                                stop=("STOP",)))
    assert "".join(generation) == "ends with ST"
    assert generation.finish_reason == "length"


def test_max_new_tokens_ends_with_length(tiny_engine):
    generation = tiny_engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=7)).run()
    if generation.finish_reason == "length":
        assert generation.completion_tokens == 7
    else:  # a random model may hit a stop token first; it must never run past the cap
        assert generation.completion_tokens < 7


def test_greedy_is_deterministic_and_a_seed_reproduces_sampling(tiny_engine):
    greedy = [tiny_engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=6)).run().text for _ in range(2)]
    assert greedy[0] == greedy[1]
    runs = [tiny_engine.chat(QUESTION, Sampling(temperature=1.5, max_new_tokens=6, seed=seed)).run().text
            for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]  # the seed really drives the sampling (vocabulary of 49k: a clash is unlikely)


def test_tiny_top_p_keeps_only_the_most_likely_token(tiny_engine):
    greedy = tiny_engine.chat(QUESTION, GREEDY).run().text
    nucleus = tiny_engine.chat(QUESTION, Sampling(temperature=1.0, top_p=1e-6, max_new_tokens=12, seed=1)).run()
    assert nucleus.text == greedy


def test_repetition_penalty_changes_the_choice(wrap_engine):
    # greedy decoding of a random model repeats itself; a strong penalty must change what it picks
    plain = wrap_engine()
    repeat = plain.chat(QUESTION, Sampling(temperature=0, max_new_tokens=12)).run()
    penalized = plain.chat(QUESTION, Sampling(temperature=0, max_new_tokens=12, repetition_penalty=100.0)).run()
    assert repeat.text != penalized.text


def test_cancel_flag_stops_between_tokens(wrap_engine):
    engine = wrap_engine()
    cancel = threading.Event()
    generation = engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=200), cancel)
    pieces = iter(generation)
    next(pieces)
    cancel.set()
    list(pieces)
    assert generation.finish_reason == "cancelled"
    assert generation.completion_tokens < 200


def test_fit_history_drops_oldest_exchanges_keeps_system_and_last_question(tiny_engine):
    import copy

    engine = copy.copy(tiny_engine)
    messages = [Message("system", "Be brief.")]
    for i in range(12):
        messages += [Message("user", f"question {i} " * 5), Message("assistant", f"answer {i} " * 5)]
    messages.append(Message("user", "last question"))
    engine.context_length = len(engine.chat_prompt_ids(messages[:1] + messages[-5:])) + 10
    kept, dropped = engine.fit_history(messages, max_new_tokens=10)
    assert dropped == len(messages) - len(kept) > 0
    assert kept[0] == messages[0] and kept[-1] == messages[-1]
    assert kept[1].role == "user"
    assert kept[1:] == messages[len(messages) - len(kept) + 1:]
    assert len(engine.chat_prompt_ids(kept)) <= engine.context_length - 10


def test_a_lora_run_generates_with_its_saved_template(tiny_model_dir, tmp_path):
    import json

    from peft import LoraConfig, get_peft_model

    from labtune.model.load import load, load_model
    from labtune.serve.generate import Engine

    run = tmp_path / "run"
    lora = get_peft_model(load_model(tiny_model_dir), LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    lora.save_pretrained(run / "adapter")
    (run / "labtune.json").write_text(json.dumps({"template": "vicuna_v1.1", "base_model": str(tiny_model_dir),
                                                  "kind": "lora"}))
    engine = Engine(load(str(run)))
    assert engine.template.name == "vicuna_v1.1"
    assert engine.model_id == "run"  # the run's name is the model id clients see, not its path
    generation = engine.chat(QUESTION, Sampling(temperature=0, max_new_tokens=5)).run()
    assert generation.prompt_tokens == len(encode_prompt(QUESTION, engine.template, engine.tokenizer))
    assert engine.tokenizer.decode(engine.chat_prompt_ids(QUESTION)).endswith("ASSISTANT:")
    assert generation.completion_tokens <= 5 and generation.finish_reason in ("stop", "length")
