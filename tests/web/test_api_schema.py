"""The API against its own OpenAPI document, by schemathesis: generated requests (valid and invalid) for every
operation, sent to a live server on loopback with a learner's and an admin's token. No answer may be a server error
or differ from the document (status, content type, headers, body schema); invalid input must be refused and
valid input accepted."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from tracker import create_app
from tracker.enums import Role
from tracker.extensions import db
from tracker.services import accounts
from tracker.services.organisation import assignments
from tracker.services.programme import inventory, policies, requirements
from tracker.views.api.spec import document

from .. import factories
from ..conftest import IN_CI, make_config

try:
    import schemathesis
    from schemathesis.checks import load_all_checks, not_a_server_error
    from schemathesis.specs.openapi import checks
except ImportError:  # pragma: no cover - a developer machine without the dev dependencies
    if IN_CI:
        raise
    pytest.skip("schemathesis is not installed (pip install -e '.[dev]')", allow_module_level=True)

EXAMPLES = 15  # per operation and token
LIVE_SCHEMA = "api_live"  # on PostgreSQL the live server keeps its tables in a schema of its own
# What the seed makes (the first of each in a new database), for the path parameters that name them.
SEEDED = {"system_id": 1, "requirement_id": 1, "policy_slug": "aup"}


@dataclass
class LiveApi:
    url: str
    tokens: dict[str, str]


def _live_database(database_url: str, tmp: Path) -> tuple[str, object]:
    """The live server's own database: a SQLite file, or a schema of the test database on PostgreSQL."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp / 'live-api.db'}", None
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {LIVE_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {LIVE_SCHEMA}"))
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{LIVE_SCHEMA}", engine


def _seed() -> dict[str, str]:
    """A course, a team with an assignment, a learner who completed the course (attempts and a certificate to
    find), an admin; an AI system the team uses, a requirement of the course for it and a policy; a token for each
    person."""
    course = factories.make_course()
    team = factories.make_team("Live team")
    learner = factories.make_user(Role.LEARNER, team=team)
    admin = factories.make_user(Role.ADMIN)
    factories.complete_course(learner, course)
    assignments.assign(admin, course=course, team=team, due_on=date(2030, 1, 31))
    system = inventory.create_system(
        admin, inventory.SystemInput("Live assistant", owner_email=admin.email, team_ids=[team.id], job_roles=["Clerk"])
    )
    requirement = requirements.create_requirement(
        admin, requirements.RequirementInput(f"course:{course.id}", system_id=system.id)
    )
    requirements.sync(admin)
    policy = policies.create_policy(admin, SEEDED["policy_slug"], "Acceptable use", policies.VersionInput("Rules."))
    assert {"system_id": system.id, "requirement_id": requirement.id, "policy_slug": policy.slug} == SEEDED
    _, learner_token = accounts.create_api_token(learner, "schema test")
    _, admin_token = accounts.create_api_token(admin, "schema test")
    db.session.commit()
    return {"learner": learner_token, "admin": admin_token}


@pytest.fixture(scope="module")
def live_api(database_url, tmp_path_factory) -> Iterator[LiveApi]:
    """The app served by a threaded werkzeug server on a free loopback port, with its own app and database."""
    tmp = tmp_path_factory.mktemp("live-api")
    url, engine = _live_database(database_url, tmp)
    app = create_app(make_config(url, tmp / "instance"))
    with app.app_context():
        db.create_all()
        tokens = _seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-api", daemon=True)
    thread.start()
    try:
        yield LiveApi(url=f"http://127.0.0.1:{server.server_port}", tokens=tokens)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        if engine is not None:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {LIVE_SCHEMA} CASCADE"))
            engine.dispose()


def _document() -> dict:
    """The document the app serves (built from the same code, without a database), so that each operation is a
    test of its own; the requests go to the live server. The seeded records are examples of the path parameters
    that name them, so that requests reach real records as well as generated names."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(make_config("sqlite://", Path(instance)))
        with app.test_request_context("/api/v1/openapi.json"):
            doc = document("http://127.0.0.1")
    for item in doc["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in SEEDED:
                    parameter["example"] = SEEDED[parameter["name"]]
    return doc


schema = schemathesis.openapi.from_dict(_document())

load_all_checks()
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
]
# These bodies name records a schema can not know (a course slug, the questions served in this attempt, an owner's
# email, teams, a requirement's course or policy) or must differ from one (a system's name): a valid shape naming
# none is refused with 422 by the service, which is the documented answer.
NAMES_RECORDS = {"createAssignment", "submitAttempt", "createAISystem", "updateAISystem", "createRequirement"}


def _call_and_validate(case, live_api, role: str) -> None:
    operation_id = case.operation.definition.raw.get("operationId")
    excluded = [checks.positive_data_acceptance] if operation_id in NAMES_RECORDS else []
    case.call_and_validate(
        base_url=live_api.url,
        headers={"Authorization": f"Bearer {live_api.tokens[role]}"},
        checks=[c for c in CHECKS if c not in excluded],
    )


GENERATION = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests every run
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@GENERATION
def test_api_matches_its_document_for_a_learner(case, live_api):
    _call_and_validate(case, live_api, "learner")


@schema.parametrize()
@GENERATION
def test_api_matches_its_document_for_an_admin(case, live_api):
    _call_and_validate(case, live_api, "admin")
