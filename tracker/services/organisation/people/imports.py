"""Bulk import of people from a CSV file: read and check every row, preview the plan, then apply it at once.

Nothing is stored between the preview and the confirmation: the file travels back signed (see `sign_file`), and
is checked again on confirmation because people or teams may have changed in between. Checking costs two
queries (the people named in the file, the teams), whatever the number of rows.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ....extensions import db
from ....models import Role, Team, User
from ... import DomainError, accounts, audit
from .csv_rows import FIELD_LABELS, ImportRow, decode, read_rows

SIGNING_SALT = "people-import"


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
        return _(
            "%(created)s created, %(updated)s updated (%(changed)s changed), %(teams)s new teams, "
            "%(managers)s team managers set, %(promoted)s promoted to manager.",
            created=self.created,
            updated=self.updated,
            changed=self.changed,
            teams=self.teams_created,
            managers=self.managers_set,
            promoted=self.promoted,
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
        raise DomainError(_("The confirmation form was changed or has expired; upload the file again.")) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("csv"), str):
        raise DomainError(_("The confirmation form was changed or has expired; upload the file again."))
    return payload["csv"], str(payload.get("filename") or "")


# --- reading ----------------------------------------------------------------------------------------------------


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
                row.errors.append(
                    _(
                        "The email %(email)s appears more than once in the file (lines %(lines)s).",
                        email=email,
                        lines=lines,
                    )
                )


def _check_managers(plan: ImportPlan) -> None:
    """One manager per team; the manager exists or is in the file; a team whose managers do not include them is a
    conflict (its managers are changed on the team's page, not by an import)."""
    in_file = {row.email for row in plan.rows if row.email}
    by_team: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows_by_team: dict[str, list[ImportRow]] = defaultdict(list)
    for row in plan.rows:
        if not row.manager or not row.team_key or row.manager_invalid:
            continue
        manager = plan.users.get(row.manager)
        if manager is None and row.manager not in in_file:
            row.errors.append(
                _("The manager %(manager)s is neither an existing person nor a row in this file.", manager=row.manager)
            )
            continue
        if manager is not None and not manager.active:
            row.errors.append(_("The manager %(manager)s is deactivated.", manager=row.manager))
            continue
        by_team[row.team_key][row.manager].append(row.line)
        rows_by_team[row.team_key].append(row)

    for key, managers in by_team.items():
        name = plan.team_names[key]
        if len(managers) > 1:
            told = "; ".join(f"{email} (lines {_lines(lines)})" for email, lines in managers.items())
            for row in rows_by_team[key]:
                row.errors.append(
                    _("The file gives the team %(name)s more than one manager: %(told)s.", name=name, told=told)
                )
            continue
        email = next(iter(managers))
        team = plan.teams.get(key)
        current = [m.email for m in team.managers] if team is not None else []
        if current and email not in current:
            for row in rows_by_team[key]:
                row.errors.append(
                    _(
                        "The team %(name)s already has the manager %(manager)s, not %(email)s. "
                        "Change the team's manager first, or correct the file.",
                        name=team.name,
                        manager=", ".join(current),
                        email=email,
                    )
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
        row.changes.append(str(FIELD_LABELS["name"]))
    # An empty team or job role cell leaves that detail as it is.
    if row.team_key and (team is None or team.id != user.team_id):
        row.changes.append(str(FIELD_LABELS["team"]))
    if row.job_role and row.job_role != user.job_role:
        row.changes.append(str(FIELD_LABELS["job_role"]))
    if row.language and row.language != user.locale:
        row.changes.append(str(FIELD_LABELS["language"]))
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
    existing_teams = db.session.scalars(select(Team).options(selectinload(Team.managers))).unique().all()
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
        if team is None or manager is None or manager not in team.managers:
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
        raise DomainError(_("The file has problems; correct them and upload it again. Nothing was imported."))
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
                locale=row.language,
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
            if row.language:
                user.locale = row.language
            updated += 1
    db.session.flush()

    managers_set = promoted = 0
    for key, email in plan.managers.items():
        team, manager = teams[key], users[email]
        if manager not in team.managers:
            team.managers.append(manager)
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
    if result.created or result.changed:
        from ...programme import requirements

        requirements.sync(actor)  # newcomers and changed teams or job roles: training follows their AI systems
    return result


def confirm(token: str, secret_key: str, actor: User) -> tuple[ImportPlan, ImportResult | None]:
    """Check the signed file again (people and teams may have changed since the preview) and import it if it is
    still good. Returns the plan and the result, or no result when the plan now has problems."""
    text, filename = unsign_file(token, secret_key)
    plan = plan_import(text, filename)
    if not plan.ok:
        return plan, None
    return plan, apply_import(plan, actor)
