"""People administration: listing, creating and editing accounts, deactivation and password resets.

The acting admin is passed in; nothing here reads the request. Callers commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ....extensions import db
from ....i18n import LANGUAGES
from ....models import AuditEvent, Role, Team, User, utcnow
from ... import DomainError, FieldError, accounts, audit, on_field
from ...paging import Page, paginate
from ...programme import requirements
from .. import names

PER_PAGE = 50
STATUSES = {"active": "Active", "inactive": "Deactivated"}
NAME_MAX = 120
EMAIL_MAX = 254
# 24 random bytes: 32 URL-safe characters, far beyond guessing; shown once and never stored in plain text.
ONE_TIME_PASSWORD_BYTES = 24


class AlreadyCreated(DomainError):
    """The same admin created this account a moment ago: the form was sent twice."""

    def __init__(self, person: User) -> None:
        super().__init__(
            _(
                "The account for %(name)s was already created a moment ago (the form was sent twice). Its "
                "one-time password was shown once; if you did not see it, reset the password.",
                name=person.display_name,
            )
        )
        self.person = person


DOUBLE_SUBMIT_WINDOW = timedelta(minutes=5)


class SelfProtection(DomainError):
    """An admin tried to lock themselves out."""


# --- listing --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilter:
    search: str = ""
    team_id: int | None = None
    role: str | None = None
    status: str | None = None  # "active", "inactive" or None for everyone
    page: int = 1


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(criteria: PeopleFilter) -> Select:
    query = select(User)
    if criteria.search:
        like = f"%{_escape_like(criteria.search.lower())}%"
        query = query.where(
            or_(func.lower(User.display_name).like(like, escape="\\"), User.email.like(like, escape="\\"))
        )
    if criteria.team_id is not None:
        query = query.where(User.team_id == criteria.team_id)
    if criteria.role:
        query = query.where(User.role == criteria.role)
    if criteria.status == "active":
        query = query.where(User.active.is_(True))
    elif criteria.status == "inactive":
        query = query.where(User.active.is_(False))
    return query


def list_people(criteria: PeopleFilter, per_page: int = PER_PAGE) -> Page[User]:
    """One page of people with their teams: a count query and one page query, whatever the number of rows."""
    query = _filtered(criteria).options(joinedload(User.team)).order_by(func.lower(User.display_name), User.id)
    return paginate(query, criteria.page, per_page)


def team_choices() -> list[tuple[int, str]]:
    return [
        (row.id, row.name) for row in db.session.execute(select(Team.id, Team.name).order_by(func.lower(Team.name)))
    ]


def course_choices() -> list[tuple[int, str]]:
    """Published courses, by title (one query), for assigning from the list."""
    from ....models import Course
    from ...queries import published_courses

    return [tuple(row) for row in db.session.execute(published_courses(Course.id, Course.title).order_by(Course.title))]


# --- shared checks --------------------------------------------------------------------------------------------


def checked_email(raw: str) -> str:
    """The normalised (lower-case) address, or DomainError when it is not a plausible email address."""
    email = accounts.normalise_email(raw)
    if not email:
        raise DomainError(_("Enter an email address."))
    if len(email) > EMAIL_MAX:
        raise DomainError(_("An email address has at most %(EMAIL_MAX)s characters.", EMAIL_MAX=EMAIL_MAX))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(_("“%(email)s” is not a valid email address: %(exc)s", email=email, exc=exc)) from None
    return email


def _checked_name(raw: str) -> str:
    name = (raw or "").strip()
    if not name:
        raise DomainError(_("Enter a name."))
    if len(name) > NAME_MAX:
        raise DomainError(_("A name has at most %(NAME_MAX)s characters.", NAME_MAX=NAME_MAX))
    return name


def _checked_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise DomainError(_("Unknown role %(role)s.", role=repr(role)))
    return role


def _checked_job_role(raw: str | None) -> str | None:
    job_role = (raw or "").strip() or None
    if job_role and len(job_role) > NAME_MAX:
        raise DomainError(_("A job role has at most %(NAME_MAX)s characters.", NAME_MAX=NAME_MAX))
    return job_role


def _checked_language(raw: str | None) -> str | None:
    language = (raw or "").strip() or None
    if language and language not in LANGUAGES:
        raise DomainError(_("Choose a language from the list."))
    return language


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None:
        raise DomainError(_("That team no longer exists; choose another."))
    return team


def _email_taken(email: str, except_user_id: int | None = None) -> bool:
    query = select(func.count()).select_from(User).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return bool(db.session.scalar(query))


def _refuse_existing(email: str, actor: User):
    """An email that has an account: a double submit by the same admin is "already done", anything else an error."""
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None and existing.created_at >= utcnow() - DOUBLE_SUBMIT_WINDOW:
        created_by = db.session.scalar(
            select(AuditEvent.actor_id).where(
                AuditEvent.action == "user.created",
                AuditEvent.target_type == "user",
                AuditEvent.target_id == str(existing.id),
            )
        )
        if created_by == actor.id:
            raise AlreadyCreated(existing)
    raise FieldError("email", _("An account with the email %(email)s already exists.", email=email))


def one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


# --- creating -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPerson:
    email: str
    display_name: str
    role: str = Role.LEARNER.value
    team_id: int | None = None
    job_role: str | None = None
    password: str | None = None  # None: generate a one-time password
    invite: bool = False  # email a link to choose a password instead (no password is set or shown)


def create_person(data: NewPerson, actor: User) -> tuple[User, str | None]:
    """Create an account. Returns it with the generated one-time password (None when the admin chose one)."""
    email = on_field("email", checked_email, data.email)
    name = on_field("display_name", _checked_name, data.display_name)
    role = on_field("role", _checked_role, data.role)
    team = on_field("team", _team, data.team_id)
    job_role = on_field("job_role", _checked_job_role, data.job_role)
    if _email_taken(email):
        _refuse_existing(email, actor)
    generated = data.password is None and not data.invite
    password = one_time_password() if data.password is None else data.password
    if not generated:
        on_field("password", accounts.check_password_strength, password, email)
    user = User(
        email=email,
        display_name=name,
        password_hash=accounts.hash_password(password),
        role=role,
        team_id=team.id if team else None,  # by id: a relationship would flush the new row before its savepoint
        job_role=job_role,
        must_change_password=generated,
        password_expires_at=accounts.one_time_password_expiry() if generated else None,
        session_token=accounts.new_session_token(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # the same email created at this moment by another request
        _refuse_existing(email, actor)
    if data.invite:
        from ... import invitations

        invitations.invite(user, actor)
    audit.record(
        "user.created",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={
            "email": email,
            "role": role,
            "team": team.name if team else None,
            "one_time_password": generated,
            "invited": data.invite,
        },
    )
    requirements.sync(actor, people_ids=[user.id])  # the AI systems of their team or job role assign training
    return user, (password if generated else None)


# --- bulk actions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    done: int
    skipped: int
    job_id: int | None = None


def bulk_action(
    action: str, user_ids: list[int], actor: User, *, course_id: int | None = None, due_days: int | None = None
) -> BulkOutcome:
    """Invite (as a background job), deactivate or assign a course to the people ticked in the list."""
    from ... import jobs
    from ..assignments import assign

    people = list(db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)))
    if not people:
        raise DomainError(_("Tick at least one person."))
    if action == "invite":
        job = jobs.submit("invitations.send", {"user_ids": [p.id for p in people if p.active]}, requested_by=actor)
        return BulkOutcome(
            done=sum(p.active for p in people),
            skipped=sum(not p.active for p in people),
            job_id=job.id if job else None,
        )
    if action == "deactivate":
        done = skipped = 0
        for person in people:
            if person.id == actor.id or not person.active:
                skipped += 1
                continue
            deactivate(person, actor)
            done += 1
        return BulkOutcome(done=done, skipped=skipped)
    if action == "assign":
        from ....models import Course

        course = db.session.get(Course, course_id) if course_id else None
        if course is None or not course.published:
            raise FieldError("course", _("Choose a course to assign."))
        for person in people:
            assign(actor, course=course, user=person, due_rule="after_assigned", due_days=due_days or 30)
        return BulkOutcome(done=len(people), skipped=0)
    raise DomainError(_("Choose an action."))


# --- editing --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonChanges:
    email: str
    display_name: str
    role: str
    team_id: int | None
    job_role: str | None
    language: str | None = None  # None or "": the organisation's language
    certificate_name: str | None = None  # None: leave as it is


def update_person(person: User, changes: PersonChanges, actor: User) -> dict[str, dict]:
    """Apply the edits; audit a role change on its own and the other changes together. Returns what changed."""
    email = on_field("email", checked_email, changes.email)
    name = on_field("display_name", _checked_name, changes.display_name)
    role = on_field("role", _checked_role, changes.role)
    team = on_field("team", _team, changes.team_id)
    job_role = on_field("job_role", _checked_job_role, changes.job_role)
    language = on_field("language", _checked_language, changes.language)
    if person.id == actor.id and person.role == Role.ADMIN and role != Role.ADMIN:
        raise FieldError("role", _("You cannot remove your own admin role; ask another admin to do it."))
    if email != person.email and _email_taken(email, except_user_id=person.id):
        raise FieldError("email", _("An account with the email %(email)s already exists.", email=email))

    changed: dict[str, dict] = {}
    old_team = person.team
    for name_, old, new in (
        ("email", person.email, email),
        ("display_name", person.display_name, name),
        ("team", old_team.name if old_team else None, team.name if team else None),
        ("job_role", person.job_role, job_role),
        ("language", person.locale, language),
    ):
        if old != new:
            changed[name_] = {"old": old, "new": new}
    person.email, person.display_name, person.team, person.job_role = email, name, team, job_role
    person.locale = language
    if changes.certificate_name is not None:
        on_field("certificate_name", names.set_by_admin, person, changes.certificate_name, actor)

    if role != person.role:
        audit.record(
            "user.role_changed",
            actor=actor,
            target_type="user",
            target_id=person.id,
            details={"old": person.role, "new": role},
        )
        person.role = role
    if changed:
        audit.record("user.updated", actor=actor, target_type="user", target_id=person.id, details=changed)
    db.session.flush()
    if "team" in changed or "job_role" in changed:
        requirements.sync(actor, people_ids=[person.id])
    return changed


# --- deactivation and passwords -------------------------------------------------------------------------------


def deactivate(person: User, actor: User) -> int:
    """Block sign-in, end every session and revoke every API token. Returns the number of tokens revoked."""
    if person.id == actor.id:
        raise SelfProtection(_("You cannot deactivate your own account; ask another admin to do it."))
    if not person.active:
        raise DomainError(_("%(display_name)s is already deactivated.", display_name=person.display_name))
    person.active = False
    ended = accounts.end_all_sessions(person)
    revoked = accounts.revoke_all_api_tokens(person)
    audit.record(
        "user.deactivated",
        actor=actor,
        target_type="user",
        target_id=person.id,
        details={"tokens_revoked": revoked, "sessions_ended": ended},
    )
    db.session.flush()
    requirements.sync(actor, people_ids=[person.id])
    return revoked


def reactivate(person: User, actor: User) -> None:
    if person.active:
        raise DomainError(_("%(display_name)s is already active.", display_name=person.display_name))
    person.active = True
    audit.record("user.reactivated", actor=actor, target_type="user", target_id=person.id)
    db.session.flush()
    requirements.sync(actor, people_ids=[person.id])


def reset_password(person: User, actor: User) -> str:
    """Set a one-time password that works until its expiry and must be changed at the next sign-in; end every
    session and revoke every API token (whoever made them may have known the old password). Returns it."""
    if person.id == actor.id:
        raise SelfProtection(_("Change your own password on your account page."))
    password = one_time_password()
    person.password_hash = accounts.hash_password(password)
    person.must_change_password = True
    person.password_expires_at = accounts.one_time_password_expiry()
    ended = accounts.end_all_sessions(person)
    revoked = accounts.revoke_all_api_tokens(person)
    # The password itself is never written to the log.
    audit.record(
        "user.password_reset",
        actor=actor,
        target_type="user",
        target_id=person.id,
        details={
            "expires_at": person.password_expires_at.isoformat(),
            "sessions_ended": ended,
            "tokens_revoked": revoked,
        },
    )
    db.session.flush()
    return password
