"""Walk every URL rule of the app as anonymous, learner, manager and admin, with CSRF switched on.

Objects belong to another learner (the "owner"), so each role also tries to reach what is not theirs.
Every endpoint must be listed in POLICY: a new route without a policy fails this test.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tests.web import route_policies
from tracker.extensions import db
from tracker.models import Assignment, AuditEvent, Certificate, Role, TrainingRequirement
from tracker.services import accounts, invitations, jobs, sessions
from tracker.services.learning import attempts, lessons
from tracker.services.organisation import assignments, names
from tracker.services.programme import inventory, policies, requirements

ROLES = ("anonymous", "learner", "manager", "admin")

# policy name -> who may reach it
#   public:     everybody
#   signed_in:  any signed-in user; anonymous is sent to sign in (pages) or gets 401 (API)
#   owner:      only the owner of the object; everyone else gets 404
#   owner_or_admin: the owner and admins (support review); others 404
#   manager_or_admin: managers (of some team) and admins; learners 403
#   admin:      admins only
#   scim_token: the SCIM bearer token only: 401 for everyone who signs in with a cookie
# The walking manager manages a team other than the owner's, so the owner's objects stay out of reach.
CORE_POLICY = {
    "auth.login": "public",
    "auth.logout": "signed_in",
    "health.healthz": "public",
    "api.docs.openapi": "public",
    "learner.dashboard": "signed_in",
    "courses.catalogue": "signed_in",
    "courses.course": "signed_in",
    "courses.lesson": "signed_in",
    "courses.mark_read": "signed_in",
    "courses.quiz": "signed_in",
    "courses.start_quiz": "signed_in",
    "attempts.show": "owner_or_admin",
    "attempts.submit": "owner",
    "attempts.save_answers": "owner",
    "account.show": "signed_in",
    "account.update_profile": "signed_in",
    "account.change_password": "signed_in",
    "account.create_token": "signed_in",
    "account.revoke_token": "owner",
    "account.request_certificate_name": "signed_in",
    "api.learning.me": "signed_in",
    "api.learning.courses": "signed_in",
    "api.learning.course": "signed_in",
    "api.learning.my_progress": "signed_in",
    "api.learning.start_attempt": "signed_in",
    "api.learning.attempt": "owner_or_admin",
    "api.learning.submit_attempt": "owner",
    "courses.renew": "signed_in",
    "certificates.mine": "signed_in",
    "certificates.pdf": "owner_or_admin",
    "certificates.credential": "owner_or_admin",
    "certificates.request_reissue": "owner",
    "certificates.team": "manager_or_admin",
    "certificates.team_zip": "manager_or_admin",
    "verify.index": "public",
    "verify.check_file": "public",
    "verify.show": "public",
    "well_known.did_document": "public",
    "well_known.jwks": "public",
    "admin.index": "admin",
    "admin.certificates.index": "admin",
    "admin.certificates.show": "admin",
    "admin.certificates.revoke": "admin",
    "admin.certificates.reissue": "admin",
    "api.certificates.verify": "public",
    "api.certificates.mine": "signed_in",
    "language.choose": "public",
}
POLICY = {**CORE_POLICY, **route_policies.merged()}


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path, WTF_CSRF_ENABLED=True)


@pytest.fixture
def world(app, make_user):
    course = factories.make_course()
    owners_team = factories.make_team("Owner's team")
    owner = make_user(Role.LEARNER, email="owner@example.org", team=owners_team)
    for module in course.modules:
        for lesson in module.lessons:
            lessons.read_lesson(owner, lesson)
        attempt = attempts.start_attempt(owner, module.quiz)
        attempts.submit_attempt(owner, attempt, factories.answers_for(attempt))
    module = course.modules[0]
    token, _ = accounts.create_api_token(owner, "owner's integration")
    owners_session, _ = sessions.start(owner, "192.0.2.1", "owner's browser", sessions.Timeouts.from_config(app.config))
    assignment, _ = assignments.assign(None, course=course, team=owners_team, due_on=date(2030, 1, 31))
    name_request = names.request_change(owner, "Owner Renamed")
    system = inventory.create_system(None, inventory.SystemInput("Walked AI system", team_ids=[owners_team.id]))
    policy = policies.create_policy(None, "walked-policy", "Walked policy", policies.VersionInput("Be careful."))

    def make_requirement():
        return requirements.create_requirement(
            None, requirements.RequirementInput(f"course:{course.id}", system_id=system.id)
        )

    requirement = make_requirement()
    owners_job = jobs.submit("export.matrix_csv", {}, requested_by=owner)
    message = invitations.invite(owner, None)
    db.session.commit()
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == owner.id))
    users = {role: make_user(role, email=f"{role}@example.org") for role in ("learner", "manager", "admin")}
    factories.make_team("Another team", manager=users["manager"])
    args = {
        "slug": course.slug,
        "module_slug": module.slug,
        "lesson_slug": module.lessons[0].slug,
        "question_key": module.quiz.questions[0].key,
        "version": course.version,
        "attempt_id": attempt.id,
        "quiz_id": module.quiz.id,
        "token_id": token.id,
        "session_id": owners_session.id,
        "code": cert.code,
        "user_id": owner.id,
        "team_id": owners_team.id,
        "assignment_id": assignment.id,
        "event_id": db.session.scalar(select(AuditEvent.id).limit(1)),
        "request_id": name_request.id,
        "filename": "css/app.css",
        "system_id": system.id,
        "requirement_id": requirement.id,
        "policy_slug": policy.slug,
        "number": 1,
        "job_id": owners_job.id,
        "message_id": message.id,
        "token": "not-a-valid-link",
        "path": "Users",
    }

    def current_args():
        # Walking admins may delete the assignment; put it back so later routes still have one to act on.
        if db.session.get(Assignment, args["assignment_id"]) is None:
            again, _ = assignments.assign(None, course=course, team=owners_team, due_on=date(2030, 1, 31))
            db.session.commit()
            args["assignment_id"] = again.id
        if db.session.get(TrainingRequirement, args["requirement_id"]) is None:
            args["requirement_id"] = make_requirement().id
            db.session.commit()
        return args

    return {"users": users, "args": args, "current_args": current_args}


CSRF_RE = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _csrf(client, path: str) -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.data)
    assert match, f"no csrf token on {path}"
    return (match.group(1) or match.group(2)).decode()


def _client_for(app, role, world):
    client = app.test_client()
    if role == "anonymous":
        return client, _csrf(client, "/login")
    user = world["users"][role]
    token = _csrf(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.data.decode()[-1500:]
    return client, _csrf(client, "/account/")


def _expected_ok(policy: str, role: str) -> bool:
    if policy == "public":
        return True
    if role == "anonymous":
        return False
    if policy == "signed_in":
        return True
    if policy in ("owner_or_admin", "admin"):
        return role == "admin"
    if policy == "manager_or_admin":
        return role in ("manager", "admin")
    return False  # owner: none of the walking users owns the objects


def _check(response, policy: str, role: str, url: str, method: str) -> None:
    status = response.status_code
    assert status < 500, f"{role} {method} {url}: server error {status}"
    if policy == "scim_token":
        assert status == 401, f"{role} {method} {url}: expected 401, got {status}"
        return
    if _expected_ok(policy, role):
        assert status not in (401, 403, 404), f"{role} {method} {url}: refused with {status}"
        return
    if role == "anonymous":
        if url.startswith("/api/"):
            assert status == 401, f"anonymous {method} {url}: expected 401, got {status}"
        else:
            assert status == 302 and "/login" in response.headers["Location"], f"anonymous {method} {url}: {status}"
        return
    assert status in (403, 404), f"{role} {method} {url}: expected 403/404, got {status}"


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_policy(app):
    endpoints = {rule.endpoint for rule, _ in _rules(app)}
    assert endpoints - POLICY.keys() == set(), "add the new routes to POLICY"
    assert POLICY.keys() - endpoints == set(), "POLICY names routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_walk_every_route(app, world, role):
    client, token = _client_for(app, role, world)
    walked = 0
    for rule, method in _rules(app):
        args = world["current_args"]()
        url = rule.build({k: v for k, v in args.items() if k in rule.arguments}, append_unknown=False)[1]
        policy = POLICY[rule.endpoint]
        if method == "GET":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.open(url, method=method, json={"answers": {}}, headers={"X-CSRFToken": token})
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        _check(response, policy, role, url, method)
        walked += 1
        if rule.endpoint == "auth.logout" and role != "anonymous":
            client, token = _client_for(app, role, world)  # signing out ended the session; sign in again
    assert walked >= len(POLICY)


@pytest.mark.parametrize("role", ("learner", "admin"))
def test_state_changes_without_csrf_token_are_refused(app, world, role):
    client, _ = _client_for(app, role, world)
    args = world["args"]
    for url in (
        f"/courses/{args['slug']}/modules/{args['module_slug']}/lessons/{args['lesson_slug']}/read",
        f"/courses/{args['slug']}/modules/{args['module_slug']}/quiz/start",
        "/account/profile",
        "/account/tokens",
        "/logout",
    ):
        response = client.post(url, data={})
        assert response.status_code == 400, url
        assert b"Bad request" in response.data
    assert client.get("/account/").status_code == 200  # the refused sign-out changed nothing
    api = client.post(f"/api/v1/courses/{args['slug']}/modules/{args['module_slug']}/attempts")
    assert api.status_code == 400


def test_confirmation_pages_post_the_real_form_with_its_csrf_token(app, world):
    client, _ = _client_for(app, "admin", world)
    args = world["current_args"]()
    for url in (
        f"/admin/people/{args['user_id']}/deactivate",
        f"/admin/certificates/{args['code']}/revoke",
        f"/admin/certificates/{args['code']}/reissue",
        f"/manager/assignments/{args['assignment_id']}/delete",
        f"/transcripts/{args['user_id']}/quizzes/{args['quiz_id']}/allow-attempt",
        f"/transcripts/{args['user_id']}/courses/{args['slug']}/reopen",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        pattern = rb'<form method="post" action="' + re.escape(url.encode()) + rb'"[^>]*>(.*?)</form>'
        form = re.search(pattern, page.data, re.S)
        assert form, url
        assert b'name="csrf_token"' in form.group(1) and b'name="confirmed" value="yes"' in form.group(1), url
