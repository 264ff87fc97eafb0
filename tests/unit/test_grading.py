import pytest

from tracker.services.learning.grading import grade, is_answer_correct

SINGLE = {
    "key": "s",
    "kind": "single",
    "choices": [{"id": "c1", "text": "a", "correct": False}, {"id": "c2", "text": "b", "correct": True}],
}
MULTI = {
    "key": "m",
    "kind": "multiple",
    "choices": [
        {"id": "c1", "text": "a", "correct": True},
        {"id": "c2", "text": "b", "correct": True},
        {"id": "c3", "text": "c", "correct": False},
    ],
}
TF = {
    "key": "t",
    "kind": "true_false",
    "choices": [{"id": "true", "text": "True", "correct": False}, {"id": "false", "text": "False", "correct": True}],
}


def test_single_choice_needs_the_correct_choice():
    assert is_answer_correct(SINGLE, ["c2"])
    assert not is_answer_correct(SINGLE, ["c1"])
    assert not is_answer_correct(SINGLE, [])


def test_multiple_choice_needs_all_correct_and_nothing_else():
    assert is_answer_correct(MULTI, ["c2", "c1"])
    assert not is_answer_correct(MULTI, ["c1"])
    assert not is_answer_correct(MULTI, ["c1", "c2", "c3"])


def test_true_false():
    assert is_answer_correct(TF, ["false"])
    assert not is_answer_correct(TF, ["true"])


@pytest.mark.parametrize(
    ("right", "total", "pass_mark", "score", "passed"),
    [
        (4, 5, 80, 80, True),  # exactly on the pass mark passes
        (3, 5, 80, 60, False),
        (5, 6, 80, 83, True),
        (4, 6, 80, 67, False),
        (2, 3, 67, 67, False),  # 66.67% is below 67 even though it rounds to 67
        (0, 5, 80, 0, False),
        (6, 6, 100, 100, True),
    ],
)
def test_score_and_pass_use_exact_arithmetic(right, total, pass_mark, score, passed):
    served = [dict(SINGLE, key=f"q{i}") for i in range(total)]
    answers = {f"q{i}": ["c2"] if i < right else ["c1"] for i in range(total)}
    result = grade(served, answers, pass_mark)
    assert (result.correct, result.total, result.score, result.passed) == (right, total, score, passed)
    assert sum(result.results.values()) == right


def test_unanswered_question_counts_as_wrong():
    result = grade([SINGLE, MULTI], {"s": ["c2"]}, 50)
    assert result.results == {"s": True, "m": False}
    assert result.passed


def test_empty_attempt_cannot_be_graded():
    with pytest.raises(ValueError):
        grade([], {}, 80)
