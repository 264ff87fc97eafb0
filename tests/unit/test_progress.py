from sqlalchemy import select

from tests import factories
from tracker.enums import ProgressStatus
from tracker.extensions import db
from tracker.models import CourseProgress, LessonRead
from tracker.services.content import loader
from tracker.services.learning import attempts, lessons, progress


def _complete_module(user, module):
    for lesson in module.lessons:
        lessons.read_lesson(user, lesson)
    attempt = attempts.start_attempt(user, module.quiz)
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt))


def test_reading_a_lesson_is_recorded_once_and_moves_the_percentage(app, make_user, course):
    user = make_user()
    lesson = course.modules[0].lessons[0]
    assert lessons.read_lesson(user, lesson) is True
    assert lessons.read_lesson(user, lesson) is False
    db.session.commit()
    assert len(db.session.scalars(select(LessonRead)).all()) == 1
    row = db.session.scalar(select(CourseProgress))
    # 2 modules x (2 lessons + 1 quiz) = 6 steps; 1 done
    assert (row.percent, row.lessons_read, row.last_lesson_id) == (16, 1, lesson.id)


def test_module_completes_with_lessons_read_and_quiz_passed(app, make_user, course):
    user = make_user()
    first = course.modules[0]
    for lesson in first.lessons:
        lessons.read_lesson(user, lesson)
    state = progress.course_state(user.id, course)
    assert state.modules[0].status == ProgressStatus.IN_PROGRESS and not state.modules[0].complete
    assert state.next_step().kind == "quiz"
    attempt = attempts.start_attempt(user, first.quiz)
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt))
    state = progress.course_state(user.id, course)
    assert state.modules[0].complete and state.modules[0].status == ProgressStatus.COMPLETED
    assert state.next_step().lesson.id == course.modules[1].lessons[0].id
    assert state.percent == 50


def test_failed_quiz_does_not_complete_the_module(app, make_user, course):
    user = make_user()
    module = course.modules[0]
    for lesson in module.lessons:
        lessons.read_lesson(user, lesson)
    attempt = attempts.start_attempt(user, module.quiz)
    attempts.submit_attempt(user, attempt, factories.answers_for(attempt, correct=False))
    state = progress.course_state(user.id, course)
    assert not state.modules[0].complete and state.next_step().kind == "quiz"


def test_course_completes_when_every_module_is_complete(app, make_user, course):
    user = make_user()
    for module in course.modules:
        _complete_module(user, module)
    db.session.commit()
    row = db.session.scalar(select(CourseProgress))
    assert row.percent == 100 and row.completed_at is not None
    assert row.completed_version == course.version and row.best_score == 100
    assert progress.course_state(user.id, course).next_step().kind == "done"


def test_team_progress_is_one_query_for_any_number_of_people(app, make_user, course, count_queries):
    people = [make_user() for _ in range(12)]
    for person in people[:7]:
        lessons.read_lesson(person, course.modules[0].lessons[0])
    ids = [p.id for p in people]
    db.session.commit()
    with count_queries() as counter:
        rows = progress.team_progress(ids)
    assert counter.count == 1
    assert len(rows) == 7 and all(r.percent == 16 for r in rows)


def test_recompute_after_content_change_updates_everyone(app, make_user):
    data = factories.course_data("grows", modules=1, lessons=2)
    loader.apply_course(data)
    course = factories.load_course("grows")
    user = make_user()
    for lesson in course.modules[0].lessons:
        lessons.read_lesson(user, lesson)
    db.session.commit()
    assert db.session.scalar(select(CourseProgress.percent)) == 66
    data["modules"][0]["lessons"].append(dict(data["modules"][0]["lessons"][0], slug="lesson-new", title="New"))
    loader.apply_course(data)
    db.session.commit()
    assert db.session.scalar(select(CourseProgress.percent)) == 50
