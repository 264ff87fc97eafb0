"""The demo organisation loaded by `make run`: people in every state of progress. Never in production."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Certificate, Course, LearningPath, Role, Team, User, utcnow
from ..services import accounts, certification
from ..services.learning import attempts, catalog, lessons
from ..services.organisation import assignments
from . import programme

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (documented demo login; demo data never loads in production)


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role
    team: str | None
    job_role: str
    plan: str  # what this person has done: none | partway | failed | passed | completed | expired | expiring | pending


PEOPLE = (
    DemoPerson("admin@example.com", "Ada Admin", Role.ADMIN, None, "Learning and development lead", "none"),
    DemoPerson(
        "manager@example.com", "Maria Manager", Role.MANAGER, "Service Desk", "Service desk manager", "completed"
    ),
    DemoPerson(
        "learner@example.com", "Lena Learner", Role.LEARNER, "Service Desk", "Service desk analyst", "completed"
    ),
    DemoPerson("noah@example.com", "Noah Novak", Role.LEARNER, "Service Desk", "Service desk analyst", "none"),
    DemoPerson("priya@example.com", "Priya Patel", Role.LEARNER, "Service Desk", "Service desk analyst", "partway"),
    DemoPerson(
        "sokratis@example.com", "Σωκράτης Παπαδόπουλος", Role.LEARNER, "Service Desk", "Service desk analyst", "passed"
    ),
    DemoPerson(
        "manager2@example.com", "Omar Okafor", Role.MANAGER, "Infrastructure", "Infrastructure manager", "partway"
    ),
    DemoPerson(
        "tomas@example.com", "Tomás Herrera", Role.LEARNER, "Infrastructure", "Site reliability engineer", "failed"
    ),
    DemoPerson(
        "zoe@example.com", "Zoë Ñúñez-Łukasiewicz", Role.LEARNER, "Infrastructure", "Platform engineer", "expired"
    ),
    DemoPerson(
        "fyodor@example.com", "Фёдор Достоевский", Role.LEARNER, "Infrastructure", "Network engineer", "expiring"
    ),
    DemoPerson("yamada@example.com", "山田 太郎", Role.LEARNER, "Infrastructure", "Database administrator", "pending"),
)


def load_demo(rng: random.Random | None = None) -> bool:
    """Create the demo organisation once; return False when it already exists (running twice keeps the data)."""
    if db.session.scalar(select(User.id).where(User.email == PEOPLE[0].email)) is not None:
        return False
    rng = rng or random.Random(2026)  # noqa: S311  (demo data, not security)
    courses = list(db.session.scalars(select(Course).options(catalog.course_content_options()).order_by(Course.id)))
    users: dict[str, User] = {}
    for person in PEOPLE:
        users[person.email] = accounts.create_user(
            accounts.NewUser(
                email=person.email,
                display_name=person.name,
                password=DEMO_PASSWORD,
                role=person.role.value,
                team_name=person.team,
                job_role=person.job_role,
            ),
            check_strength=False,  # the published demo password, refused for any real account
        )
    # manager@ runs the IT Operations department, which contains both teams.
    department = Team(name="IT Operations", managers=[users["manager@example.com"]])
    db.session.add(department)
    db.session.flush()
    for team_name, manager_email in (
        ("Service Desk", "manager@example.com"),
        ("Infrastructure", "manager2@example.com"),
    ):
        team = db.session.scalars(select(Team).where(Team.name == team_name)).one()
        team.managers = [users[manager_email]]
        team.parent_id = department.id
    if courses:
        now = utcnow()
        for person in PEOPLE:
            _act(users[person.email], person.plan, courses, rng, now)
        _revoke_one(users["zoe@example.com"], users["admin@example.com"], courses, rng, now)
        _assign(users, department, courses, now)
        db.session.flush()
        programme.load(users, courses, now)
    db.session.flush()
    return True


def _assign(users: dict[str, User], department: Team, courses: list[Course], now: datetime) -> None:
    """Assignments that leave the matrix with every state: done, in progress, overdue, expiring, expired."""
    admin, manager = users["admin@example.com"], users["manager@example.com"]
    today = now.date()
    service_desk = db.session.scalar(select(Team).where(Team.name == "Service Desk"))
    path = db.session.scalar(select(LearningPath).order_by(LearningPath.id))
    if path is not None:
        assignments.assign(admin, path=path, team=department, due_on=today + timedelta(days=45))
    assignments.assign(manager, course=courses[0], team=service_desk, due_on=today - timedelta(days=10))
    assignments.assign(admin, course=courses[0], job_role="Platform engineer", due_on=today - timedelta(days=20))
    assignments.assign(manager, course=courses[-1], user=users["fyodor@example.com"], due_on=today - timedelta(days=5))
    assignments.assign(
        admin, course=courses[2 % len(courses)], job_role="Site reliability engineer", due_on=today + timedelta(days=20)
    )


def _act(user: User, plan: str, courses: list[Course], rng: random.Random, now: datetime) -> None:
    first, second = courses[0], courses[1 % len(courses)]
    if plan == "completed":
        _complete(user, first, rng, now - timedelta(days=20))
        _read_some(user, second, 2, now - timedelta(days=2))
        _fail_first_quiz(user, second, rng, now - timedelta(days=1))
    elif plan in ("passed", "pending"):
        _complete(user, first, rng, now - timedelta(days=40))
    elif plan == "expired":  # certificates last 12 months: this one ran out a month ago
        _complete(user, first, rng, now - timedelta(days=400))
    elif plan == "expiring":  # expires within the 30-day renewal window
        _complete(user, first, rng, now - timedelta(days=350))
    elif plan == "partway":
        _read_some(user, first, 3, now - timedelta(days=5))
    elif plan == "failed":
        _read_module(user, first, 0, now - timedelta(days=3))
        _fail_first_quiz(user, first, rng, now - timedelta(days=3))


def _revoke_one(holder: User, admin: User, courses: list[Course], rng: random.Random, now: datetime) -> None:
    """A second certificate of the same learner, revoked, so every certificate state can be seen."""
    course = courses[2 % len(courses)]
    _complete(holder, course, rng, now - timedelta(days=60))
    cert = db.session.scalar(
        select(Certificate).where(Certificate.user_id == holder.id, Certificate.course_id == course.id)
    )
    if cert is not None:
        certification.revoke(
            cert,
            admin,
            "Quiz answers were shared between colleagues; the course is to be retaken.",
            now=now - timedelta(days=30),
        )


def _read_some(user: User, course: Course, count: int, now: datetime) -> None:
    for lesson in [lesson for m in course.modules for lesson in m.lessons][:count]:
        lessons.read_lesson(user, lesson, now=now)


def _read_module(user: User, course: Course, index: int, now: datetime) -> None:
    for lesson in course.modules[index].lessons:
        lessons.read_lesson(user, lesson, now=now)


def _answer(attempt, right: bool) -> dict[str, list[str]]:
    answers = {}
    for question in attempt.served:
        correct = [c["id"] for c in question["choices"] if c["correct"]]
        wrong = [c["id"] for c in question["choices"] if not c["correct"]]
        answers[question["key"]] = correct if right else wrong[:1]
    return answers


def _complete(user: User, course: Course, rng: random.Random, now: datetime) -> None:
    for index, module in enumerate(course.modules):
        _read_module(user, course, index, now)
        if module.quiz is not None:
            attempt = attempts.start_attempt(user, module.quiz, rng=rng, now=now)
            attempts.submit_attempt(user, attempt, _answer(attempt, right=True), now=now)


def _fail_first_quiz(user: User, course: Course, rng: random.Random, now: datetime) -> None:
    quiz = course.modules[0].quiz
    if quiz is not None:
        attempt = attempts.start_attempt(user, quiz, rng=rng, now=now)
        attempts.submit_attempt(user, attempt, _answer(attempt, right=False), now=now)
