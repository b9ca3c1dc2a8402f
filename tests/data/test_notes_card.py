"""A meeting's card: the reader's findings as the sentence answers use, before the note's text in every prompt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from labtune.data.notes.card import card, with_card
from labtune.data.notes.note import Fact, Note


def _note(**kw) -> Note:
    base = dict(path=Path("mtg 13feb.txt"), title="mtg 13feb", date=date(2024, 2, 13),
                fields={"Recorder": "Tobias Okafor", "Chair": "Wanjiru Achterberg", "Presenter": "Siobhan Takahashi",
                        "Topic": "seed bank germination trial"},
                text="mtg 13feb\nSiobhan on the seed bank; Tobias typing.\n")
    base.update(kw)
    return Note(**base)


def test_a_card_is_the_meetings_summary_sentence_with_the_month_by_name_and_both_roles_in_order():
    assert card(_note()) == ("The lab meeting on February 13, 2024 was about seed bank germination trial; "
                             "the presenter was Siobhan Takahashi and the recorder was Tobias Okafor.")
    assert card(_note(fields={"Recorder": "Tobias Okafor"})) == \
        "At the lab meeting on February 13, 2024, the recorder was Tobias Okafor."


def test_action_items_with_an_owner_go_on_the_card_and_the_text_follows_it_unchanged():
    facts = [Fact("ask facilities by fri", "- @siobhan ask facilities by fri", "action", owner="Siobhan Takahashi",
                  task="ask facilities about the growth chamber by fri"),
             Fact("who waters?", "who waters?", "action"),  # no owner: nothing to put on the card
             Fact("200 petri dishes", "needs 200 petri dishes", "number")]
    note = _note(facts=facts)
    lead, text = with_card(note).split("\n\n", 1)
    assert lead.splitlines()[1:] == ["Action item for Siobhan Takahashi: ask facilities about the growth chamber by fri"]
    assert card(note, actions=False) == lead.splitlines()[0]
    assert text == note.text.strip()


def test_a_note_the_reader_found_nothing_in_is_its_text_alone():
    note = _note(date=None, fields={})
    assert card(note) == "" and with_card(note) == note.text.strip()
