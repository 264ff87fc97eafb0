"""Bulk import of people from a CSV file: read and check every row, preview the plan, then apply it at once.

Nothing is stored between the preview and the confirmation: the file travels back signed (see `sign_file`), and
is checked again on confirmation because people or teams may have changed in between. Checking costs two
queries (the people named in the file, the teams), whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Role, Team, User
from . import DomainError, accounts, audit

MAX_ROWS = 5000
COLUMNS = ("email", "name", "team", "job_role", "manager")
REQUIRED_COLUMNS = ("email", "name")
TEXT_MAX = 120
EMAIL_MAX = 254
SIGNING_SALT = "people-import"
FIELD_LABELS = {"name": "name", "team": "team", "job_role": "job role"}


@dataclass
class ImportRow:
    line: int
    email: str = ""
    name: str = ""
    team: str | None = None
    job_role: str | None = None
    manager: str | None = None
    errors: list[str] = field(default_factory=list)
    action: str = ""  # "create", "update" or "unchanged" once the row is planned
    changes: list[str] = field(default_factory=list)  # what an update changes, in words
    manager_invalid: bool = False

    @property
    def team_key(self) -> str | None:
        return self.team.lower() if self.team else None


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)
    manager_changes: list[tuple[str, str]] = field(default_factory=list)  # (team, manager email)
    promotions: list[str] = field(default_factory=list)  # learners (or new people) who become managers
    # Loaded while checking and reused when applying, so applying adds no query per row.
    users: dict[str, User] = field(default_factory=dict, repr=False)
    teams: dict[str, Team] = field(default_factory=dict, repr=False)  # lower-case name -> team
    team_names: dict[str, str] = field(default_factory=dict, repr=False)  # lower-case name -> name to use
    managers: dict[str, str] = field(default_factory=dict, repr=False)  # lower-case team name -> manager email
    text: str = field(default="", repr=False)  # the file as read, to sign into the confirmation form
    filename: str = ""

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.file_errors and not self.bad_rows

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if not row.errors and row.action == action)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    changed: int
    teams_created: int
    managers_set: int
    promoted: int

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated ({self.changed} changed), "
            f"{self.teams_created} new teams, {self.managers_set} team managers set, "
            f"{self.promoted} promoted to manager."
        )


# --- signing the file between preview and confirmation ----------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SIGNING_SALT)


def sign_file(text: str, filename: str, secret_key: str) -> str:
    # URLSafeSerializer compresses the payload with zlib whenever that makes it shorter.
    return _serializer(secret_key).dumps({"csv": text, "filename": filename})


def unsign_file(token: str, secret_key: str) -> tuple[str, str]:
    """The file text and name from a signed confirmation field; DomainError if it was changed or is not ours."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        raise DomainError("The confirmation form was changed or has expired; upload the file again.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("csv"), str):
        raise DomainError("The confirmation form was changed or has expired; upload the file again.")
    return payload["csv"], str(payload.get("filename") or "")


# --- reading ----------------------------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """UTF-8 text with or without a byte-order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.") from None


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _check_header(header: list[str]) -> list[str]:
    names = [_header_name(cell) for cell in header]
    errors = []
    if any(not name for name in names):
        errors.append("The header has a column without a name.")
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        errors.append(f"These columns appear more than once in the header: {', '.join(duplicated)}.")
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name and name not in COLUMNS]
    if unknown:
        errors.append(f"Unknown columns in the header: {', '.join(unknown)}. Use only: {', '.join(COLUMNS)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        errors.append(
            f"The header has no {' or '.join(missing)} column. The first line must name the columns, "
            f"for example: {','.join(COLUMNS)}."
        )
    return errors


