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
from .services.certification import backfill, verification
from .services.content import loader, quality
from .services.content.schema import ContentError
from .services.programme import requirements


def register(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(verify_certificate)
    app.cli.add_command(content_check)
    app.cli.add_command(backfill_certificates)
    app.cli.add_command(verify_evidence_pack)
    app.cli.add_command(evidence_pack_command)
    app.cli.add_command(apply_retention)
    app.cli.add_command(sync_requirements)
    app.cli.add_command(jobs_worker)
    app.cli.add_command(jobs_run_pending)
    app.cli.add_command(check_invariants)
    app.cli.add_command(matrix_status)


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
        requirements.sync(people_ids=[user.id])  # the AI systems of their team or job role assign training
    except DomainError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@click.command("verify-certificate")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_certificate(pdf_file: Path) -> None:
    """Check that a PDF is exactly a certificate issued here (exit status 0 only for a current, genuine file).

    Exit status: 0 genuine and valid, 1 no match, 2 an earlier revision, 3 genuine but not valid (revoked,
    expired, pending), 4 an issued PDF with additions appended (such as an admin's status-stamped copy)."""
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
    if result.outcome == "extended":
        record = verification.public_record(result.certificate)
        click.echo(
            f"Contains certificate {record['code']} exactly as issued, with additions appended after it "
            f"(such as the status stamp of an administrator's copy); status: {record['status_label']}."
        )
        sys.exit(4)
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


@click.group("matrix-status")
def matrix_status() -> None:
    """The maintained matrix tables (statuses per person and course, counts per team) and AI-system coverage."""


@matrix_status.command("rebuild")
def matrix_status_rebuild() -> None:
    """Recompute the matrix tables from scratch (after restoring a backup or loading data in bulk)."""
    from .services.reporting import status_table

    people = status_table.rebuild()
    db.session.commit()
    click.echo(f"Matrix tables rebuilt for {people} people.")


@matrix_status.command("check")
def matrix_status_check() -> None:
    """Compare the matrix tables with a fresh computation; exit 1 when they differ."""
    from .services.reporting import status_table

    found = status_table.differences()
    db.session.rollback()
    for line in found:
        click.echo(line)
    click.echo("Matrix tables consistent." if not found else f"{len(found)} difference(s) shown.")
    sys.exit(1 if found else 0)


@click.command("backfill-certificates")
def backfill_certificates() -> None:
    """Issue the certificates of completed courses that have none (e.g. after upgrading from the first schema).

    Safe to run again, or at the same time on another host: the database's unique keys let each certificate be
    issued once. Each one is committed as it is made, so an interrupted run keeps its work."""
    per_course: dict[str, int] = {}
    already = 0
    for item in backfill.missing():
        try:
            issued = backfill.fill(item)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        if issued is None:
            already += 1  # another run issued it meanwhile
            continue
        per_course[issued.course_slug] = per_course.get(issued.course_slug, 0) + 1
        note = " (waiting for an admin: the name cannot be printed)" if issued.pending else ""
        click.echo(f"Issued {issued.code} to {issued.email} for {issued.course_slug}{note}")
    created = sum(per_course.values())
    if created:
        click.echo(f"Issued {created} certificate(s):")
        for slug, count in sorted(per_course.items()):
            click.echo(f"  {slug}: {count}")
    elif not already:
        click.echo("Every completion has its certificate; nothing to issue.")
    if already:
        click.echo(f"Skipped {already} that another run issued meanwhile.")


@click.command("verify-evidence-pack")
@click.argument("zip_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    default=None,
    help="The organisation's Ed25519 public key as a Multikey (z6Mk...), from its /.well-known/did.json. "
    "Default: the public half of this installation's issuer key.",
)
def verify_evidence_pack(zip_file: Path, public_key: str | None) -> None:
    """Check an evidence pack with the public key only (exit status 0 only for a genuine, unchanged pack)."""
    from .extensions import issuing
    from .services.programme import pack_verification

    key = public_key or issuing.current.key.public_key_multibase
    result = pack_verification.verify_pack(zip_file.read_bytes(), key)
    if result.ok:
        click.echo(f"Genuine: the manifest is signed by {result.issuer} and all {result.files_checked} files match.")
        click.echo(f"  {result.organisation}, {result.scope}, generated {result.generated_at}.")
        sys.exit(0)
    click.echo("Does not check out:")
    for problem in result.problems:
        click.echo(f"  {problem}")
    sys.exit(1)


@click.command("evidence-pack")
@click.option("--team", "team_id", type=int, default=None, help="A team (with the teams below it); default: all.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to write it.")
def evidence_pack_command(team_id: int | None, output: Path | None) -> None:
    """Build and sign the evidence pack (ZIP) for the organisation or a team."""
    from .extensions import issuing
    from .models import Team
    from .services.programme import evidence_pack
    from .services.reporting import evidence

    if team_id is None:
        scope = evidence.organisation_scope()
    else:
        team = db.session.get(Team, team_id)
        if team is None:
            click.echo(f"No team has the id {team_id}.", err=True)
            sys.exit(1)
        scope = evidence.team_scope(team)
    pack = evidence_pack.build_pack(scope, issuing.current)
    target = output or Path(pack.file_name)
    target.write_bytes(pack.data)
    click.echo(f"Wrote {target} ({len(pack.data) // 1024} KB, {len(pack.manifest['files'])} files).")


@click.command("apply-retention")
@click.option("--months", type=click.IntRange(1, 240), default=None, help="Override the privacy setting.")
def apply_retention(months: int | None) -> None:
    """Remove the questions and answers of quiz attempts older than the retention period (scores, results and
    completions stay). Run it daily; without a retention setting it does nothing."""
    from .services.programme import privacy

    result = privacy.apply_retention(months=months)
    db.session.commit()
    if result.cutoff is None:
        click.echo("No retention period is set; nothing was changed.")
    else:
        click.echo(f"Removed the details of {result.anonymised} attempts submitted before {result.cutoff:%Y-%m-%d}.")


@click.command("sync-requirements")
def sync_requirements() -> None:
    """Bring the assignments that follow from training requirements in line with who uses which AI system."""
    result = requirements.sync()
    db.session.commit()
    click.echo(f"{result.created} assignments started, {result.ended} ended.")


@click.command("jobs-worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads of this consumer.")
@click.option("--no-periodic", is_flag=True, help="Do not run the minute tick here (another consumer does).")
def jobs_worker(workers: int, no_periodic: bool) -> None:
    """Run a job consumer in the foreground (Ctrl-C waits for running jobs, then stops)."""
    from .jobs import queue

    app = current_app._get_current_object()
    click.echo(f"job consumer: {app.config['JOBS_BACKEND']} queue {app.config['JOBS_QUEUE_NAME']!r}, {workers} workers")
    queue.run_consumer(app, workers=workers, periodic=not no_periodic)


@click.command("jobs-run-pending")
@click.option("--tick", is_flag=True, help="Run the minute tick first (schedules due work).")
def jobs_run_pending(tick: bool) -> None:
    """Run the jobs waiting in the queue now, in this process, and stop."""
    from .jobs import queue
    from .jobs.schedule import tick as run_tick

    app = current_app._get_current_object()
    if tick:
        run_tick()
        db.session.commit()
    click.echo(f"{queue.drain(app)} queue tasks ran")


@click.command("check-invariants")
def check_invariants() -> None:
    """Check what must hold whatever ran concurrently: one current certificate per completion, no reissued revoked
    certificate, a certificate's files all there or none, a completion for every finished course, one open attempt
    per person and quiz, matrix tables in step with the data they come from (exit 1 on any)."""
    found = invariants.violations()
    for violation in found:
        click.echo(str(violation))
    if found:
        click.echo(f"{len(found)} violation(s) found.", err=True)
        sys.exit(1)
    click.echo(f"No violations ({len(invariants.CHECKS)} checks).")
