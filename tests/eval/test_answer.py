from labtune.data.conversation import Message
from labtune.eval import evaluate_questions, load_questions
from labtune.eval.answer import generate_answers
from labtune.model.load import load

from eval_helpers import FACT_ANSWER, FACT_QUESTION

PROMPTS = [[Message("user", FACT_QUESTION)], [Message("user", "Hi")],
           [Message("user", "A much longer question about the lab meeting notes and who wrote them down?")]]


def test_batched_left_padded_answers_equal_one_at_a_time(taught_model_dir):
    loaded = load(str(taught_model_dir))
    batched = generate_answers(loaded, PROMPTS, max_new_tokens=12, batch_size=3)
    alone = [generate_answers(loaded, [p], max_new_tokens=12, batch_size=1)[0] for p in PROMPTS]
    assert batched == alone
    assert batched[0] == FACT_ANSWER  # stopped at end-of-turn: nothing after the answer


def test_evaluate_questions_scores_each_answer(taught_model_dir, questions_file):
    loaded = load(str(taught_model_dir))
    results = evaluate_questions(loaded, load_questions(questions_file), match="contains", max_new_tokens=12)
    assert [(r.answer, r.correct, r.kind) for r in results][0] == (FACT_ANSWER, True, "presenter")
    assert results[1].correct is False and results[1].kind == "recorder"


def test_evaluate_questions_takes_plain_records(taught_model_dir):
    (result,) = evaluate_questions(load(str(taught_model_dir)), [{"question": FACT_QUESTION, "answers": ["alice"]}],
                                   match="f1", max_new_tokens=12)
    assert result.correct and result.answer == FACT_ANSWER
