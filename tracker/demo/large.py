"""A large synthetic organisation for load tests and benchmarks (`flask demo-data --learners N --courses M`).

Rows are inserted in bulk, not through the per-person services, so thousands of people take seconds. A few AI
systems, used by departments and job roles, require courses, a learning path and a policy (acknowledged by part of
the people), so the coverage page has work at every size. Certificates are written without their files (rendering
tens of thousands would take minutes): they are ordinary certificates, valid, expiring or expired by their dates,
whose PDF and credential are made on first use (`certification.issuing.ensure_files`) and kept from then on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from ..extensions import db
from ..models import (
    AISystem,
    AISystemTeam,
    Certificate,
    Completion,
    Course,
    CourseProgress,
    LearningPath,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    Team,
    User,
    utcnow,
)
from ..services import accounts
from ..services.certification import add_months, new_code
from ..services.content import loader
from ..services.organisation import assignments
from ..services.programme import inventory, policies, requirements
from ..services.reporting import status_table
from . import bulk

PREFIX = "load"


@dataclass(frozen=True)
class LargeDemo:
    learners: int
    courses: int
    teams: int
    completions: int


def synthetic_course(index: int) -> dict:
    slug = f"{PREFIX}-course-{index:02d}"
    modules = []
    for m in range(1, 4):
        questions = [
            {
                "key": f"{slug}-m{m}-q{q}",
                "kind": "single",
                "prompt": f"Practice question {q} of module {m}?",
                "explanation": "Practice explanation.",
                "choices": [
                    {"id": "c1", "text": "Right", "correct": True},
                    {"id": "c2", "text": "Wrong", "correct": False},
                ],
            }
            for q in range(1, 6)
        ]
        modules.append(
            {
                "slug": f"module-{m}",
                "title": f"Practice module {m}",
                "lessons": [
                    {
                        "slug": f"lesson-{n}",
                        "title": f"Practice lesson {m}.{n}",
                        "objectives": ["Practise."],
                        "body": "Practice content for load tests.",
                        "key_points": ["Practice."],
                        "sources": [{"citation": "Synthetic load-test loader."}],
                    }
                    for n in range(1, 3)
                ],
                "quiz": {
                    "pass_mark": 80,
                    "questions_per_attempt": 3,
                    "max_attempts": None,
                    "cooldown_minutes": 0,
                    "cooldown_after_failures": 1,
                    "review_after_fail": "wrong_questions",
                    "review_after_pass": "full",
                    "questions": questions,
                },
            }
        )
    return {
        "slug": slug,
        "title": f"Practice course {index:02d}",
        "summary": "Synthetic course for load tests.",
        "audience": "Load tests",
        "estimated_minutes": 30,
        "facts_checked": None,
        "certificate_valid_months": 12,
        "language": "en",
        "modules": modules,
        "translations": {},
    }


JOB_ROLES = ("Analyst", "Engineer", "Support agent", "Developer")
POLICY_SLUG = f"{PREFIX}-acceptable-use"
SEARCH = f"{PREFIX.title()} search"  # used by every second department; the other systems by job roles
ACKNOWLEDGED = 0.6  # the share of the people asked to acknowledge the policy who did


def _programme(departments: list[Team], course_rows: list) -> PolicyVersion:
    """AI systems used by departments and job roles, with requirements (courses, a learning path, the policy), so
    the coverage page has work at every size. Made once; each later call adds its departments to the usage."""
    search = db.session.scalar(select(AISystem).where(AISystem.name == SEARCH))
    if search is None:
        slugs = list(db.session.scalars(select(Course.slug).where(Course.id.in_([r.id for r in course_rows]))))
        loader.apply_paths(
            [{"slug": f"{PREFIX}-path", "title": "Load-test path", "description": "", "courses": slugs[1:3]}]
        )
        path_id = db.session.scalar(select(LearningPath.id).where(LearningPath.slug == f"{PREFIX}-path"))
        policy = policies.create_policy(None, POLICY_SLUG, "Load-test acceptable use", policies.VersionInput("Rules."))
        search = inventory.create_system(None, inventory.SystemInput(SEARCH))
        assistant = inventory.create_system(
            None, inventory.SystemInput(f"{PREFIX.title()} assistant", job_roles=["Analyst", "Developer"])
        )
        coder = inventory.create_system(None, inventory.SystemInput(f"{PREFIX.title()} coder", job_roles=["Developer"]))
        wanted = [
            (f"course:{course_rows[0].id}", assistant.id, None),
            (f"path:{path_id}", search.id, None),
            (f"policy:{policy.id}", search.id, None),
            (f"course:{course_rows[-1].id}", coder.id, None),
            (f"policy:{policy.id}", None, "Support agent"),
        ]
        for item, system_id, job_role in wanted:
            requirements.create_requirement(None, requirements.RequirementInput(item, system_id, job_role))
    db.session.add_all(AISystemTeam(system_id=search.id, team_id=d.id) for d in departments[::2])
    db.session.flush()
    policy_id = db.session.scalar(select(Policy.id).where(Policy.slug == POLICY_SLUG))
    return db.session.get(PolicyVersion, policies.current_versions()[policy_id][0])


CHUNK = 2_000  # people generated and written per round: memory stays flat whatever the size


def load_large(learners: int, courses: int, seed: int = 4, now: datetime | None = None) -> LargeDemo:
    """Add `learners` people in teams of 25 under departments of 10 teams, and make `courses` courses exist.

    People, progress, completions and certificates are written in rounds of CHUNK people (executemany, or COPY on
    PostgreSQL) with their ids chosen here, so nothing is read back; the matrix tables are built once at the end."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    now = now or utcnow()
    existing = list(db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.id)))
    for index in range(len(existing) + 1, courses + 1):
        loader.apply_course(synthetic_course(index))
    course_rows = list(db.session.execute(select(Course.id, Course.title, Course.version).order_by(Course.id)))
    course_rows = course_rows[:courses]
    start = db.session.scalar(select(func.count()).select_from(User)) or 0
    team_count = max(1, -(-learners // 25))
    departments = [
        Team(name=f"{PREFIX.title()} department {start}-{d + 1:03d}") for d in range(max(1, -(-team_count // 10)))
    ]
    db.session.add_all(departments)
    db.session.flush()
    teams = [
        Team(name=f"{PREFIX.title()} team {start}-{t + 1:04d}", parent_id=departments[t // 10].id)
        for t in range(team_count)
    ]
    db.session.add_all(teams)
    db.session.flush()
    team_ids = [team.id for team in teams]
    first_course = db.session.get(Course, course_rows[0].id)
    for department in departments:  # before the people exist: nobody to recompute yet
        assignments.assign(None, course=first_course, team=department, due_on=(now + timedelta(days=30)).date())
    db.session.flush()
    version = _programme(departments, course_rows)
    unusable = accounts.hash_password(accounts.new_session_token())
    next_user = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    next_completion = (db.session.scalar(select(func.max(Completion.id))) or 0) + 1
    completion_count = 0
    for chunk_start in range(0, learners, CHUNK):
        people, progress_rows, completions, certificates, acknowledgements = [], [], [], [], []
        for i in range(chunk_start, min(learners, chunk_start + CHUNK)):
            user_id, name = next_user + i, f"Load Learner {start + i:06d}"
            people.append(
                {
                    "id": user_id,
                    "email": f"{PREFIX}{start + i}@example.com",
                    "display_name": name,
                    "password_hash": unusable,
                    "role": "learner",
                    "team_id": team_ids[i // 25],
                    "job_role": rng.choice(JOB_ROLES),
                    "timezone": "UTC",
                    "active": True,
                    "must_change_password": False,
                    "session_token": accounts.new_session_token(),
                    "created_at": now,
                }
            )
            if rng.random() < ACKNOWLEDGED:
                acknowledgements.append(
                    {
                        "user_id": user_id,
                        "version_id": version.id,
                        "policy_id": version.policy_id,
                        "acknowledged_at": now,
                        "channel": "web",
                        "check_passed": None,
                        "body_sha256": version.body_sha256,
                    }
                )
            for course_id, title, course_version in course_rows:
                roll = rng.random()
                if roll < 0.35:
                    continue  # not started
                completed = roll > 0.7
                when = now - timedelta(days=rng.randint(1, 420))
                progress_rows.append(
                    {
                        "user_id": user_id,
                        "course_id": course_id,
                        "percent": 100 if completed else rng.randint(5, 95),
                        "lessons_read": 6 if completed else rng.randint(1, 5),
                        "quizzes_passed": 3 if completed else 0,
                        "modules_completed": 3 if completed else 0,
                        "best_score": rng.choice((80, 100)) if completed else None,
                        "started_at": when,
                        "last_activity_at": when,
                        "completed_at": when if completed else None,
                        "completed_version": course_version if completed else None,
                        "cycle": 1,
                    }
                )
                if not completed:
                    continue
                completion_id = next_completion + completion_count
                completion_count += 1
                completions.append(
                    {
                        "id": completion_id,
                        "user_id": user_id,
                        "course_id": course_id,
                        "cycle": 1,
                        "completed_at": when,
                        "course_version": course_version,
                        "score": 90,
                    }
                )
                certificates.append(
                    {
                        "code": new_code(),
                        "completion_id": completion_id,
                        "user_id": user_id,
                        "course_id": course_id,
                        "revision": 1,
                        "learner_name": name,
                        "course_title": title,
                        "course_version": course_version,
                        "score": 90,
                        "organisation_name": "Load test",
                        "issued_at": when,
                        "expires_at": add_months(when, 12),
                        "created_at": when,  # the credential's proof is dated from it, whenever it is made
                    }
                )
        for model, rows in ((User, people), (CourseProgress, progress_rows), (Completion, completions)):
            bulk.write(model.__table__, rows)
        bulk.write(Certificate.__table__, certificates)
        bulk.write(PolicyAcknowledgement.__table__, acknowledgements)
    bulk.advance_sequences(User.__table__, Completion.__table__)
    if db.session.get_bind().dialect.name == "postgresql":
        # Planner statistics for what was just written (autovacuum may be off, or not have run yet; ANALYZE counts
        # this transaction's own rows): without them the matrix's rebuild below is planned for empty tables and
        # runs for many minutes, and a page's lookup of fifty people's certificates as a scan of all of them.
        for table in (Team, User, CourseProgress, Completion, Certificate, PolicyAcknowledgement):
            db.session.execute(text(f"ANALYZE {table.__tablename__}"))
    status_table.rebuild()  # the matrix and coverage tables, in one pass rather than person by person
    return LargeDemo(learners=learners, courses=len(course_rows), teams=team_count, completions=completion_count)
