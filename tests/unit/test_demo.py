"""The demo organisation shows every state; the large synthetic one builds in bulk."""

import hashlib

from sqlalchemy import func, select

from tests import factories
from tracker.demo import organisation
from tracker.enums import CertificateStatus, CoverageStatus
from tracker.extensions import db
from tracker.models import Certificate, Team, User
from tracker.services import certification
from tracker.services.content import loader
from tracker.services.organisation import teams
from tracker.services.programme import coverage, coverage_table
from tracker.services.reporting import matrix


def _seed():
    for slug in ("demo-a", "demo-b", "demo-c"):
        factories.make_course(slug)
    loader.apply_paths(
        [{"slug": "essentials", "title": "Essentials", "description": "", "courses": ["demo-a", "demo-b"]}]
    )
    db.session.commit()


def test_demo_has_every_certificate_and_matrix_state_and_runs_once(app):
    _seed()
    assert organisation.load_demo() is True
    db.session.commit()
    assert organisation.load_demo() is False  # running `make run` again keeps the data
    by_email = {u.email: u for u in db.session.scalars(select(User))}
    states = {}
    for cert in db.session.scalars(select(Certificate)):
        states.setdefault(cert.user.email, set()).add(certification.status(cert).value)
    assert "valid" in states["learner@example.com"]
    assert {"expired", "revoked"} <= states["zoe@example.com"]
    assert states["fyodor@example.com"] == {"expiring"}
    assert states["yamada@example.com"] == {"pending"}
    manager = by_email["manager@example.com"]
    department = db.session.scalar(select(Team).where(Team.name == "IT Operations"))
    assert {t.name for t in department.children} == {"Service Desk", "Infrastructure"}
    scope = teams.managed_team_ids(manager)
    result = matrix.build(scope, matrix.Filters())
    assert set(result.status_counts) >= {"completed", "in_progress", "not_started", "overdue", "expiring", "expired"}


def test_large_demo_via_cli(app, runner):
    _seed()
    result = runner.invoke(args=["demo-data", "--learners", "60", "--courses", "4"])
    assert result.exit_code == 0, result.output
    assert "Added 60 learners in 3 teams, over 4 courses" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 60
    # Written without files, not pending: each certificate's status follows its dates (awarded up to 420 days ago,
    # valid for 12 months), and its files are made on first use.
    certificates = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
    assert certificates and all(c.pdf_sha256 is None and c.pending_reason is None for c in certificates)
    states = {certification.status(c) for c in certificates}
    assert CertificateStatus.PENDING not in states and {CertificateStatus.VALID, CertificateStatus.EXPIRED} <= states
    first = certificates[0]
    assert certification.ensure_files(first) and first.pdf.startswith(b"%PDF")
    assert first.pdf_sha256 == hashlib.sha256(first.pdf).hexdigest() and first.credential
    assert db.session.scalar(select(func.count()).where(Certificate.pdf_sha256.is_not(None))) == 1
    # AI systems used by departments and job roles, with requirements: the coverage page has work
    result = coverage.build(None, coverage.Filters())
    assert len(result.systems) == 3 and result.has_role_column
    assert result.total_people > 30
    assert {CoverageStatus.MISSING, CoverageStatus.COVERED} <= set(result.status_counts)
    assert coverage_table.differences() == []
    again = runner.invoke(args=["demo-data", "--learners", "60", "--courses", "4"])  # a second round adds usage
    assert again.exit_code == 0, again.output
    assert coverage.build(None, coverage.Filters()).total_people > result.total_people
    assert coverage_table.differences() == []
