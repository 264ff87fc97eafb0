"""Every manager and administrator list costs the same number of SQL statements whatever the number of rows:
each page is measured (after a warm-up request) with one item of each kind, then again with six."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests import factories
from tracker.enums import NotificationKind
from tracker.extensions import db
from tracker.mail.content import Content
from tracker.models import Role
from tracker.services import jobs, mail
from tracker.services.certification import lifecycle
from tracker.services.organisation import assignments, names, teams
from tracker.services.programme import inventory, policies, requirements

MORE = 5  # added to the first item of each kind before the second measurement


def _queries(client, count_queries, url: str) -> int:
    client.get(url)  # warm up: first-request work is not what we measure
    with count_queries() as counter:
        response = client.get(url)
        response.get_data()  # a streamed download reads as it is sent
    assert response.status_code == 200, url
    return counter.count


def _counts(client, count_queries, urls) -> dict[str, int]:
    return {url: _queries(client, count_queries, url) for url in urls}


CERTIFICATE_LISTS = {
    "/admin/certificates": Role.ADMIN,  # needs attention: reissue and name-change requests
    "/admin/certificates?show=all": Role.ADMIN,
    "/admin/certificates?show=revoked": Role.ADMIN,
    "/certificates/team": Role.MANAGER,
}


def test_certificate_lists_cost_the_same_at_two_sizes(client, login_as, make_user, course, count_queries):
    viewers = {Role.MANAGER: make_user(Role.MANAGER), Role.ADMIN: make_user(Role.ADMIN)}
    team = factories.make_team("Certified", manager=viewers[Role.MANAGER])

    def grow(count: int) -> None:
        for _ in range(count):
            kept, revoked = (factories.complete_course(make_user(team=team), course) for _ in range(2))
            lifecycle.request_reissue(kept, kept.user, "My name is misspelt.")
            names.request_change(kept.user, f"Renamed {kept.user.id}", "Married")
            lifecycle.revoke(revoked, viewers[Role.ADMIN], "Issued in error")
        db.session.commit()

    def counts() -> dict[str, int]:
        measured = {}
        for url, role in CERTIFICATE_LISTS.items():
            login_as(viewers[role])
            measured[url] = _queries(client, count_queries, url)
        return measured

    grow(1)
    small = counts()
    grow(MORE)
    assert counts() == small


# --- the programme: inventory, requirements, policies and the overviews ---------------------------------------------


class Programme:
    """Systems (each used by its own team, owned by its own person), requirements on them, policies with
    acknowledgements, and the people behind them, added `count` at a time."""

    def __init__(self, admin) -> None:
        self.admin = admin
        self.added = 0

    def grow(self, count: int) -> None:
        for _ in range(count):
            n = self.added = self.added + 1
            team = factories.make_team(f"Programme team {n}", manager=factories.make_user(Role.MANAGER))
            owner = factories.make_user(team=team, job_role=f"Role {n}")
            learner = factories.make_user(team=team, job_role=f"Role {n}")
            course = factories.make_course()
            system = inventory.create_system(
                self.admin,
                inventory.SystemInput(
                    f"System {n}",
                    owner_email=owner.email,
                    team_ids=[team.id],
                    job_roles=[f"Role {n}"],
                    links=[{"label": "Manual", "url": f"https://example.org/{n}"}],
                ),
            )
            requirements.create_requirement(
                self.admin, requirements.RequirementInput(f"course:{course.id}", system_id=system.id)
            )
            requirements.create_requirement(
                self.admin, requirements.RequirementInput(f"course:{course.id}", job_role=f"Role {n}")
            )
            policy = policies.create_policy(self.admin, f"policy-{n}", f"Policy {n}", policies.VersionInput("Rules."))
            requirements.create_requirement(
                self.admin, requirements.RequirementInput(f"policy:{policy.id}", job_role=f"Role {n}")
            )
            db.session.commit()
            factories.complete_course(learner, course)
            for person in (owner, learner, self.admin):
                policies.acknowledge(person, policies.current_version(policy))
            policies.acknowledge(owner, policies.current_version(policies.policy_by_slug("policy-1")))
            db.session.commit()


ADMIN_PROGRAMME_LISTS = (
    "/admin/",
    "/admin/programme/",
    "/admin/ai-systems/",
    "/admin/requirements/",
    "/admin/policies/",
    "/admin/policies/policy-1",
    "/admin/privacy/",
    "/admin/teams/",
    "/api/v1/policies",
)


def test_programme_lists_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    admin = make_user(Role.ADMIN)
    programme = Programme(admin)
    programme.grow(1)
    login_as(admin)
    small = _counts(client, count_queries, ADMIN_PROGRAMME_LISTS)
    programme.grow(MORE)
    assert _counts(client, count_queries, ADMIN_PROGRAMME_LISTS) == small
    assert "System 6" in client.get("/admin/ai-systems/").text and "Policy 6" in client.get("/admin/policies/").text


# --- background jobs and the outbox ----------------------------------------------------------------------------------


def _grow_jobs_and_mail(count: int) -> None:
    for _ in range(count):
        person = factories.make_user(Role.MANAGER, team=factories.make_team())
        jobs.submit("export.matrix_csv", {"team": None}, requested_by=person)
        message = mail.prepare(
            NotificationKind.INVITATION,
            person,
            f"test:{person.id}",
            lambda: Content(subject="Welcome", greeting="Hello"),  # noqa: B023  (called at once, in the loop)
        )
        mail.record([message])
    db.session.commit()


def test_jobs_and_outbox_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    urls = ("/admin/jobs/", "/admin/jobs/outbox/")
    login_as(make_user(Role.ADMIN))
    _grow_jobs_and_mail(1)
    small = _counts(client, count_queries, urls)
    _grow_jobs_and_mail(MORE)
    assert _counts(client, count_queries, urls) == small
    assert client.get("/admin/jobs/outbox/").text.count("Welcome") == 1 + MORE


# --- a manager's lists: assignments, teams, the team matrix, the evidence pack ---------------------------------------


class Assignments:
    """Assignments of distinct courses to a team, a person and a job role under the manager, added `count` at a
    time, each team with its own people."""

    def __init__(self, manager, top, admin) -> None:
        self.manager, self.top, self.admin = manager, top, admin
        self.added = 0

    def grow(self, count: int) -> None:
        for _ in range(count):
            n = self.added = self.added + 1
            team = factories.make_team(f"Assigned team {n}", manager=self.manager, parent=self.top)
            person = factories.make_user(team=team, job_role=f"Job {n}")
            factories.make_user(team=team)
            due = date.today() + timedelta(days=30)
            assignments.assign(self.manager, course=factories.make_course(), team=team, due_on=due)
            assignments.assign(self.manager, course=factories.make_course(), user=person, due_on=due)
            # Across the organisation: only an administrator assigns to a job role.
            assignments.assign(self.admin, course=factories.make_course(), job_role=f"Job {n}", due_on=due)
            db.session.commit()


@pytest.mark.parametrize("viewer", [Role.MANAGER, Role.ADMIN])
def test_manager_lists_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries, viewer):
    manager = make_user(Role.MANAGER)
    top = factories.make_team("Top", manager=manager)
    urls = (
        "/manager/assignments",
        "/api/v1/assignments",
        "/api/v1/teams",
        f"/api/v1/teams/{top.id}/matrix",
        "/programme/evidence-pack",
    )
    admin = make_user(Role.ADMIN)
    made = Assignments(manager, top, admin)
    made.grow(1)
    login_as(manager if viewer == Role.MANAGER else admin)
    small = _counts(client, count_queries, urls)
    made.grow(MORE)
    assert _counts(client, count_queries, urls) == small
    assert len(client.get("/api/v1/assignments").json["assignments"]) >= 2 * (1 + MORE)


# --- one course's and one team's pages that list rows ----------------------------------------------------------------


def test_course_and_team_detail_lists_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    admin = make_user(Role.ADMIN)
    course = factories.make_course("listed")
    team = factories.make_team("Listed", manager=make_user(Role.MANAGER))

    def grow(count: int) -> None:
        for _ in range(count):
            teams.add_manager(admin, team, make_user(Role.MANAGER).id)
            factories.complete_course(make_user(team=team), course)
            factories.make_course("listed", pass_mark=80 - count - len(team.managers))  # a new version
        db.session.commit()

    urls = (
        f"/admin/teams/{team.id}",
        "/admin/content/listed/versions",
        "/admin/analysis/listed",
        "/api/v1/audit",
    )
    grow(1)
    login_as(admin)
    small = _counts(client, count_queries, urls)
    grow(MORE)
    assert _counts(client, count_queries, urls) == small


def test_system_history_costs_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    admin = make_user(Role.ADMIN)
    system = inventory.create_system(admin, inventory.SystemInput("Chat", owner_email=admin.email))
    db.session.commit()
    changes = 0

    def grow(count: int) -> None:
        nonlocal changes
        for _ in range(count):
            changes += 1
            team = factories.make_team(f"Chat users {changes}")
            data = inventory.as_input(system)
            changed = replace(
                data,
                purpose=f"Purpose {changes}",
                team_ids=[*data.team_ids, team.id],
                job_roles=[*data.job_roles, f"Role {changes}"],
            )
            inventory.update_system(make_user(Role.ADMIN), system, changed)
        db.session.commit()

    urls = (f"/admin/ai-systems/{system.id}", f"/api/v1/ai-systems/{system.id}")
    grow(1)
    login_as(admin)
    small = _counts(client, count_queries, urls)
    grow(MORE)
    assert _counts(client, count_queries, urls) == small


# --- a learner's own lists ----------------------------------------------------------------------------------------


def test_own_lists_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    learner = make_user(team=factories.make_team())
    added = 0

    def grow(count: int) -> None:
        nonlocal added
        for _ in range(count):
            added += 1
            factories.complete_course(learner, factories.make_course())
            policy = policies.create_policy(None, f"rules-{added}", f"Rules {added}", policies.VersionInput("Rules."))
            policies.acknowledge(learner, policies.current_version(policy))
        db.session.commit()

    urls = (
        "/certificates/",
        "/policies/",
        "/api/v1/certificates",
        "/api/v1/progress",
        "/api/v1/acknowledgements",
        "/api/v1/courses",
    )
    grow(1)
    login_as(learner)
    small = _counts(client, count_queries, urls)
    grow(MORE)
    assert _counts(client, count_queries, urls) == small


# --- downloads of lists ----------------------------------------------------------------------------------------------


def test_list_downloads_cost_the_same_at_two_sizes(client, login_as, make_user, count_queries):
    manager, admin = make_user(Role.MANAGER), make_user(Role.ADMIN)
    team = factories.make_team("Exported", manager=manager)
    course = factories.make_course("exported")
    person = make_user(team=team)

    def grow(count: int) -> None:
        for _ in range(count):
            factories.complete_course(make_user(team=team), course)
            factories.complete_course(person, factories.make_course())
            assignments.assign(manager, course=course, team=team, due_on=date.today() + timedelta(days=30 + count))
        db.session.commit()

    downloads = {
        "/manager/export.csv": manager,
        "/manager/export.xlsx": manager,
        "/certificates/team.zip": manager,
        f"/transcripts/{person.id}": manager,
        f"/transcripts/{person.id}.csv": manager,
        "/admin/audit/export.csv": admin,
        "/admin/analysis/exported.csv": admin,
    }

    def counts() -> dict[str, int]:
        measured = {}
        for url, viewer in downloads.items():
            login_as(viewer)
            measured[url] = _queries(client, count_queries, url)
        return measured

    grow(1)
    small = counts()
    grow(MORE)
    assert counts() == small


def _tbody(html: str) -> str:
    return html[html.index("<tbody>") : html.index("</tbody>")]


@pytest.mark.parametrize("viewer", [Role.MANAGER, Role.ADMIN])
def test_team_certificates_are_listed_a_page_at_a_time_at_the_same_cost(
    client, login_as, make_user, count_queries, viewer, monkeypatch
):
    from tracker.services.certification import listing

    monkeypatch.setattr(listing, "TEAM_PAGE_SIZE", 3)
    manager = make_user(Role.MANAGER)
    top = factories.make_team("Certified", manager=manager)
    course = factories.make_course("certified")
    holders: list = []

    def grow(count: int) -> None:
        for _ in range(count):
            holder = make_user(team=top, name=f"Holder {len(holders):02d}")
            factories.complete_course(holder, course)
            holders.append(holder)

    grow(2)
    login_as(manager if viewer == Role.MANAGER else make_user(Role.ADMIN))
    small = _counts(client, count_queries, ("/certificates/team",))
    grow(MORE + 3)
    assert _counts(client, count_queries, ("/certificates/team",)) == small
    total = len(holders)
    first = client.get("/certificates/team").get_data(as_text=True)
    assert f"Showing 1–3 of {total} certificates." in first
    assert "Holder 00" in first and "Holder 02" in first and "Holder 03" not in first  # by name, three a page
    last_number = -(-total // 3)
    last = client.get(f"/certificates/team?page={last_number}").get_data(as_text=True)
    assert f"Holder {total - 1:02d}" in last and "Holder 00" not in last
    past_the_end = client.get("/certificates/team?page=9999").get_data(as_text=True)
    assert _tbody(past_the_end) == _tbody(last)  # a page past the end shows the last one
    chosen = client.get(f"/certificates/team?team={top.id}&page=2").get_data(as_text=True)
    assert "Holder 03" in chosen and f'href="/certificates/team?page=3&amp;team={top.id}"' in chosen
