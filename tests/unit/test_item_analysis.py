"""Item analysis against hand-computed figures; flags only past the minimum sample; queries independent of attempts."""

import math

import pytest

from tests import factories
from tracker.enums import ItemFlag
from tracker.extensions import db
from tracker.services.learning import attempts
from tracker.services.reporting import item_analysis
from tracker.services.reporting.item_analysis import point_biserial


def test_point_biserial_matches_the_hand_computation():
    # Rest scores 1.0 and 0.5 for those right, 0.5 and 0.0 for those wrong: means 0.75 and 0.25, overall mean 0.5,
    # population standard deviation sqrt(0.125), p = 0.5: r = 0.5 / 0.35355 * 0.5 = 0.7071.
    pairs = [(True, 1.0), (True, 0.5), (False, 0.5), (False, 0.0)]
    assert point_biserial(pairs) == pytest.approx(1 / math.sqrt(2))
    assert point_biserial([(True, 1.0), (True, 0.0)]) is None  # nobody wrong: undefined
    assert point_biserial([(True, 0.5), (False, 0.5)]) is None  # no spread in the rest scores


def _sit(user, quiz, picks):
    """An attempt answered by the file's choice keys: {question key: [choice key, ...]}."""
    attempt = attempts.start_attempt(user, quiz)
    answers = {}
    for question in attempt.served:
        wanted = picks[question["key"]]
        answers[question["key"]] = [c["id"] for c in question["choices"] if c["key"] in wanted]
    attempts.submit_attempt(user, attempt, answers)
    return attempt


def _course_with_answers(make_user, learners):
    """Three questions (single, multiple, true/false) all served in every attempt. The first half of the learners
    answer everything right; the others pick the same wrong choices, except on the true/false item, which they get
    right while the strong half gets it wrong (so that item discriminates the wrong way)."""
    course = factories.make_course(modules=1, pool=3, per_attempt=3)
    quiz = course.modules[0].quiz
    single, multiple, true_false = (q.key for q in quiz.questions)
    for n in range(learners):
        strong = n < learners // 2
        picks = {
            single: ["c1"] if strong else ["c2"],
            multiple: ["c1", "c2"] if strong else ["c1", "c3"],
            true_false: ["false"] if strong else ["true"],
        }
        _sit(make_user(), quiz, picks)
    db.session.commit()
    return factories.load_course(course.slug), (single, multiple, true_false)


def test_figures_per_question_and_module(app, make_user):
    course, (single, multiple, true_false) = _course_with_answers(make_user, 4)
    [module] = item_analysis.analyse(course)
    assert (module.attempts, module.passed, module.first_attempts, module.first_passed) == (4, 0, 4, 0)
    items = {item.key: item for item in module.questions}
    assert items[single].served == 4 and items[single].difficulty == 0.5
    assert {c.key: c.picked for c in items[single].choices} == {"c1": 2, "c2": 2, "c3": 0}
    assert {c.key: c.picked for c in items[multiple].choices} == {"c1": 4, "c2": 2, "c3": 2}
    # Single item: strong learners have the multiple right and the true/false wrong (rest 1 of 2 = 0.5); weak ones
    # the multiple wrong and the true/false right (0.5 as well). No spread in rest scores: undefined.
    assert items[single].discrimination is None
    # True/false: strong learners are wrong with rest 1.0, weak ones right with rest 0.0: r = -1.
    assert items[true_false].discrimination == pytest.approx(-1.0)
    assert all(item.flags == [] for item in module.questions)  # 4 answers: below the minimum sample


def test_flags_appear_past_the_minimum_sample(app, make_user, monkeypatch):
    monkeypatch.setattr(item_analysis, "MIN_SAMPLE", 6)
    course, (single, multiple, true_false) = _course_with_answers(make_user, 6)
    [module] = item_analysis.analyse(course)
    items = {item.key: item for item in module.questions}
    assert ItemFlag.NEGATIVE_DISCRIMINATION in items[true_false].flags
    assert ItemFlag.UNUSED_DISTRACTOR in items[single].flags  # c3 never picked
    # Multiple choice: the wrong c3 is picked as often as the right c2, not more: no popular-distractor flag.
    assert ItemFlag.POPULAR_DISTRACTOR not in items[multiple].flags
    rows = list(item_analysis.csv_rows([module]))
    assert len(rows) == 3 + 3 + 2  # a row per choice
    assert any(row[1] == true_false and "negative_discrimination" in row[6] for row in rows)


def test_query_count_does_not_grow_with_attempts(app, make_user, count_queries):
    few, _keys = _course_with_answers(make_user, 2)
    with count_queries() as small:
        item_analysis.analyse(factories.load_course(few.slug))
    many, _keys = _course_with_answers(make_user, 40)
    with count_queries() as large:
        item_analysis.analyse(factories.load_course(many.slug))
    assert small.count == large.count


def test_admin_page_and_csv(client, login_as, make_user):
    course, (single, _multiple, _tf) = _course_with_answers(make_user, 2)
    login_as(make_user(role="admin"))
    page = client.get(f"/admin/analysis/{course.slug}")
    assert page.status_code == 200 and single in page.get_data(as_text=True)
    export = client.get(f"/admin/analysis/{course.slug}.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.get_data(as_text=True).lstrip("\ufeff").startswith("module,question,kind,served")
    client.post("/logout")
    login_as(make_user(role="manager"))
    assert client.get(f"/admin/analysis/{course.slug}").status_code == 403
