"""Test data built through the real services, so tests exercise the same paths as the product."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Course, Role, Team, User
from tracker.services import accounts
from tracker.services.content import loader, schema
from tracker.services.learning import catalog, lessons

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hash the shared test password once per run (the test config uses a cheap hash method anyway).
    return accounts.hash_password(PASSWORD)


def make_team(name: str | None = None, manager: User | None = None, parent: Team | None = None) -> Team:
    team = Team(name=name or f"Team {next(_counter)}", manager=manager, parent=parent)
    db.session.add(team)
    db.session.commit()
    return team


def make_user(
    role: str | Role = Role.LEARNER,
    *,
    email: str | None = None,
    name: str | None = None,
    team: Team | None = None,
    active: bool = True,
    job_role: str | None = None,
) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.org",
        display_name=name or f"User {n}",
        password_hash=_password_hash(),
        role=Role(role).value,
        team=team,
        job_role=job_role,
        active=active,
        session_token=accounts.new_session_token(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def course_data(
    slug: str | None = None,
    *,
    modules: int = 2,
    lessons: int = 2,
    pool: int = 5,
    per_attempt: int = 3,
    pass_mark: int = 80,
    max_attempts: int | None = None,
    cooldown: int = 0,
    cooldown_after: int = 1,
    review_after_fail: str = "full",
    valid_months: int | None = 12,
) -> dict[str, Any]:
    """A course in the validated, normalised shape that the loader applies."""
    slug = slug or f"course-{next(_counter)}"
    kinds = ["single", "multiple", "true_false"]
    data_modules = []
    for m in range(1, modules + 1):
        questions = []
        for q in range(1, pool + 1):
            kind = kinds[(q - 1) % 3]
            if kind == "true_false":
                choices = [
                    {"id": "true", "text": "True", "correct": True},
                    {"id": "false", "text": "False", "correct": False},
                ]
            elif kind == "single":
                choices = [
                    {"id": "c1", "text": "Right", "correct": True},
                    {"id": "c2", "text": "Wrong", "correct": False},
                    {"id": "c3", "text": "Also wrong", "correct": False},
                ]
            else:
                choices = [
                    {"id": "c1", "text": "Right A", "correct": True},
                    {"id": "c2", "text": "Right B", "correct": True},
                    {"id": "c3", "text": "Wrong", "correct": False},
                ]
            questions.append(
                {
                    "key": f"{slug}-m{m}-q{q}",
                    "kind": kind,
                    "prompt": f"Question {q} of module {m}?",
                    "explanation": f"Because of reason {q}.",
                    "choices": choices,
                    "scenario": False,
                }
            )
        data_modules.append(
            {
                "slug": f"module-{m}",
                "title": f"Module {m}",
                "lessons": [
                    {
                        "slug": f"lesson-{n}",
                        "title": f"Lesson {m}.{n}",
                        "objectives": ["Understand a thing."],
                        "body": f"Body of lesson {m}.{n} with **bold** text.",
                        "key_points": ["A key point."],
                        "sources": [
                            {"citation": "Author (2024). Title. Publisher.", "url": "https://example.org/source"}
                        ],
                    }
                    for n in range(1, lessons + 1)
                ],
                "quiz": {
                    "pass_mark": pass_mark,
                    "questions_per_attempt": per_attempt,
                    "max_attempts": max_attempts,
                    "cooldown_minutes": cooldown,
                    "cooldown_after_failures": cooldown_after,
                    "review_after_fail": review_after_fail,
                    "review_after_pass": "full",
                    "questions": questions,
                },
            }
        )
    data = {
        "slug": slug,
        "title": f"Course {slug}",
        "summary": "A course for tests.",
        "audience": "All staff",
        "estimated_minutes": 0,
        "facts_checked": "2026-11-22",
        "certificate_valid_months": valid_months,
        "language": "en",
        "modules": data_modules,
        "translations": {},
    }
    data["estimated_minutes"] = schema.estimated_minutes(data)
    return data


def make_course(slug: str | None = None, **kwargs: Any) -> Course:
    result = loader.apply_course(course_data(slug, **kwargs))
    db.session.commit()
    return load_course(result.slug)


def load_course(slug: str) -> Course:
    course = catalog.course_by_slug(slug, with_content=True)
    assert course is not None
    return course


def answers_for(attempt, *, correct: bool = True) -> dict[str, list[str]]:
    answers = {}
    for question in attempt.served:
        right = [c["id"] for c in question["choices"] if c["correct"]]
        wrong = [c["id"] for c in question["choices"] if not c["correct"]]
        answers[question.get("id") or question["key"]] = right if correct else wrong[:1]  # as pages name it
    return answers


def complete_course(user: User, course: Course, now=None):
    """Read every lesson and pass every quiz; returns the certificate this earns."""
    from tracker.models import Certificate
    from tracker.services.learning import attempts

    for module in course.modules:
        for lesson in module.lessons:
            lessons.read_lesson(user, lesson, now=now)
        attempt = attempts.start_attempt(user, module.quiz, now=now)
        attempts.submit_attempt(user, attempt, answers_for(attempt), now=now)
    db.session.commit()
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id, Certificate.course_id == course.id)
        .order_by(Certificate.id.desc())
    ).first()


def without_files(cert):
    """The certificate as bulk-loaded data holds it (`tracker/demo/large.py`): issued, not pending, with no PDF,
    hash or credential yet; its files are made on first use."""
    from sqlalchemy import update

    from tracker.models import Certificate

    db.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id)
        .values(pdf=None, pdf_sha256=None, credential=None, pending_reason=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire(cert)
    return cert


def pending(cert):
    """The certificate as one whose name the font cannot print is held (`issuing.produce_files`): a reason for the
    admins, no files."""
    cert.pending_reason = "The name contains characters the certificate font cannot print."
    cert.pdf, cert.pdf_sha256, cert.credential = None, None, None
    return cert
