from labtune.data.context import NOTES_HEADER, Passage, best_lines, reading_lines, with_notes
from labtune.data.conversation import Message


def test_notes_go_in_the_last_user_turn_before_the_question():
    messages = [Message("system", "S"), Message("user", "Hi"), Message("assistant", "Hello"),
                Message("user", "Who presented on 4/14/2023?")]
    out = with_notes(messages, [Passage("2023-04-14.md", "Presenter: Hana\n"), Passage("b.md", "Topic: x")])
    assert out[:3] == messages[:3]
    assert out[3].role == "user"
    assert out[3].content == (f"{NOTES_HEADER}\n\n[2023-04-14.md]\nPresenter: Hana\n\n[b.md]\nTopic: x\n\n"
                              "Question: Who presented on 4/14/2023?")


def test_no_passages_is_closed_book():
    messages = [Message("user", "Hi")]
    assert with_notes(messages, []) == messages


WRAPPED = """Siobhan retrieved 96 litterbags from the warming plots after 180 days in the field. Mass loss is
41 % in the warmed plots against 33 % in the controls. Eight bags were torn by voles and were not
weighed.
- Farid will order a second batch of optode foils, since the first batch was scratched during the
  calibration runs
date: 2024-04-30 and the rest of a long labelled field that ends mid-sentence without a stop
tags: [litter, voles]
grasses came up first
forbs about a week later
| Action | Owner | Due date of the action written out long enough to be wrapped |
| Weigh the bags | Farid | 7 May |"""


def test_a_wrapped_paragraph_is_read_as_its_sentences_and_a_line_of_its_own_stays_one():
    assert reading_lines(WRAPPED) == [
        "Siobhan retrieved 96 litterbags from the warming plots after 180 days in the field.",
        "Mass loss is 41 % in the warmed plots against 33 % in the controls.",
        "Eight bags were torn by voles and were not weighed.",
        "- Farid will order a second batch of optode foils, since the first batch was scratched during the "
        "calibration runs",
        "date: 2024-04-30 and the rest of a long labelled field that ends mid-sentence without a stop",
        "tags: [litter, voles]",
        "grasses came up first",  # short jotted lines are not a wrapped sentence
        "forbs about a week later",
        "| Action | Owner | Due date of the action written out long enough to be wrapped |",
        "| Weigh the bags | Farid | 7 May |",
    ]


def test_the_best_lines_of_a_wrapped_note_are_whole_sentences():
    text = "The lab meeting on April 30, 2024 was about litter decomposition.\n\n" + WRAPPED
    best = best_lines(text, "What was the mass loss of the litter in the warmed plots?")
    lead, _, lines = best.partition("\n\n")
    assert lead == "The lab meeting on April 30, 2024 was about litter decomposition."
    assert "Mass loss is 41 % in the warmed plots against 33 % in the controls." in lines.split("\n")
    assert all(line in reading_lines(WRAPPED) for line in lines.split("\n"))
