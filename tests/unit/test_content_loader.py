"""The course loader: validation of course files, applying them to the database and reloading edited loader."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import (
    Attempt,
    Course,
    CourseProgress,
    LearningPath,
    LearningPathCourse,
    Lesson,
    LessonRead,
    Module,
    Question,
    Quiz,
    User,
)
from tracker.services.content import loader
from tracker.services.content.schema import ContentError
from tracker.services.learning import attempts, lessons

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"

GOOD_COURSE = """\
slug: loader-test-course
title: Loader test course
summary: A small course used to test the loader.
audience: All staff
facts_checked: 2026-11-22
certificate_valid_months: 12
modules:
  - slug: first-module
    title: First module
    lessons:
      - slug: first-lesson
        title: First lesson
        objectives:
          - Read a lesson.
        body: |
          ## What this is

          Some **bold** text and a [safe link](https://example.org/page).

          <script>alert("stolen")</script>

          A [bad link](javascript:alert(1)) and <a href="javascript:alert(2)" onclick="steal()">raw html</a>.
        key_points:
          - A key point.
        sources:
          - citation: "Author (2024). Title. Publisher."
            url: https://example.org/source
      - slug: second-lesson
        title: Second lesson
        objectives: [Learn more.]
        body: The plain second lesson.
        key_points: [Another key point.]
        sources:
          - citation: A book without a link.
    quiz:
      pass_mark: 80
      questions_per_attempt: 2
      max_attempts: 3
      cooldown_minutes: 10
      questions:
        - id: first-single
          type: single
          prompt: Which one?
          choices:
            - text: This one
              correct: true
            - text: That one
          explanation: Because this one is right.
        - id: first-multiple
          type: multiple
          prompt: Which ones?
          choices:
            - text: Alpha
              correct: true
            - text: Beta
              correct: true
            - text: Gamma
          explanation: Alpha and Beta, not Gamma.
        - id: first-true-false
          type: true_false
          prompt: Is this statement true?
          answer: false
          explanation: It is false.
  - slug: second-module
    title: Second module
    lessons:
      - slug: only-lesson
        title: Only lesson
        objectives: [Finish the course.]
        body: The last lesson.
        key_points: [Last point.]
        sources:
          - citation: Another source.
            url: http://example.com/other
    quiz:
      pass_mark: 70
      questions_per_attempt: 1
      questions:
        - id: second-true-false
          type: true_false
          prompt: Is the sky blue on a clear day?
          answer: true
          explanation: Rayleigh scattering.
"""


def good_data() -> dict[str, Any]:
    return yaml.safe_load(GOOD_COURSE)


def to_text(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def load_text(text: str, source: str = "course.yaml") -> loader.LoadResult:
    result = loader.apply_course(loader.check_course_text(text, source))
    db.session.commit()
    return result


def problems_of(text: str, source: str = "broken.yaml") -> list[str]:
    with pytest.raises(ContentError) as info:
        loader.check_course_text(text, source)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def lesson_by_slug(course_slug: str, module_slug: str, lesson_slug: str) -> Lesson:
    lesson = db.session.scalar(
        select(Lesson)
        .join(Module)
        .join(Course)
        .where(Course.slug == course_slug, Module.slug == module_slug, Lesson.slug == lesson_slug)
    )
    assert lesson is not None
    return lesson


class _Tags(HTMLParser):
    """Collects the real elements and attributes of an HTML fragment (escaped text is not an element)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


# --------------------------------------------------------------------------------------------- a valid file


def test_valid_file_creates_course_modules_lessons_quizzes_and_questions(app):
    result = load_text(GOOD_COURSE)
    assert result == loader.LoadResult("loader-test-course", "created", 1)

    course = factories.load_course("loader-test-course")
    assert course.title == "Loader test course"
    assert course.audience == "All staff"
    assert course.estimated_minutes == 5  # computed: a few hundred words and two short quizzes round up to 5
    assert course.facts_checked.isoformat() == "2026-11-22"
    assert course.certificate_valid_months == 12
    assert course.version == 1
    assert len(course.content_hash) == 64
    assert [m.slug for m in course.modules] == ["first-module", "second-module"]
    assert [m.position for m in course.modules] == [1, 2]

    first, second = course.modules
    assert [lesson.slug for lesson in first.lessons] == ["first-lesson", "second-lesson"]
    assert [lesson.slug for lesson in second.lessons] == ["only-lesson"]
    lesson = first.lessons[0]
    assert lesson.objectives == ["Read a lesson."]
    assert lesson.key_points == ["A key point."]
    assert lesson.sources == [{"citation": "Author (2024). Title. Publisher.", "url": "https://example.org/source"}]
    assert first.lessons[1].sources == [{"citation": "A book without a link."}]
    assert lesson.body_markdown.startswith("## What this is")
    assert lesson.word_count == len(lesson.body_markdown.split())

    # Markdown is rendered ...
    assert "<h2>What this is</h2>" in lesson.body_html
    assert "<strong>bold</strong>" in lesson.body_html
    tags = parse_tags(lesson.body_html)
    links = [attrs for tag, attrs in tags if tag == "a"]
    assert links == [{"href": "https://example.org/page", "rel": "noopener noreferrer"}]
    # ... and sanitised: no script element, no javascript: link, no event handler survives.
    assert "script" not in {tag for tag, _ in tags}
    assert "<script" not in lesson.body_html.lower()
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert not any("javascript" in (value or "").lower() for _, attrs in tags for value in attrs.values())

    quiz = first.quiz
    assert (quiz.pass_mark, quiz.questions_per_attempt, quiz.max_attempts, quiz.cooldown_minutes) == (80, 2, 3, 10)
    # A quiz that states no attempt policy gets the default: after two fails in a row, 15 minutes between attempts.
    assert (second.quiz.pass_mark, second.quiz.max_attempts, second.quiz.cooldown_minutes) == (70, None, 15)
    assert (second.quiz.cooldown_after_failures, quiz.cooldown_after_failures) == (2, 2)
    by_key = {q.key: q for q in quiz.questions}
    assert [q.key for q in quiz.questions] == ["first-single", "first-multiple", "first-true-false"]
    assert by_key["first-single"].kind == "single"
    assert by_key["first-single"].choices == [
        {"id": "c1", "text": "This one", "correct": True},
        {"id": "c2", "text": "That one", "correct": False},
    ]
    assert [c["correct"] for c in by_key["first-multiple"].choices] == [True, True, False]
    assert by_key["first-multiple"].explanation == "Alpha and Beta, not Gamma."
    assert by_key["first-true-false"].kind == "true_false"
    assert by_key["first-true-false"].choices == [
        {"id": "true", "text": "True", "correct": False},
        {"id": "false", "text": "False", "correct": True},
    ]
    assert second.quiz.questions[0].choices == [
        {"id": "true", "text": "True", "correct": True},
        {"id": "false", "text": "False", "correct": False},
    ]
    assert (count(Course), count(Module), count(Lesson), count(Quiz), count(Question)) == (1, 2, 3, 2, 4)


# --------------------------------------------------------------------------------------------- bad files


def _set(path: list[Any], value: Any) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


Q0 = ["modules", 0, "quiz", "questions", 0]
Q1 = ["modules", 0, "quiz", "questions", 1]
Q2 = ["modules", 0, "quiz", "questions", 2]
L0 = ["modules", 0, "lessons", 0]
L1 = ["modules", 0, "lessons", 1]

BAD_FILES = {
    "missing fields": (
        [
            _delete(["title"]),
            _delete([*L0, "objectives"]),
            _delete([*Q0, "explanation"]),
            _delete(["modules", 1, "quiz"]),
            _delete([*L1, "sources"]),
        ],
        [
            "title: is required",
            "modules[0].lessons[0].objectives: needs at least one item",
            "modules[0].lessons[1].sources: needs at least one item",
            "modules[0].quiz.questions[0].explanation: is required",
            "modules[1].quiz: is required",
        ],
    ),
    "wrong types": (
        [
            _set(["estimated_minutes"], "twenty"),
            _set(["certificate_valid_months"], True),
            _set(["facts_checked"], "last week"),
            _set([*L0, "key_points"], "just text"),
            _set([*L1, "title"], 42),
            _set(["modules", 0, "quiz", "pass_mark"], 80.5),
            _set([*Q1, "choices", 2, "correct"], "no"),
        ],
        [
            "estimated_minutes: is computed from the lessons and quizzes; remove it from the file",
            "certificate_valid_months: must be a whole number",
            "facts_checked: must be a date written as YYYY-MM-DD",
            "modules[0].lessons[0].key_points: needs at least one item",
            "modules[0].lessons[1].title: must be non-empty text",
            "modules[0].quiz.pass_mark: must be a whole number",
            "modules[0].quiz.questions[1].choices[2].correct: must be true or false",
        ],
    ),
    "single choice without a correct answer": (
        [_set([*Q0, "choices", 0, "correct"], False)],
        ["modules[0].quiz.questions[0].choices: a single-choice question needs exactly one correct choice, has 0"],
    ),
    "single choice with two correct answers": (
        [_set([*Q0, "choices", 1, "correct"], True)],
        ["modules[0].quiz.questions[0].choices: a single-choice question needs exactly one correct choice, has 2"],
    ),
    "multiple choice with one correct answer": (
        [_delete([*Q1, "choices", 1, "correct"])],
        ["modules[0].quiz.questions[1].choices: a multiple-choice question needs at least two correct choices, has 1"],
    ),
    "multiple choice with no wrong answer": (
        [_set([*Q1, "choices", 2, "correct"], True)],
        ["modules[0].quiz.questions[1].choices: at least one choice of a multiple-choice question must be wrong"],
    ),
    "duplicate choice texts": (
        [_set([*Q1, "choices", 2, "text"], "  ALPHA ")],
        ["modules[0].quiz.questions[1].choices[2]: duplicate choice 'ALPHA'"],
    ),
    "too few choices": (
        [_set([*Q0, "choices"], [{"text": "Only one", "correct": True}])],
        ["modules[0].quiz.questions[0].choices: needs at least two choices"],
    ),
    "duplicate question ids across modules": (
        [_set(["modules", 1, "quiz", "questions", 0, "id"], "first-single")],
        ["modules[1].quiz.questions[0].id: duplicate question id 'first-single'"],
    ),
    "duplicate module and lesson slugs": (
        [_set(["modules", 1, "slug"], "first-module"), _set([*L1, "slug"], "first-lesson")],
        [
            "modules[0].lessons[1].slug: duplicate lesson slug 'first-lesson'",
            "modules[1].slug: duplicate module slug 'first-module'",
        ],
    ),
    "bad slugs": (
        [_set(["slug"], "Loader_Test"), _set([*L0, "slug"], "double--hyphen"), _set([*Q2, "id"], "q 3")],
        [
            "slug: use lowercase letters, digits and single hyphens",
            "modules[0].lessons[0].slug: use lowercase letters, digits and single hyphens",
            "modules[0].quiz.questions[2].id: use lowercase letters, digits and single hyphens",
        ],
    ),
    "more questions per attempt than the pool holds": (
        [_set(["modules", 1, "quiz", "questions_per_attempt"], 2)],
        ["modules[1].quiz.questions_per_attempt: asks for 2 questions but the pool has 1"],
    ),
    "bad urls": (
        [
            _set([*L0, "sources", 0, "url"], "htp:/x"),
            _set([*L1, "sources", 0, "url"], "not a url"),
            _set(["modules", 1, "lessons", 0, "sources", 0, "url"], "javascript:alert(1)"),
        ],
        [
            "modules[0].lessons[0].sources[0].url: 'htp:/x' is not a well-formed http(s) link",
            "modules[0].lessons[1].sources[0].url: 'not a url' is not a well-formed http(s) link",
            "modules[1].lessons[0].sources[0].url: 'javascript:alert(1)' is not a well-formed http(s) link",
        ],
    ),
    "true_false with choices instead of an answer": (
        [_delete([*Q2, "answer"]), _set([*Q2, "choices"], [{"text": "True"}, {"text": "False", "correct": True}])],
        [
            "modules[0].quiz.questions[2].choices: true_false questions take `answer: true|false`, not choices",
            "modules[0].quiz.questions[2].answer: must be true or false",
        ],
    ),
    "unknown question type": (
        [_set([*Q2, "type"], "essay")],
        ["modules[0].quiz.questions[2].type: must be one of single, multiple, true_false"],
    ),
    "numbers out of range": (
        [
            _set(["certificate_valid_months"], 0),
            _set(["modules", 0, "quiz", "pass_mark"], 101),
            _set(["modules", 0, "quiz", "cooldown_minutes"], -1),
        ],
        [
            "certificate_valid_months: must be between 1 and 120",
            "modules[0].quiz.pass_mark: must be between 1 and 100",
            "modules[0].quiz.cooldown_minutes: must be between 0 and 43200",
        ],
    ),
}


@pytest.mark.parametrize("changes, expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_every_problem_of_a_bad_file_is_reported_with_file_and_path(changes, expected):
    data = good_data()
    for change in changes:
        change(data)
    problems = problems_of(to_text(data))
    assert sorted(problems) == sorted(f"broken.yaml: {line}" for line in expected)


def test_problems_in_a_hand_written_file_are_all_reported_at_once():
    text = """\
slug: broken-course
title: ""
summary: Broken.
audience: All staff
facts_checked: 2026-11-22
modules:
  - slug: only-module
    title: Only module
    lessons:
      - slug: a-lesson
        title: A lesson
        objectives: []
        body: Text.
        key_points: [Point.]
        sources:
          - url: https://example.org
    quiz:
      pass_mark: 80
      questions_per_attempt: 5
      questions:
        - id: q-one
          type: single
          prompt: One?
          choices:
            - text: A
            - text: B
          explanation: None is right.
        - id: q-two
          type: single
          prompt: Two?
          choices:
            - text: "Yes"
              correct: true
            - text: " yes"
          explanation: Duplicates.
        - id: q-three
          type: single
          prompt: Three?
          choices:
            - text: No
              correct: true
            - text: Maybe
          explanation: An unquoted No is read by YAML as the boolean false, not as text.
"""
    assert sorted(problems_of(text, "hand.yaml")) == sorted(
        [
            "hand.yaml: title: must be non-empty text",
            "hand.yaml: modules[0].lessons[0].objectives: needs at least one item",
            "hand.yaml: modules[0].lessons[0].sources[0].citation: is required",
            "hand.yaml: modules[0].quiz.questions[0].choices: "
            "a single-choice question needs exactly one correct choice, has 0",
            "hand.yaml: modules[0].quiz.questions[1].choices[1]: duplicate choice 'yes'",
            "hand.yaml: modules[0].quiz.questions[2].choices[0].text: must be non-empty text",
            "hand.yaml: modules[0].quiz.questions_per_attempt: asks for 5 questions but the pool has 3",
        ]
    )


def test_invalid_yaml_is_reported_with_its_line_number():
    text = GOOD_COURSE.replace("title: Second lesson", "title: [Second lesson")
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "[Second lesson" in row)
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith("broken.yaml: not valid YAML (line ")
    # PyYAML notices the unclosed flow sequence on the following line.
    assert f"(line {line + 1}," in problems[0]


def test_tab_indentation_is_reported_with_its_line_number():
    text = "slug: x\ntitle: y\nmodules:\n\t- slug: m\n"
    problems = problems_of(text, "tabs.yaml")
    assert len(problems) == 1
    assert problems[0].startswith("tabs.yaml: not valid YAML (line 4, column 1)")


def test_an_impossible_date_is_reported_not_crashed_on():
    text = GOOD_COURSE.replace("facts_checked: 2026-11-22", "facts_checked: 2026-02-30")
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith("broken.yaml: not valid YAML (line 5, column 16)")
    assert "2026-02-30" in problems[0]


def test_a_timestamp_is_not_accepted_as_facts_checked_date():
    text = GOOD_COURSE.replace("facts_checked: 2026-11-22", "facts_checked: 2026-11-22T10:00:00")
    assert problems_of(text) == ["broken.yaml: facts_checked: must be a date written as YYYY-MM-DD"]


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"])
def test_a_file_that_is_not_a_mapping_is_reported(text):
    assert problems_of(text) == ["broken.yaml: must be a mapping of fields"]


# --------------------------------------------------------------------------------------------- load_directory


def _course_text(slug: str) -> str:
    data = good_data()
    data["slug"] = slug
    data["title"] = f"Course {slug}"
    return to_text(data)


def _paths_text(paths: dict[str, list[str]]) -> str:
    return to_text(
        {
            "paths": [
                {
                    "slug": slug,
                    "title": slug.replace("-", " ").capitalize(),
                    "description": f"About {slug}.",
                    "courses": courses,
                }
                for slug, courses in paths.items()
            ]
        }
    )


def test_load_directory_with_a_bad_file_raises_and_changes_nothing(app, tmp_path):
    (tmp_path / "good-course.yaml").write_text(_course_text("good-course"), encoding="utf-8")
    bad = good_data()
    bad["slug"] = "bad-course"
    bad["modules"][0]["quiz"]["questions"][0]["choices"][0]["correct"] = False
    del bad["summary"]
    (tmp_path / "bad-course.yaml").write_text(to_text(bad), encoding="utf-8")
    (tmp_path / "paths.yaml").write_text(_paths_text({"everything": ["good-course"]}), encoding="utf-8")

    assert count(Course) == 0
    with pytest.raises(ContentError) as info:
        loader.load_directory(tmp_path)
    assert sorted(info.value.problems) == [
        "bad-course.yaml: modules[0].quiz.questions[0].choices: "
        "a single-choice question needs exactly one correct choice, has 0",
        "bad-course.yaml: summary: is required",
    ]
    db.session.rollback()
    assert (count(Course), count(Module), count(Lesson), count(Question), count(LearningPath)) == (0, 0, 0, 0, 0)


def test_load_directory_reports_unknown_courses_in_paths(app, tmp_path):
    (tmp_path / "good-course.yaml").write_text(_course_text("good-course"), encoding="utf-8")
    (tmp_path / "paths.yaml").write_text(
        _paths_text({"first": ["good-course"], "second": ["good-course", "no-such-course"]}), encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        loader.load_directory(tmp_path)
    assert info.value.problems == ["paths.yaml: paths[1].courses[1]: unknown course 'no-such-course'"]
    assert count(Course) == 0


def test_load_directory_reports_invalid_paths_yaml(app, tmp_path):
    (tmp_path / "good-course.yaml").write_text(_course_text("good-course"), encoding="utf-8")
    (tmp_path / "paths.yaml").write_text("paths:\n  - slug: a\n   title: b\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        loader.load_directory(tmp_path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("paths.yaml: not valid YAML (line 3,")
    assert count(Course) == 0


def test_duplicate_course_slugs_name_the_right_files(app, tmp_path):
    bad = good_data()
    del bad["title"]
    (tmp_path / "a-broken.yaml").write_text(to_text(bad), encoding="utf-8")
    (tmp_path / "b-first.yaml").write_text(_course_text("same-slug"), encoding="utf-8")
    (tmp_path / "c-second.yaml").write_text(_course_text("same-slug"), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        loader.load_directory(tmp_path)
    assert info.value.problems == [
        "a-broken.yaml: title: is required",
        "c-second.yaml: slug: 'same-slug' is also used by b-first.yaml",
    ]
    assert count(Course) == 0


# --------------------------------------------------------------------------------------------- reloading


def test_reloading_unchanged_content_is_a_no_op(app):
    load_text(GOOD_COURSE)
    before = factories.load_course("loader-test-course")
    stamp = (before.version, before.content_hash, before.updated_at)
    lesson_ids = sorted(db.session.scalars(select(Lesson.id)))

    assert load_text(GOOD_COURSE) == loader.LoadResult("loader-test-course", "unchanged", 1)
    # Whitespace around texts is normalised away, so it does not count as a change either.
    assert (
        load_text(GOOD_COURSE.replace("title: Loader test course", "title: '  Loader test course '")).status
        == "unchanged"
    )
    db.session.expire_all()
    after = factories.load_course("loader-test-course")
    assert (after.version, after.content_hash, after.updated_at) == stamp
    assert sorted(db.session.scalars(select(Lesson.id))) == lesson_ids


def test_changing_a_lesson_body_bumps_the_version_and_updates_in_place(app):
    load_text(GOOD_COURSE)
    old = lesson_by_slug("loader-test-course", "first-module", "second-lesson")
    old_id = old.id

    changed = GOOD_COURSE.replace("body: The plain second lesson.", "body: The *revised* second lesson.")
    assert load_text(changed) == loader.LoadResult("loader-test-course", "updated", 2)
    db.session.expire_all()
    lesson = lesson_by_slug("loader-test-course", "first-module", "second-lesson")
    assert lesson.id == old_id
    assert lesson.body_markdown == "The *revised* second lesson."
    assert lesson.body_html == "<p>The <em>revised</em> second lesson.</p>\n"
    assert count(Lesson) == 3

    assert load_text(changed).status == "unchanged"
    another = changed.replace("pass_mark: 70", "pass_mark: 75")
    assert load_text(another) == loader.LoadResult("loader-test-course", "updated", 3)


def _snapshot_reads() -> list[tuple]:
    return sorted((r.id, r.user_id, r.lesson_id, r.read_at) for r in db.session.scalars(select(LessonRead)))


def _snapshot_attempts() -> list[tuple]:
    return sorted(
        (
            a.id,
            a.user_id,
            a.quiz_id,
            a.number,
            a.course_version,
            a.pass_mark,
            a.served,
            a.answers,
            a.results,
            a.correct_count,
            a.score,
            a.passed,
            a.submitted_at,
        )
        for a in db.session.scalars(select(Attempt))
    )


def _progress(user: User, course_slug: str) -> CourseProgress:
    row = db.session.scalar(
        select(CourseProgress).join(Course).where(CourseProgress.user_id == user.id, Course.slug == course_slug)
    )
    assert row is not None
    return row


def test_removing_a_lesson_and_a_question_retires_them_and_keeps_learner_history(app, make_user):
    slug = "retire-me"
    course = factories.make_course(slug, modules=2, lessons=2, pool=5, per_attempt=3)
    learner = make_user()
    module = course.modules[0]
    for lesson in module.lessons:
        lessons.read_lesson(learner, lesson)
    attempt = attempts.start_attempt(learner, module.quiz, rng=random.Random(7))
    attempts.submit_attempt(learner, attempt, factories.answers_for(attempt))
    db.session.commit()
    served_key = attempt.served[0]["key"]
    assert attempt.passed is True
    assert _progress(learner, slug).percent == 50  # 2 lessons + 1 quiz of 4 lessons + 2 quizzes
    reads, finished = _snapshot_reads(), _snapshot_attempts()
    assert len(reads) == 2 and len(finished) == 1

    data = factories.course_data(slug, modules=2, lessons=2, pool=5, per_attempt=3)
    del data["modules"][0]["lessons"][1]
    questions = data["modules"][0]["quiz"]["questions"]
    questions[:] = [q for q in questions if q["key"] != served_key]
    assert loader.apply_course(data) == loader.LoadResult(slug, "updated", 2)
    db.session.commit()
    db.session.expire_all()

    retired = lesson_by_slug(slug, "module-1", "lesson-2")
    assert retired.retired is True
    assert lesson_by_slug(slug, "module-1", "lesson-1").retired is False
    question = db.session.scalar(select(Question).where(Question.key == served_key))
    assert question is not None and question.retired is True
    assert count(Lesson) == 4 and count(Question) == 10  # retired, never deleted

    reloaded = factories.load_course(slug)
    assert [lesson.slug for lesson in reloaded.modules[0].lessons] == ["lesson-1"]
    assert served_key not in {q.key for q in reloaded.modules[0].quiz.questions}
    # History is untouched: the same reads, the same finished attempt with the same served snapshot.
    assert _snapshot_reads() == reads
    assert _snapshot_attempts() == finished
    assert db.session.get(Attempt, attempt.id).course_version == 1

    # Progress counts only live content: lesson-1 and quiz 1 of 3 lessons + 2 quizzes.
    row = _progress(learner, slug)
    assert (row.percent, row.lessons_read, row.quizzes_passed, row.modules_completed) == (40, 1, 1, 1)

    # New attempts never serve the retired question.
    other = make_user()
    for seed in range(5):
        fresh = attempts.start_attempt(other, reloaded.modules[0].quiz, rng=random.Random(seed))
        assert served_key not in {q["key"] for q in fresh.served}
        attempts.submit_attempt(other, fresh, factories.answers_for(fresh, correct=False))
    db.session.commit()

    # Putting the lesson back revives the same row, with the learner's read still counted.
    assert loader.apply_course(factories.course_data(slug, modules=2, lessons=2, pool=5, per_attempt=3)).version == 3
    db.session.commit()
    db.session.expire_all()
    assert lesson_by_slug(slug, "module-1", "lesson-2").id == retired.id
    assert lesson_by_slug(slug, "module-1", "lesson-2").retired is False
    assert _progress(learner, slug).percent == 50


def test_adding_a_lesson_recomputes_progress_of_existing_learners(app, make_user):
    slug = "grow-me"
    course = factories.make_course(slug, modules=1, lessons=2, pool=5, per_attempt=3)
    started, finished = make_user(), make_user()
    first, second = course.modules[0].lessons
    lessons.read_lesson(started, first)
    for lesson in (first, second):
        lessons.read_lesson(finished, lesson)
    attempt = attempts.start_attempt(finished, course.modules[0].quiz, rng=random.Random(3))
    attempts.submit_attempt(finished, attempt, factories.answers_for(attempt))
    db.session.commit()
    assert _progress(started, slug).percent == 33  # 1 of 2 lessons + 1 quiz
    done = _progress(finished, slug)
    assert done.percent == 100 and done.completed_version == 1
    completed_at = done.completed_at

    data = factories.course_data(slug, modules=1, lessons=2, pool=5, per_attempt=3)
    extra = copy.deepcopy(data["modules"][0]["lessons"][0])
    extra.update(slug="lesson-3", title="Lesson 1.3", body="A new lesson about something else.")
    data["modules"][0]["lessons"].append(extra)
    assert loader.apply_course(data).status == "updated"
    db.session.commit()
    db.session.expire_all()

    assert _progress(started, slug).percent == 25  # 1 of 3 lessons + 1 quiz
    row = _progress(finished, slug)
    assert (row.percent, row.lessons_read, row.modules_completed) == (75, 2, 0)
    # Completion is a historical fact about version 1 and is not undone.
    assert (row.completed_at, row.completed_version) == (completed_at, 1)


# --------------------------------------------------------------------------------------------- learning paths


def _path_courses() -> dict[str, list[str]]:
    rows = db.session.execute(
        select(LearningPath.slug, Course.slug)
        .join(LearningPathCourse, LearningPathCourse.path_id == LearningPath.id)
        .join(Course, Course.id == LearningPathCourse.course_id)
        .order_by(LearningPath.slug, LearningPathCourse.position)
    )
    result: dict[str, list[str]] = {}
    for path_slug, course_slug in rows:
        result.setdefault(path_slug, []).append(course_slug)
    return result


def test_learning_paths_load_in_order_and_reload_without_duplicates(app, tmp_path):
    for slug in ("course-a", "course-b", "course-c"):
        (tmp_path / f"{slug}.yaml").write_text(_course_text(slug), encoding="utf-8")
    (tmp_path / "paths.yaml").write_text(
        _paths_text({"short": ["course-b", "course-a"], "long": ["course-c", "course-a", "course-b"]}),
        encoding="utf-8",
    )
    results = loader.load_directory(tmp_path)
    db.session.commit()
    assert [(r.slug, r.status, r.version) for r in results] == [
        ("course-a", "created", 1),
        ("course-b", "created", 1),
        ("course-c", "created", 1),
    ]
    assert _path_courses() == {"long": ["course-c", "course-a", "course-b"], "short": ["course-b", "course-a"]}
    positions = (
        db.session.execute(
            select(LearningPathCourse.position)
            .join(LearningPath)
            .where(LearningPath.slug == "long")
            .order_by(LearningPathCourse.position)
        )
        .scalars()
        .all()
    )
    assert positions == [1, 2, 3]
    path_ids = dict(db.session.execute(select(LearningPath.slug, LearningPath.id)).all())

    (tmp_path / "paths.yaml").write_text(
        _paths_text({"short": ["course-a", "course-b"], "long": ["course-b", "course-c", "course-a"]}),
        encoding="utf-8",
    )
    results = loader.load_directory(tmp_path)
    db.session.commit()
    db.session.expire_all()
    assert {r.status for r in results} == {"unchanged"}
    assert _path_courses() == {"long": ["course-b", "course-c", "course-a"], "short": ["course-a", "course-b"]}
    assert dict(db.session.execute(select(LearningPath.slug, LearningPath.id)).all()) == path_ids
    assert count(LearningPath) == 2
    assert count(LearningPathCourse) == 5

    # Loading the same paths again changes nothing.
    loader.load_directory(tmp_path)
    db.session.commit()
    assert count(LearningPathCourse) == 5
    assert _path_courses()["long"] == ["course-b", "course-c", "course-a"]


# --------------------------------------------------------------------------------------------- shipped content


@pytest.mark.slow
def test_the_shipped_seed_data_loads(app):
    results = loader.load_directory(SEED_DIR)
    db.session.commit()
    shipped = sorted(
        path.stem for path in SEED_DIR.glob("*.yaml") if path.name != "paths.yaml" and path.stem.count(".") == 0
    )
    assert len(shipped) == 12
    assert sorted((r.slug, r.status, r.version) for r in results) == [(slug, "created", 1) for slug in shipped]
    assert count(Course) == 12
    assert set(_path_courses()) == {
        "ai-literacy-essentials",
        "it-operations",
        "practitioners",
        "managers-and-approvers",
        "hr",
        "customer-service",
        "communications",
        "developers",
    }
    assert len(_path_courses()["ai-literacy-essentials"]) == 5
    for course in db.session.scalars(select(Course)):
        assert course.facts_checked is not None
        assert course.certificate_valid_months is not None
    assert "<script" not in "".join(db.session.scalars(select(Lesson.body_html)))

    again = loader.load_directory(SEED_DIR)
    assert {(r.status, r.version) for r in again} == {("unchanged", 1)}
    assert count(LearningPathCourse) == sum(len(courses) for courses in _path_courses().values()) == 45
