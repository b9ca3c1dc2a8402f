"""Streamed text: the same as decoding the whole answer, stop strings cut and never shown, no re-decoding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labtune.serve.text import TextStream

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(ids=st.lists(st.integers(min_value=0, max_value=49151), min_size=1, max_size=40))
def test_pieces_join_to_what_decoding_the_whole_answer_gives(tokenizer, ids):
    stream = TextStream(tokenizer)
    shown = "".join(stream.push(i)[0] for i in ids) + stream.finish()
    assert shown == stream.text == tokenizer.decode(ids, skip_special_tokens=True)


@FAST
@given(words=st.lists(st.sampled_from(["lab", " meet", "ing", " on", " 4", "/", "14", " STOP", " ST", "OP", "é", "世界"]),
                      min_size=1, max_size=12),
       stop=st.sampled_from(["STOP", "ing on", "/1", "界", "zzz"]))
def test_text_stops_before_a_stop_string_and_never_shows_any_of_it(tokenizer, words, stop):
    ids = [i for word in words for i in tokenizer(word, add_special_tokens=False)["input_ids"]]
    stream = TextStream(tokenizer, (stop,))
    shown, stopped = "", False
    for token in ids:
        piece, stopped = stream.push(token)
        shown += piece
        if stopped:
            break
    if not stopped:
        shown += stream.finish()
    full = tokenizer.decode(ids)
    expected = full[:full.index(stop)] if stop in full else full
    assert shown == expected and stopped == (stop in full)


def test_each_token_decodes_only_the_newest_tokens(tokenizer, monkeypatch):
    ids = tokenizer("The lab meeting on 4/14/2023 was presented by Alice. " * 40, add_special_tokens=False)["input_ids"]
    stream = TextStream(tokenizer)
    # decoding the whole answer again would go through these; the stream must not
    monkeypatch.setattr(type(tokenizer), "decode", lambda *a, **k: (_ for _ in ()).throw(AssertionError("decode")))
    monkeypatch.setattr(type(tokenizer), "convert_ids_to_tokens", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    text = "".join(stream.push(i)[0] for i in ids) + stream.finish()
    assert text.count("Alice") == 40
