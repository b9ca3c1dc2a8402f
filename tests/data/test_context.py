from labtune.data.context import NOTES_HEADER, Passage, with_notes
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
