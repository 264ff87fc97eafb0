"""Command-line tasks: `flask --app tracker <command>`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from .demo import large, organisation
from .extensions import db
from .models import Role
from .services import DomainError, accounts, invariants
from .services.certification import verification
from .services.content import loader, quality
from .services.content.schema import ContentError


def register(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(verify_certificate)
    app.cli.add_command(content_check)
    app.cli.add_command(check_invariants)


@click.command("seed")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of course YAML files (default: seed_data/).",
)
def seed(directory: Path | None) -> None:
    """Load or update the courses and learning paths from YAML files."""
    directory = directory or Path(current_app.config["SEED_DATA_DIR"])
    try:
        results = loader.load_directory(directory)
    except ContentError as exc:
        db.session.rollback()
        click.echo(f"Nothing was loaded: {len(exc.problems)} problem(s) found.", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    for result in results:
        click.echo(f"{result.slug}: {result.status} (version {result.version})")


@click.command("demo-data")
@click.option(
    "--learners",
    type=click.IntRange(1, 200_000),
    default=None,
    help="Also add this many synthetic learners (teams of 25), for load tests and benchmarks.",
)
@click.option(
    "--courses",
    type=click.IntRange(1, 200),
    default=None,
    help="With --learners: make sure this many courses exist (synthetic ones are added).",
)
def demo_data(learners: int | None, courses: int | None) -> None:
    """Create the demo organisation (development only); with --learners, a large synthetic one as well."""
    if current_app.config["PRODUCTION"]:
        click.echo("Refusing to load demo data into a production configuration.", err=True)
        sys.exit(1)
    if learners is None:
        created = organisation.load_demo()
        db.session.commit()
        click.echo("Demo organisation created." if created else "Demo organisation already present; left as it is.")
        return
    result = large.load_large(learners, courses or 6)
    db.session.commit()
    click.echo(
        f"Added {result.learners} learners in {result.teams} teams, over {result.courses} courses "
        f"({result.completions} completions; their certificates carry no PDF)."
    )


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value, show_default=True)
@click.option("--team", default=None, help="Team name; created when it does not exist.")
@click.option("--job-role", default=None)
@click.password_option(help="Prompted for when not given.")
def create_user(
    email: str, display_name: str, role: str, team: str | None, job_role: str | None, password: str
) -> None:
    """Create an account."""
    try:
        user = accounts.create_user(accounts.NewUser(email, display_name, password, role, team, job_role))
    except DomainError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@click.command("verify-certificate")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_certificate(pdf_file: Path) -> None:
    """Check that a PDF is exactly a certificate issued here (exit status 0 only for a current, genuine file)."""
    result = verification.check_pdf(pdf_file.read_bytes())
    if result.outcome == "match":
        record = verification.public_record(result.certificate)
        click.echo(f"Genuine: certificate {record['code']} ({record['status_label']}).")
        click.echo(
            f"  Awarded to {record['learner_name']} for {record['course_title']} (version {record['course_version']})"
        )
        click.echo(f"  on {record['issued_at'][:10]}; valid until {(record['expires_at'] or 'no expiry')[:10]}.")
        sys.exit(0 if record["status"] in ("valid", "expiring") else 3)
    if result.outcome == "superseded":
        click.echo(
            f"Genuine earlier version of certificate {result.certificate.code}; "
            f"the current version is {result.current.code}."
        )
        sys.exit(2)
    if result.outcome == "altered":
        click.echo(f"Does not match: the file claims to be certificate {result.claimed_code}, but it was altered.")
    else:
        click.echo("Does not match any certificate issued here.")
    sys.exit(1)


@click.command("content-check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of course YAML files (default: seed_data/).",
)
def content_check(directory: Path | None) -> None:
    """Report each course's quiz pools: answer cues, scenario share and pool sizes (exit 1 on any problem)."""
    directory = directory or Path(current_app.config["SEED_DATA_DIR"])
    found = loader.read_directory(directory, stored_courses=False)
    failed = bool(found.problems)
    for problem in found.problems:
        click.echo(problem)
    for course in found.courses:
        report = quality.pool_report(course)
        languages = ", ".join(sorted(course["translations"])) or "none"
        click.echo(
            f"{course['slug']}: {len(course['modules'])} modules, {report.questions} questions "
            f"({report.scenario_share:.0%} scenarios), about {course['estimated_minutes']} minutes; "
            f"translations: {languages}"
        )
        for problem in report.cue_problems() + report.shape_problems():
            failed = True
            click.echo(f"  {problem}")
    sys.exit(1 if failed else 0)


@click.command("check-invariants")
def check_invariants() -> None:
    """Check what must hold whatever ran concurrently: one current certificate per completion, no reissued revoked
    certificate, a completion for every finished course, one open attempt per person and quiz (exit 1 on any)."""
    found = invariants.violations()
    for violation in found:
        click.echo(str(violation))
    if found:
        click.echo(f"{len(found)} violation(s) found.", err=True)
        sys.exit(1)
    click.echo(f"No violations ({len(invariants.CHECKS)} checks).")