def read_rows(text: str) -> tuple[list[ImportRow], list[str]]:
    """Split the text into rows with their line numbers; returns (rows, errors about the whole file)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], ["The file is empty."]
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are skipped
            if header is None:
                header = cells
            else:
                records.append((start, cells))
    except csv.Error as exc:
        return [], [f"The file could not be read as CSV near line {reader.line_num}: {exc}."]
    assert header is not None
    header_errors = _check_header(header)
    if header_errors:
        return [], header_errors
    if not records:
        return [], ["The file has a header but no people."]
    if len(records) > MAX_ROWS:
        return [], [f"The file has {len(records):,} rows; import at most {MAX_ROWS:,} at a time."]

    columns = [_header_name(cell) for cell in header]
    rows = []
    for line, cells in records:
        if len(cells) != len(columns):
            rows.append(
                ImportRow(line=line, errors=[f"This line has {len(cells)} values; the header has {len(columns)}."])
            )
            continue
        values = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
        rows.append(_check_cells(line, values))
    return rows, []


def _valid_email(email: str) -> str | None:
    """Why `email` is not a plausible address, or None when it is."""
    if len(email) > EMAIL_MAX:
        return f"it is longer than {EMAIL_MAX} characters"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc).rstrip(".")
    return None


def _check_cells(line: int, values: dict[str, str]) -> ImportRow:
    row = ImportRow(
        line=line,
        email=accounts.normalise_email(values.get("email", "")),
        name=values.get("name", ""),
        team=values.get("team") or None,
        job_role=values.get("job_role") or None,
        manager=accounts.normalise_email(values.get("manager", "")) or None,
    )
    if not row.email:
        row.errors.append("The email is missing.")
    elif problem := _valid_email(row.email):
        row.errors.append(f"“{row.email}” is not a valid email address: {problem}.")
    if not row.name:
        row.errors.append("The name is missing.")
    elif len(row.name) > TEXT_MAX:
        row.errors.append(f"The name is longer than {TEXT_MAX} characters.")
    if row.team and len(row.team) > TEXT_MAX:
        row.errors.append(f"The team name is longer than {TEXT_MAX} characters.")
    if row.job_role and len(row.job_role) > TEXT_MAX:
        row.errors.append(f"The job role is longer than {TEXT_MAX} characters.")
    if row.manager:
        if problem := _valid_email(row.manager):
            row.manager_invalid = True
            row.errors.append(f"The manager “{row.manager}” is not a valid email address: {problem}.")
        elif not row.team:
            row.errors.append("A manager is given but no team: the manager column names the manager of the team.")
    return row


# --- checking against each other and the database ----------------------------------------------------------------


def _lines(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def _check_duplicates(rows: list[ImportRow]) -> None:
    by_email: dict[str, list[ImportRow]] = defaultdict(list)
    for row in rows:
        if row.email:
            by_email[row.email].append(row)
    for email, same in by_email.items():
        if len(same) > 1:
            lines = _lines([r.line for r in same])
            for row in same:
                row.errors.append(f"The email {email} appears more than once in the file (lines {lines}).")


def _check_managers(plan: ImportPlan) -> None:
    """One manager per team; the manager exists or is in the file; an existing different manager is a conflict."""
    in_file = {row.email for row in plan.rows if row.email}
    by_team: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows_by_team: dict[str, list[ImportRow]] = defaultdict(list)
    for row in plan.rows:
        if not row.manager or not row.team_key or row.manager_invalid:
            continue
        manager = plan.users.get(row.manager)
        if manager is None and row.manager not in in_file:
            row.errors.append(f"The manager {row.manager} is neither an existing person nor a row in this file.")
            continue
        if manager is not None and not manager.active:
            row.errors.append(f"The manager {row.manager} is deactivated.")
            continue
        by_team[row.team_key][row.manager].append(row.line)
        rows_by_team[row.team_key].append(row)

    for key, managers in by_team.items():
        name = plan.team_names[key]
        if len(managers) > 1:
            told = "; ".join(f"{email} (lines {_lines(lines)})" for email, lines in managers.items())
            for row in rows_by_team[key]:
                row.errors.append(f"The file gives the team {name} more than one manager: {told}.")
            continue
        email = next(iter(managers))
        team = plan.teams.get(key)
        if team is not None and team.manager is not None and team.manager.email != email:
            for row in rows_by_team[key]:
                row.errors.append(
                    f"The team {team.name} already has the manager {team.manager.email}, not {email}. "
                    "Change the team's manager first, or correct the file."
                )
            continue
        plan.managers[key] = email


def _plan_row(plan: ImportPlan, row: ImportRow) -> None:
    user = plan.users.get(row.email)
    if user is None:
        row.action = "create"
        return
    team = plan.teams.get(row.team_key) if row.team_key else None
    if row.name != user.display_name:
        row.changes.append(FIELD_LABELS["name"])
    # An empty team or job role cell leaves that detail as it is.
    if row.team_key and (team is None or team.id != user.team_id):
        row.changes.append(FIELD_LABELS["team"])
    if row.job_role and row.job_role != user.job_role:
        row.changes.append(FIELD_LABELS["job_role"])
    row.action = "update" if row.changes else "unchanged"


def preview(raw: bytes, filename: str = "") -> ImportPlan:
    """The plan for an uploaded file; DomainError when it is not UTF-8 text."""
    return plan_import(decode(raw), filename)


def plan_import(text: str, filename: str = "") -> ImportPlan:
    """Check every row and say what importing the file would do. Two queries, whatever the size of the file."""
    rows, file_errors = read_rows(text)
    plan = ImportPlan(rows=rows, file_errors=file_errors, text=text, filename=filename)
    if file_errors:
        return plan
    _check_duplicates(rows)

    emails = {row.email for row in rows if row.email} | {row.manager for row in rows if row.manager}
    plan.users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(sorted(emails))))}
    existing_teams = db.session.scalars(select(Team).options(joinedload(Team.manager))).unique().all()
    by_exact = {team.name: team for team in existing_teams}
    by_lower = {team.name.lower(): team for team in existing_teams}
    for row in rows:
        if not row.team:
            continue
        key = row.team_key
        if key not in plan.team_names:
            team = by_exact.get(row.team) or by_lower.get(key)
            if team is not None:
                plan.teams[key] = team
            plan.team_names[key] = team.name if team is not None else row.team
        row.team = plan.team_names[key]  # one spelling per team: the existing one, or the first in the file

    _check_managers(plan)
    for row in rows:
        if not row.errors:
            _plan_row(plan, row)
    if plan.bad_rows:
        return plan
    plan.new_teams = sorted({plan.team_names[r.team_key] for r in rows if r.team_key and r.team_key not in plan.teams})
    for key, email in sorted(plan.managers.items()):
        team = plan.teams.get(key)
        manager = plan.users.get(email)
        if team is None or manager is None or team.manager_id != manager.id:
            plan.manager_changes.append((plan.team_names[key], email))
        if (manager is None or manager.role == Role.LEARNER) and email not in plan.promotions:
            plan.promotions.append(email)
    return plan


# --- applying ----------------------------------------------------------------------------------------------------


def _unusable_password_hash() -> str:
    # Not a werkzeug hash format, so no password ever matches it: the person signs in after a password reset.
    return "!" + secrets.token_hex(16)


def apply_import(plan: ImportPlan, actor: User) -> ImportResult:
    """Carry out a checked plan: teams, people, then team managers. The caller commits once."""
    if not plan.ok:
        raise DomainError("The file has problems; correct them and upload it again. Nothing was imported.")
    teams = dict(plan.teams)
    for name in plan.new_teams:
        team = Team(name=name)
        db.session.add(team)
        teams[name.lower()] = team
    db.session.flush()

    users = dict(plan.users)
    created = updated = 0
    for row in plan.rows:
        team = teams[row.team_key] if row.team_key else None
        user = users.get(row.email)
        if user is None:
            user = User(
                email=row.email,
                display_name=row.name,
                password_hash=_unusable_password_hash(),
                role=Role.LEARNER.value,
                team_id=team.id if team else None,
                job_role=row.job_role,
                must_change_password=True,
                session_token=accounts.new_session_token(),
            )
            db.session.add(user)
            users[row.email] = user
            created += 1
            continue
        if row.action == "update":
            user.display_name = row.name
            if team is not None:
                user.team_id = team.id
            if row.job_role:
                user.job_role = row.job_role
            updated += 1
    db.session.flush()

    managers_set = promoted = 0
    for key, email in plan.managers.items():
        team, manager = teams[key], users[email]
        if team.manager_id != manager.id:
            team.manager_id = manager.id
            managers_set += 1
        if manager.role == Role.LEARNER:
            audit.record(
                "user.role_changed",
                actor=actor,
                target_type="user",
                target_id=manager.id,
                details={"old": manager.role, "new": Role.MANAGER.value, "reason": f"manager of {team.name}"},
            )
            manager.role = Role.MANAGER.value
            promoted += 1

    result = ImportResult(
        created=created,
        updated=sum(1 for row in plan.rows if row.action in ("update", "unchanged")),
        changed=updated,
        teams_created=len(plan.new_teams),
        managers_set=managers_set,
        promoted=promoted,
    )
    audit.record(
        "people.imported",
        actor=actor,
        target_type="import",
        details={"filename": plan.filename, "rows": len(plan.rows), **asdict(result)},
    )
    db.session.flush()
    return result


def confirm(token: str, secret_key: str, actor: User) -> tuple[ImportPlan, ImportResult | None]:
    """Check the signed file again (people and teams may have changed since the preview) and import it if it is
    still good. Returns the plan and the result, or no result when the plan now has problems."""
    text, filename = unsign_file(token, secret_key)
    plan = plan_import(text, filename)
    if not plan.ok:
        return plan, None
    return plan, apply_import(plan, actor)
