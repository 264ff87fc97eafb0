"""axe-core on every page, for every role: no serious or critical finding (the demo organisation, every state).

axe-core (tests/axe, installed with npm by `make test`) is injected into each page; the browser context bypasses
the pages' Content-Security-Policy for that, in these tests only. The pages: every GET route without parameters
that answers HTML, and the pages of one object of each kind (a course, a lesson, a quiz, an open attempt and a
result, a transcript, a certificate, the admin's edit and confirmation pages).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AISystem, Assignment, Attempt, Certificate, Course, Policy, Team, User
from tracker.services.learning import attempts

from .conftest import AXE_SCRIPT, CHROMIUM, DESKTOP, PHONE, _unavailable

pytestmark = pytest.mark.browser

SKIPPED_PREFIXES = ("/api/v1/", "/scim/", "/.well-known/", "/credentials/", "/healthz", "/login/sso")
DOWNLOADS = (".csv", ".pdf", ".zip", ".xlsx", ".json", ".yaml")
ROLE_AWAY = {"/login", "/password/forgot", "/account/choose-password", "/login/two-factor", "/login/two-factor/setup"}
IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class DemoObjects:
    learner_id: int
    course_slug: str
    module_slug: str
    lesson_slug: str
    result_id: int
    open_attempt_id: int
    certificate_code: str
    team_id: int
    assignment_id: int
    policy_slug: str | None
    system_id: int | None


@pytest.fixture(scope="module")
def objects(live_server, demo) -> DemoObjects:
    with live_server.app_context():
        learner = db.session.scalar(select(User).where(User.email == demo["learner"]))
        cert = db.session.scalars(
            select(Certificate).where(Certificate.user_id == learner.id, Certificate.revoked_at.is_(None))
        ).first()
        course = db.session.get(Course, cert.course_id)
        module = course.modules[0]
        result = db.session.scalars(
            select(Attempt).where(Attempt.user_id == learner.id, Attempt.submitted_at.is_not(None))
        ).first()
        # An open attempt on a course the learner has not finished: the quiz form.
        other = db.session.scalars(select(Course).where(Course.id != course.id).order_by(Course.id)).first()
        open_attempt = attempts.start_attempt(learner, other.modules[0].quiz)
        db.session.commit()
        manager = db.session.scalar(select(User).where(User.email == demo["manager"]))
        team = db.session.scalars(select(Team).where(Team.managers.contains(manager))).first()
        assignment = db.session.scalars(select(Assignment).where(Assignment.team_id.is_not(None))).first()
        policy = db.session.scalars(select(Policy)).first()
        system = db.session.scalars(select(AISystem)).first()
        return DemoObjects(
            learner_id=learner.id,
            course_slug=course.slug,
            module_slug=module.slug,
            lesson_slug=module.lessons[0].slug,
            result_id=result.id,
            open_attempt_id=open_attempt.id,
            certificate_code=cert.code,
            team_id=team.id,
            assignment_id=assignment.id,
            policy_slug=policy.slug if policy else None,
            system_id=system.id if system else None,
        )


def _plain_pages(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith(SKIPPED_PREFIXES) or rule.rule.endswith(DOWNLOADS) or rule.rule in ROLE_AWAY:
            continue
        urls.append(rule.rule)
    return sorted(urls) + ["/api/v1/docs"]


def _object_pages(o: DemoObjects, role: str) -> list[str]:
    course = f"/courses/{o.course_slug}"
    pages = [
        course,
        f"{course}/complete",
        f"{course}/modules/{o.module_slug}/lessons/{o.lesson_slug}",
        f"{course}/modules/{o.module_slug}/quiz",
        f"/verify/{o.certificate_code}",
    ]
    if role == "learner":
        pages += [f"/attempts/{o.result_id}", f"/attempts/{o.open_attempt_id}"]
    if role in ("manager", "admin"):
        pages += [
            f"/transcripts/{o.learner_id}",
            f"/manager/assignments/{o.assignment_id}/delete",
            f"/transcripts/{o.learner_id}/courses/{o.course_slug}/reopen",
        ]
    if role == "admin":
        pages += [
            f"/attempts/{o.result_id}",
            f"/admin/people/{o.learner_id}",
            f"/admin/people/{o.learner_id}/deactivate",
            f"/admin/teams/{o.team_id}",
            f"/admin/certificates/{o.certificate_code}",
            f"/admin/certificates/{o.certificate_code}/revoke",
            f"/admin/certificates/{o.certificate_code}/reissue",
            f"/admin/content/{o.course_slug}/versions",
            f"/admin/content/{o.course_slug}/edit",
            f"/admin/analysis/{o.course_slug}",
        ]
        if o.policy_slug:
            pages += [f"/admin/policies/{o.policy_slug}", f"/policies/{o.policy_slug}"]
        if o.system_id:
            pages.append(f"/admin/ai-systems/{o.system_id}")
    return pages


def _axe(page) -> list[str]:
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']}" for v in found if v["impact"] in IMPACTS]


def _check(page, urls) -> tuple[dict[str, list[str]], int]:
    problems: dict[str, list[str]] = {}
    checked = 0
    for url in urls:
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if response.status >= 400 and response.status != 404:
            continue  # refused to this role (403): the error page is checked once, under its own role
        checked += 1
        found = _axe(page)
        if found:
            problems[f"{url} ({response.status})"] = found
    return problems, checked


@pytest.fixture(scope="module", autouse=True)
def _axe_installed():
    if not AXE_SCRIPT.is_file() and CHROMIUM.is_file():
        _unavailable(f"axe-core is not installed at {AXE_SCRIPT} (make tests/axe/node_modules/.installed)")


# The pages each role checks: every page it reaches, except that the pages a learner has too (catalogue, courses,
# certificates, account...) are checked as the learner, and as the other roles on their home page only; they
# differ from the learner's by the navigation, which every page of every role has.
MANAGER_PAGES = ("/manager/", "/reports/", "/programme/", "/certificates/team", "/transcripts/")
ADMIN_PAGES = ("/admin/", "/attempts/")


def _for_role(urls: list[str], role: str) -> list[str]:
    if role == "learner":
        return [u for u in urls if not u.startswith(MANAGER_PAGES + ADMIN_PAGES)] + ["/no-such-page"]
    own = ADMIN_PAGES if role == "admin" else MANAGER_PAGES
    return ["/"] + [u for u in urls if u.startswith(own)]


@pytest.mark.parametrize("role", ["learner", "manager", "admin"])
def test_every_page_of_every_role_has_no_serious_or_critical_finding(open_as, live_server, objects, role):
    page = open_as(role, DESKTOP, axe=True)
    urls = _for_role(_plain_pages(live_server.app) + _object_pages(objects, role), role)
    problems, checked = _check(page, urls)
    assert checked >= 8
    assert not problems, "\n".join(f"{url}:\n  " + "\n  ".join(found) for url, found in problems.items())


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("manager", "/manager/"),
        ("manager", "/reports/evidence"),
        ("manager", "/certificates/team"),
        ("learner", "/certificates/"),
        ("learner", "/"),
    ],
)
def test_phone_pages_have_no_serious_or_critical_finding(open_as, role, url):
    page = open_as(role, PHONE, axe=True)
    problems, checked = _check(page, [url])
    assert checked == 1
    assert not problems, problems


def test_signed_out_pages_have_no_serious_or_critical_finding(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
    context.add_init_script(path=str(AXE_SCRIPT))
    try:
        page = context.new_page()
        problems, checked = _check(page, ["/login", "/password/forgot", "/verify/"])
        assert checked == 3
        assert not problems, problems
    finally:
        context.close()
