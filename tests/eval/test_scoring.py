import pytest

from labtune.errors import LabtuneError
from labtune.eval.scoring import normalize, score, token_f1


def test_normalize_drops_case_accents_and_punctuation():
    assert normalize("  Dr. José PÉREZ-Núñez!! ") == "dr jose perez nunez"
    assert normalize("4/14/2023") == normalize("4-14-2023") == "4 14 2023"


@pytest.mark.parametrize("answer", ["The presenter was José Pérez.", "jose perez", "JOSE PEREZ!",
                                    "It was: Jose-Perez, I think"])
def test_contains_ignores_case_accents_and_punctuation(answer):
    assert score(answer, ["José Pérez"], "contains")


def test_contains_needs_whole_words():
    assert not score("Alison presented", ["Ali"], "contains")
    assert not score("Alice presented", ["Alice Smith"], "contains")  # a partial name is not the name
    assert score("Alice presented", ["Alice Smith", "Alice"], "contains")  # unless listed as acceptable


def test_exact_is_whole_answer_up_to_normalization():
    assert score("Alice Smith.", ["alice smith"], "exact")
    assert not score("It was Alice Smith.", ["alice smith"], "exact")


def test_token_f1_gives_partial_credit_for_partial_names():
    assert token_f1("Smith", "Alice Smith") == pytest.approx(2 / 3)
    assert score("Smith", ["Alice Smith"], "f1")
    assert not score("I believe it was probably someone named Smith", ["Alice Smith"], "f1")
    assert token_f1("Bob", "Alice Smith") == 0.0


def test_any_acceptable_answer_counts():
    assert score("four", ["4", "four"], "exact")
    assert score("It is 4.", "4", "contains")
    assert not score("It is 44.", "4", "contains")


def test_unknown_match_is_a_user_error():
    with pytest.raises(LabtuneError, match="--match"):
        score("a", ["a"], "fuzzy")
