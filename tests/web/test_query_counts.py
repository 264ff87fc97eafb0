"""The dashboard and the course page cost the same number of SQL queries whatever the amount of content."""

from tests import factories
from tracker.extensions import db
from tracker.services.learning import lessons


def _learner_with_progress(make_user, courses):
    user = make_user()
    for course in courses:
        lessons.read_lesson(user, course.modules[0].lessons[0])
    db.session.commit()
    return user


def _queries(client, count_queries, url):
    client.get(url)  # warm up: first-request work is not what we measure
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def _build(make_user, n_courses, **kwargs):
    courses = [factories.make_course(**kwargs) for _ in range(n_courses)]
    return courses, _learner_with_progress(make_user, courses)


def test_dashboard_queries_do_not_grow_with_courses(app, client, make_user, login_as, count_queries):
    courses, user = _build(make_user, 1)
    login_as(user)
    one = _queries(client, count_queries, "/")
    more = [factories.make_course() for _ in range(49)]
    for course in more:
        lessons.read_lesson(user, course.modules[0].lessons[0])
    db.session.commit()
    fifty = _queries(client, count_queries, "/")
    assert one == fifty
    # The session with its person, the published courses' versions (their views are cached), the learner's progress
    # in one statement, their certificates, their assignments.
    assert fifty == 5, fifty


def test_catalogue_queries_do_not_grow_with_courses(app, client, make_user, login_as, count_queries):
    _, user = _build(make_user, 1)
    login_as(user)
    one = _queries(client, count_queries, "/courses/")
    for _ in range(49):
        factories.make_course()
    assert _queries(client, count_queries, "/courses/") == one


def test_course_page_queries_do_not_grow_with_courses_or_modules(app, client, make_user, login_as, count_queries):
    small = factories.make_course(modules=1, lessons=1)
    user = _learner_with_progress(make_user, [small])
    login_as(user)
    one = _queries(client, count_queries, f"/courses/{small.slug}")
    for _ in range(49):
        factories.make_course()
    big = factories.make_course(modules=8, lessons=3)
    lessons.read_lesson(user, big.modules[0].lessons[0])
    db.session.commit()
    assert _queries(client, count_queries, f"/courses/{small.slug}") == one
    assert _queries(client, count_queries, f"/courses/{big.slug}") == one
    assert one == 4, one  # session with its person, course row, own progress, certificate


def test_lesson_page_queries_do_not_grow_with_the_course(app, client, make_user, login_as, count_queries):
    small = factories.make_course(modules=1, lessons=1)
    big = factories.make_course(modules=8, lessons=3)
    user = _learner_with_progress(make_user, [small, big])
    login_as(user)

    def lesson_url(course):
        module = course.modules[0]
        return f"/courses/{course.slug}/modules/{module.slug}/lessons/{module.lessons[0].slug}"

    one = _queries(client, count_queries, lesson_url(small))
    assert _queries(client, count_queries, lesson_url(big)) == one
    assert one == 3, one  # session with its person, course row, whether the lesson is read


def test_quiz_page_queries_do_not_grow_with_attempts(app, client, make_user, login_as, count_queries):
    from tracker.services.learning import attempts

    course = factories.make_course(modules=1, lessons=1, max_attempts=5)
    user = make_user()
    login_as(user)
    url = f"/courses/{course.slug}/modules/{course.modules[0].slug}/quiz"
    none = _queries(client, count_queries, url)
    quiz = course.modules[0].quiz
    for _ in range(3):
        attempt = attempts.start_attempt(user, quiz)
        attempts.submit_attempt(user, attempt, factories.answers_for(attempt, correct=False))
    db.session.commit()
    three = _queries(client, count_queries, url)
    page = client.get(url).get_data(as_text=True)
    assert page.count("badge-failed") == 3  # the three attempts, listed
    assert "You have read 0 of 1 lessons of this module." in page
    lessons.read_lesson(user, course.modules[0].lessons[0])
    db.session.commit()
    assert "You have read" not in client.get(url).get_data(as_text=True)
    assert none == three
    assert three == 3, three  # session with its person, course row, attempts with grants and lessons read
