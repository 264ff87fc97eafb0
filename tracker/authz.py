"""Who may see and do what. Views and templates both ask here, so a hidden button and a refused request agree.

Objects a user may not see answer 404, not 403: their existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, g
from flask_login import current_user
from sqlalchemy import select

from . import enums
from .enums import Role
from .extensions import db
from .inputs import database_id
from .models import (
    AISystem,
    ApiToken,
    Assignment,
    Attempt,
    Certificate,
    Course,
    CourseVersion,
    Job,
    Lesson,
    MailMessage,
    Module,
    NameChangeRequest,
    Policy,
    PolicyVersion,
    Quiz,
    Team,
    TrainingRequirement,
    User,
    UserSession,
)
from .services.certification.codes import normalise_code
from .services.learning import catalog, structure
from .services.organisation import teams


def _by_id(model, object_id):
    """The row with this id, or None; an id no row can have (outside the database's integer range, which
    PostgreSQL refuses outright) is simply not found."""
    number = database_id(object_id)
    return db.session.get(model, number) if number is not None else None


def refuse(kind: str, ident: object, status: int = 404):
    """Refuse access to something that exists: the answer is the same as for nothing (404) or a role's page (403),
    and the error handler records the refusal in the audit log (`g.access_refused`)."""
    g.access_refused = {"kind": kind, "id": str(ident)}
    abort(status)


def role_required(*roles: Role) -> Callable:
    """Signed-in users with one of `roles`; others get 403 (anonymous users are sent to sign in)."""
    allowed = {r.value for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                refuse("page", view.__name__, 403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_view_course(user: User, course: Course) -> bool:
    return course.published or user.role == Role.ADMIN


def can_view_attempt(user: User, attempt: Attempt) -> bool:
    # Learners see their own attempts; admins may review anyone's for support.
    return attempt.user_id == user.id or user.role == Role.ADMIN


def can_take_quiz(user: User, attempt: Attempt) -> bool:
    return attempt.user_id == user.id


def can_see_person(user: User, person_id: int, person_team_id: int | None) -> bool:
    """Own records; admins everyone; managers the people of the teams they manage and below."""
    if user.id == person_id or user.role == Role.ADMIN:
        return True
    return user.role == Role.MANAGER and person_team_id is not None and person_team_id in teams.managed_team_ids(user)


def can_download_certificate(user: User, cert: Certificate) -> bool:
    return can_see_person(user, cert.user_id, cert.user.team_id)


def can_manage_certificates(user: User) -> bool:
    return user.role == Role.ADMIN


def can_download_withdrawn_files(user: User | None = None) -> bool:
    """A revoked or superseded certificate's files (as marked copies) are for the record: admins only.
    Without a user: the signed-in one (templates' macros have no `current_user`)."""
    user = user if user is not None else current_user
    return user.is_authenticated and user.role == Role.ADMIN


def get_certificate_or_404(code: str) -> Certificate:
    """A certificate the current user may download; everyone else gets 404, even when guessing codes."""
    normalised = normalise_code(code)
    cert = db.session.scalar(select(Certificate).where(Certificate.code == normalised)) if normalised else None
    if cert is None:
        abort(404)
    if not can_download_certificate(current_user, cert):
        refuse("certificate", cert.code)
    return cert


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


# People, content, the audit log, organisation-wide evidence and the AI-literacy programme (inventory,
# requirements, policies, privacy settings) are admin matters.
can_manage_people = can_manage_content = can_view_audit = can_manage_teams = can_manage_programme = is_admin


def visible_team_ids(user: User) -> set[int] | None:
    """Teams whose people this user may see: None means every team (admins)."""
    if user.role == Role.ADMIN:
        return None
    return teams.managed_team_ids(user)


def manager_scope(user: User) -> set[int] | None:
    """The teams behind every manager page and API call: None for admins (everything), the managed teams and
    everything below them for managers. Learners, and managers without a team, get 403: there is nothing to see."""
    if user.role not in (Role.MANAGER, Role.ADMIN):
        abort(403)
    scope = visible_team_ids(user)
    if scope is not None and not scope:
        abort(403)
    return scope


def can_see_team_progress(user: User) -> bool:
    """Managers and admins have the team pages (a manager without a team is told there is nothing to see)."""
    return user.is_authenticated and user.role in (Role.MANAGER, Role.ADMIN)


def can_assign_to_job_role(user: User | None) -> bool:
    """A job role cuts across every team, so only admins assign to one."""
    return user is not None and user.role == Role.ADMIN


def can_view_team(user: User, team_id: int) -> bool:
    scope = visible_team_ids(user)
    return scope is None or team_id in scope


def can_manage_assignment(user: User, assignment: Assignment) -> bool:
    """Admins manage every assignment; managers those aimed at their teams or their people (not job roles).
    Assignments that follow from a training requirement end with the requirement, not by hand."""
    if assignment.requirement_id is not None:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.MANAGER:
        return False
    scope = teams.managed_team_ids(user)
    if assignment.team_id is not None:
        return assignment.team_id in scope
    if assignment.user_id is not None:
        return assignment.user is not None and assignment.user.team_id in scope
    return False


def get_team_or_404(team_id: int | str) -> Team:
    team = _by_id(Team, team_id)
    if team is None:
        abort(404)
    if not can_view_team(current_user, team.id):
        refuse("team", team.id)
    return team


def get_person_or_404(user_id: int) -> User:
    person = _by_id(User, user_id)
    if person is None:
        abort(404)
    if not can_see_person(current_user, person.id, person.team_id):
        refuse("user", person.id)
    return person


def get_person_in_scope_or_404(user_id: int) -> User:
    """A person whose training record the current user may open and act on: admins anyone, managers the people of
    the teams they manage and below. Learners (and managers without a team) get 403 from manager_scope(); a person
    out of reach is 404."""
    scope = manager_scope(current_user)
    person = _by_id(User, user_id)
    if person is None or (scope is not None and person.team_id not in scope):
        abort(404)
    return person


def can_act_on_record(user: User, person: User) -> bool:
    """Allowing another attempt and reopening a course: managers and admins, on someone else's record only (the
    person who benefits never decides)."""
    return user.is_authenticated and user.role in (Role.MANAGER, Role.ADMIN) and user.id != person.id


def get_quiz_or_404(quiz_id: int) -> Quiz:
    quiz = _by_id(Quiz, quiz_id)
    if quiz is None or not can_view_course(current_user, quiz.module.course):
        abort(404)
    return quiz


def get_assignment_or_404(assignment_id: int) -> Assignment:
    assignment = _by_id(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    if not can_manage_assignment(current_user, assignment):
        refuse("assignment", assignment.id)
    return assignment


def get_course_or_404(slug: str, *, with_content: bool = False) -> Course:
    course = catalog.course_by_slug(slug, with_content=with_content)
    if course is None or not can_view_course(current_user, course):
        abort(404)
    return course


def get_course_view_or_404(slug: str, language: str) -> structure.CourseView:
    """The course as its learners see it in `language` (cached per version), if the user may see it."""
    course = catalog.course_head_by_slug(slug)  # its own fields only: the content comes from the cache
    if course is None or not can_view_course(current_user, course):
        abort(404)
    return structure.view(course, language)


def get_module_or_404(course: Course, module_slug: str) -> Module:
    module = next((m for m in course.modules if m.slug == module_slug), None)
    if module is None:
        abort(404)
    return module


def get_lesson_or_404(module: Module, lesson_slug: str) -> Lesson:
    lesson = next((lesson for lesson in module.lessons if lesson.slug == lesson_slug), None)
    if lesson is None:
        abort(404)
    return lesson


def get_attempt_or_404(attempt_id: int, *, for_taking: bool = False) -> Attempt:
    attempt = _by_id(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    allowed = can_take_quiz(current_user, attempt) if for_taking else can_view_attempt(current_user, attempt)
    if not allowed:
        refuse("attempt", attempt.id)
    return attempt


def get_managed_course_or_404(slug: str) -> Course:
    """A course (published or hidden) for the content editor: admins only."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_manage_content(current_user):
        abort(404)
    return course


def get_course_version_or_404(course: Course, version: int) -> CourseVersion:
    """A published version of a course the user may manage (see get_managed_course_or_404)."""
    found = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.version == version)
    )
    if found is None or not can_manage_content(current_user):
        abort(404)
    return found


def get_name_request_or_404(request_id: int) -> NameChangeRequest:
    """Name change requests are decided by admins."""
    request = _by_id(NameChangeRequest, request_id)
    if request is None:
        abort(404)
    if not is_admin(current_user):
        refuse("name_request", request.id)
    return request


def get_ai_system_or_404(system_id: int) -> AISystem:
    from .services.programme import inventory

    system = inventory.system_by_id(system_id) if is_admin(current_user) else None
    if system is None:
        abort(404)
    return system


def get_requirement_or_404(requirement_id: int) -> TrainingRequirement:
    requirement = _by_id(TrainingRequirement, requirement_id) if is_admin(current_user) else None
    if requirement is None:
        abort(404)
    return requirement


def get_policy_or_404(slug: str) -> Policy:
    """Any signed-in person may read a published policy (every policy has at least one version)."""
    policy = db.session.scalar(select(Policy).where(Policy.slug == slug))
    if policy is None or not current_user.is_authenticated:
        abort(404)
    return policy


def get_policy_version_or_404(policy: Policy, number: int) -> PolicyVersion:
    version = db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.policy_id == policy.id, PolicyVersion.number == number)
    )
    if version is None:
        abort(404)
    return version


def get_own_api_token_or_404(token_id: int) -> ApiToken:
    token = _by_id(ApiToken, token_id)
    if token is None:
        abort(404)
    if token.user_id != current_user.id:
        refuse("api_token", token.id)
    return token


def get_own_session_or_404(session_id: int) -> UserSession:
    found = _by_id(UserSession, session_id)
    if found is None:
        abort(404)
    if found.user_id != current_user.id:
        refuse("session", found.id)
    return found


def can_use_job_result(user: User, job: Job) -> bool:
    """A job's page and file belong to who asked for it, and only while they may still reach what it covers: the
    same role, and (for a manager) the teams it was made for are still theirs."""
    if not user.is_authenticated or job.requested_by_id != user.id:
        return False
    params = job.params or {}
    if user.role not in params.get("roles", (user.role,)):
        return False
    scope = params.get("scope", None)
    if scope is None:
        return params.get("roles") is None or user.role == Role.ADMIN
    visible = visible_team_ids(user)
    return visible is None or set(scope) <= visible


def get_job_or_404(job_id: int) -> Job:
    job = _by_id(Job, job_id)
    if job is None or not can_use_job_result(current_user, job):
        abort(404)
    return job


def get_any_job_or_404(job_id: int) -> Job:
    """Any job, for the admins' jobs page."""
    job = _by_id(Job, job_id)
    if job is None or not is_admin(current_user):
        abort(404)
    return job


def get_mail_message_or_404(message_id: int) -> MailMessage:
    """Messages are read by admins (the outbox)."""
    message = _by_id(MailMessage, message_id)
    if message is None or not is_admin(current_user):
        abort(404)
    return message


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        can_view_attempt=can_view_attempt,
        can_manage_certificates=can_manage_certificates,
        can_download_withdrawn_files=can_download_withdrawn_files,
        can_manage_people=can_manage_people,
        can_manage_content=can_manage_content,
        can_manage_teams=can_manage_teams,
        can_manage_programme=can_manage_programme,
        can_view_audit=can_view_audit,
        can_assign_to_job_role=can_assign_to_job_role,
        can_see_team_progress=can_see_team_progress,
        can_act_on_record=can_act_on_record,
        **{name: getattr(enums, name) for name in enums.__all__},
    )
