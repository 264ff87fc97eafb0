"""AI-system coverage and the evidence pack: queries, time and memory at 50 and 5,000 people x 10 AI systems."""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import event, insert, select

from tracker import create_app
from tracker.demo import large
from tracker.extensions import db, issuing
from tracker.models import Attempt, Course, Policy, PolicyAcknowledgement, PolicyVersion, Quiz, Role, Team, User
from tracker.services import accounts
from tracker.services.programme import coverage, evidence_pack, inventory, pack_verification, policies, requirements
from tracker.services.reporting import evidence

REPEATS = 3
SYSTEMS = 10
PASSWORD = "benchmark passphrase 2026"
ROLES = ("Analyst", "Engineer", "Support agent", "Developer")


def _app(workdir: Path):
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir),
            "SECRET_KEY": "b" * 40,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        accounts.create_user(accounts.NewUser("bench-admin@example.com", "Bench Admin", PASSWORD, Role.ADMIN.value))
        db.session.commit()
    return app


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _counted(fn):
    """Run fn once counting SQL statements, then time it REPEATS times; returns (result, queries, median s)."""
    counter = _Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return result, counter.count, statistics.median(timings)


def _peak_mib(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1_048_576


def _programme(rng: random.Random) -> None:
    """10 AI systems, each used by some departments and one job role; a course and the policy per system; one
    requirement per job role; a policy in two versions acknowledged by most people; quiz attempts."""
    departments = list(db.session.scalars(select(Team.id).where(Team.parent_id.is_(None)).order_by(Team.id)))
    courses = list(db.session.scalars(select(Course.id).order_by(Course.id)))
    policy = policies.create_policy(None, "acceptable-use", "Acceptable use", policies.VersionInput("Version one."))
    v1 = policies.current_version(policy)
    v2 = policies.publish_version(None, policy, policies.VersionInput("Version two."))
    for index in range(SYSTEMS):
        system = inventory.create_system(
            None,
            inventory.SystemInput(
                f"AI system {index + 1:02d}",
                risk_class=("minimal", "transparency", "high_risk")[index % 3],
                status="approved",
                team_ids=[d for i, d in enumerate(departments) if i % SYSTEMS == index or i % 3 == index % 3],
                job_roles=[ROLES[index % len(ROLES)]],
            ),
        )
        requirements.create_requirement(
            None, requirements.RequirementInput(f"course:{courses[index % len(courses)]}", system.id)
        )
        requirements.create_requirement(None, requirements.RequirementInput(f"policy:{policy.id}", system.id))
    for role_index, role in enumerate(ROLES):
        requirements.create_requirement(
            None, requirements.RequirementInput(f"course:{courses[-1 - role_index]}", job_role=role)
        )
    people = list(db.session.scalars(select(User.id).where(User.role == "learner")))
    acks = []
    for user_id in people:
        roll = rng.random()
        if roll < 0.2 or roll > 0.4:
            acks.append(
                {"user_id": user_id, "version_id": v1.id, "policy_id": policy.id, "body_sha256": v1.body_sha256}
            )
        if roll > 0.4:
            acks.append(
                {"user_id": user_id, "version_id": v2.id, "policy_id": policy.id, "body_sha256": v2.body_sha256}
            )
    db.session.execute(insert(PolicyAcknowledgement), acks)
    _attempts(rng, people)
    db.session.commit()


def _attempts(rng: random.Random, people: list[int]) -> None:
    """Two submitted attempts (a fail, then a pass) at six quizzes per person, in bulk."""
    quizzes = list(db.session.scalars(select(Quiz.id)))
    rows = [
        {
            "user_id": user_id,
            "quiz_id": quiz_id,
            "number": number,
            "course_version": 1,
            "pass_mark": 80,
            "served": [],
            "submitted_at": large.utcnow(),
            "score": 60 if number == 1 else 100,
            "passed": number == 2,
            "correct_count": 2,
            "language": "en",
        }
        for user_id in people
        for quiz_id in rng.sample(quizzes, 6)
        for number in (1, 2)
    ]
    db.session.execute(insert(Attempt), rows)


def run() -> list[str]:
    lines = []
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        client = app.test_client()
        client.post("/login", data={"email": "bench-admin@example.com", "password": PASSWORD})
        page_queries = {}
        for total, added in ((50, 50), (5000, 4950)):
            with app.app_context():
                started = time.perf_counter()
                large.load_large(added, 12)
                db.session.commit()
                if total == 50:
                    _programme(rng)
                else:  # the new departments use the systems too, and the new people acknowledge and attempt
                    new_departments = list(
                        db.session.scalars(select(Team.id).where(Team.parent_id.is_(None)).order_by(Team.id))
                    )
                    for index, system in enumerate(inventory.systems()):
                        data = inventory.as_input(system)
                        ids = [d for i, d in enumerate(new_departments) if i % SYSTEMS == index or i % 3 == index % 3]
                        inventory.update_system(
                            None, system, inventory.SystemInput(**{**data.__dict__, "team_ids": ids})
                        )
                    db.session.commit()
                    policy = db.session.scalar(select(Policy))
                    versions = list(db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.number)))
                    done = set(db.session.scalars(select(PolicyAcknowledgement.user_id).distinct()))
                    attempted = set(db.session.scalars(select(Attempt.user_id).distinct()))
                    fresh = [
                        u for u in db.session.scalars(select(User.id).where(User.role == "learner")) if u not in done
                    ]
                    db.session.execute(
                        insert(PolicyAcknowledgement),
                        [
                            {
                                "user_id": u,
                                "version_id": versions[-1].id,
                                "policy_id": policy.id,
                                "body_sha256": versions[-1].body_sha256,
                            }
                            for u in fresh
                            if rng.random() < 0.6
                        ],
                    )
                    learners = db.session.scalars(select(User.id).where(User.role == "learner"))
                    _attempts(rng, [u for u in learners if u not in attempted])
                    db.session.commit()
                build = time.perf_counter() - started
                sync_started = time.perf_counter()
                result = requirements.sync()
                db.session.commit()
                sync_seconds = time.perf_counter() - sync_started
            lines.append(
                f"{total:>5} people x {SYSTEMS} AI systems: test data in {build:.1f} s; requirement sync "
                f"{sync_seconds:.2f} s ({result.created} assignments started)"
            )

            def page():
                response = client.get("/programme/coverage")
                assert response.status_code == 200, response.status_code
                return response

            with app.app_context():
                engine = db.engine
            page()  # warm-up
            counter = _Counter()
            event.listen(engine, "before_cursor_execute", counter)
            size = len(page().data)
            event.remove(engine, "before_cursor_execute", counter)
            timings = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                page()
                timings.append(time.perf_counter() - started)
            page_queries[total] = counter.count
            lines.append(
                f"coverage page at {total:>5} people: {counter.count} SQL queries, "
                f"{statistics.median(timings) * 1000:.0f} ms (median of {REPEATS}), {size / 1024:.0f} KB HTML"
            )
        lines.append(
            f"coverage page queries at 50 vs 5,000 people: {page_queries[50]} vs {page_queries[5000]} "
            f"({'the same' if page_queries[50] == page_queries[5000] else 'DIFFERENT'})"
        )
        with app.test_request_context():
            cover, queries, seconds = _counted(lambda: coverage.build(None, coverage.Filters(), paged=False))
            peak = _peak_mib(lambda: coverage.build(None, coverage.Filters(), paged=False))
            cells = sum(len(row.cells) for row in cover.rows)
            lines.append(
                f"coverage build, 5,000 people ({cover.total_people} with cells, {cells} cells): {queries} queries, "
                f"{seconds:.2f} s, peak {peak:.0f} MiB allocated"
            )
            scope = evidence.organisation_scope()
            issuer = issuing.current
            pack, queries, seconds = _counted(lambda: evidence_pack.build_pack(scope, issuer))
            peak = _peak_mib(lambda: evidence_pack.build_pack(scope, issuer))
            sizes = {f["path"]: f["bytes"] for f in pack.manifest["files"]}
            lines.append(
                f"evidence pack, 5,000 people x {SYSTEMS} AI systems: {queries} queries, {seconds:.2f} s (median of "
                f"{REPEATS}), peak {peak:.0f} MiB allocated, ZIP {len(pack.data) / 1_048_576:.1f} MB "
                f"({sum(sizes.values()) / 1_048_576:.1f} MB unpacked; attempts.csv "
                f"{sizes['attempts.csv'] / 1_048_576:.1f} MB, "
                f"training-plan.pdf {sizes['training-plan.pdf'] / 1024:.0f} KB)"
            )
            started = time.perf_counter()
            check = pack_verification.verify_pack(pack.data, issuer.key.public_key_multibase)
            lines.append(
                f"verifying the pack with the public key: {'genuine' if check.ok else 'FAILED'}, "
                f"{time.perf_counter() - started:.2f} s"
            )
            db.engine.dispose()
    return lines
