"""The programme's pages and API: inventory, requirements, policies and acknowledgements, privacy, coverage,
evidence packs and the course template."""

import csv
import io
import zipfile

import pytest
from sqlalchemy import insert, select

from tests import factories
from tests.conftest import attachment_name
from tracker.enums import Role
from tracker.extensions import db
from tracker.models import AISystem, Assignment, PolicyAcknowledgement, User
from tracker.services import accounts
from tracker.services.content import editor, loader
from tracker.services.programme import course_template, inventory, policies, privacy, requirements


@pytest.fixture
def org(app, make_user):
    admin = make_user(Role.ADMIN, name="Ada Admin", email="ada@example.org")
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team("Desk", manager=boss)
    other = factories.make_team("Elsewhere", manager=make_user(Role.MANAGER))
    course = factories.make_course("chat-basics")
    ann = make_user(name="Ann", email="ann@example.org", team=team, job_role="Analyst")
    zed = make_user(name="Zed", email="zed@example.org", team=other)
    db.session.commit()
    return {"admin": admin, "boss": boss, "team": team, "other": other, "course": course, "ann": ann, "zed": zed}


def test_admin_adds_a_system_sees_its_history_and_retires_it(client, login_as, org):
    login_as(org["admin"])
    response = client.post(
        "/admin/ai-systems/",
        data={
            "name": "Chat assistant",
            "vendor": "Vendor",
            "organisation_role": "deployer",
            "risk_class": "minimal",
            "status": "approved",
            "team_ids": [str(org["team"].id)],
            "data_classes": "Public\nInternal",
            "links": "https://example.org/doc Instructions",
            "owner_email": "ada@example.org",
            "job_roles": "",
        },
    )
    assert response.status_code == 302, response.data.decode()[-2000:]
    system = db.session.scalar(select(AISystem).where(AISystem.name == "Chat assistant"))
    assert system.data_classes == ["Public", "Internal"] and system.links[0]["label"] == "Instructions"
    duplicate = client.post(
        "/admin/ai-systems/",
        data={"name": "chat assistant", "organisation_role": "deployer", "risk_class": "minimal", "status": "pilot"},
    )
    assert duplicate.status_code == 400 and b"already in the inventory" in duplicate.data
    page = client.get(f"/admin/ai-systems/{system.id}")
    assert page.status_code == 200 and b"created" in page.data and b"Annex III" in page.data
    assert client.post(f"/admin/ai-systems/{system.id}/retire").status_code == 302
    db.session.refresh(system)
    assert system.status == "retired"
    assert [c.action for c in inventory.history(system)] == ["retired", "created"]


def test_requirement_page_assigns_and_removes(client, login_as, org):
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[org["team"].id]))
    db.session.commit()
    login_as(org["admin"])
    response = client.post(
        "/admin/requirements/",
        data={"system_id": str(system.id), "job_role": "", "item": f"course:{org['course'].id}", "due_days": "20"},
    )
    assert response.status_code == 302
    auto = db.session.scalar(select(Assignment).where(Assignment.user_id == org["ann"].id))
    assert auto is not None and auto.requirement_id is not None
    page = client.get("/admin/requirements/")
    assert b"chat-basics" in page.data or b"Course chat-basics" in page.data
    bad = client.post(
        "/admin/requirements/", data={"system_id": "", "job_role": "", "item": "course:1", "due_days": "20"}
    )
    assert bad.status_code == 400
    # the manager cannot remove an automatic assignment by hand
    login_as(org["boss"])
    assert client.post(f"/manager/assignments/{auto.id}/delete").status_code == 404
    login_as(org["admin"])
    auto_id = auto.id
    assert client.post(f"/admin/requirements/{auto.requirement_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Assignment.id).where(Assignment.id == auto_id)) is None


def test_a_learner_acknowledges_and_is_asked_again_after_a_new_version(client, login_as, org):
    login_as(org["admin"])
    response = client.post(
        "/admin/policies/", data={"title": "Acceptable use", "slug": "acceptable-use", "body": "Use approved tools."}
    )
    assert response.status_code == 302
    login_as(org["ann"])
    assert b"Please read and acknowledge" in client.get("/policies/").data
    assert client.post("/policies/acceptable-use/versions/1/acknowledge").status_code == 302
    assert b"You acknowledged this version" in client.get("/policies/").data
    login_as(org["admin"])
    response = client.post(
        "/admin/policies/acceptable-use/versions",
        data={
            "body": "Use approved tools. Never paste personal data.",
            "change_note": "Data rule",
            "check_question": "May you paste personal data?",
            "check_choices": "Yes\nNo",
            "check_answer": "2",
        },
    )
    assert response.status_code == 302
    login_as(org["ann"])
    listing = client.get("/policies/").data
    assert b"You acknowledged version 1; the policy has changed since." in listing
    wrong = client.post("/policies/acceptable-use/versions/2/acknowledge", data={"answer": "0"})
    assert wrong.status_code == 400 and b"not right" in wrong.data
    assert client.post("/policies/acceptable-use/versions/2/acknowledge", data={"answer": "1"}).status_code == 302
    again = client.post("/policies/acceptable-use/versions/2/acknowledge", data={"answer": "1"})
    assert again.status_code == 302
    records = db.session.scalars(select(PolicyAcknowledgement).where(PolicyAcknowledgement.user_id == org["ann"].id))
    assert sorted((r.version.number, r.check_passed) for r in records) == [(1, None), (2, True)]
    old = client.post("/policies/acceptable-use/versions/1/acknowledge")
    assert old.status_code == 302  # already acknowledged: the same record, nothing new


def test_the_privacy_page_states_the_settings_to_every_learner(client, login_as, org):
    privacy.save(org["admin"], privacy.Settings(privacy.ManagerVisibility.STATUS_ONLY, 5, True, 12))
    db.session.commit()
    login_as(org["ann"])
    page = client.get("/policies/privacy").data.decode()
    assert "but not your quiz scores" in page
    assert "fewer than 5 people" in page
    assert "by a pseudonym" in page
    assert "12 months after you submitted it" in page
    login_as(org["admin"])
    response = client.post(
        "/admin/privacy/",
        data={"manager_visibility": "status_and_score", "aggregate_min_people": "0", "attempt_retention_months": ""},
    )
    assert response.status_code == 302
    assert privacy.settings().attempt_retention_months is None and not privacy.settings().pseudonymise_exports


def _bulk(team, count, prefix):
    password = accounts.hash_password("x" * 12)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"{prefix}{i}@example.org",
                "display_name": f"{prefix} {i}",
                "password_hash": password,
                "role": "learner",
                "team_id": team.id,
                "job_role": "Analyst",
                "session_token": f"{prefix}{i}",
                "active": True,
            }
            for i in range(count)
        ],
    )
    db.session.commit()


def test_coverage_page_queries_do_not_grow_with_people(client, login_as, org, count_queries):
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[org["team"].id]))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{org['course'].id}", system.id))
    db.session.commit()
    login_as(org["boss"])

    def queries():
        client.get("/programme/coverage")
        with count_queries() as counter:
            response = client.get("/programme/coverage")
        assert response.status_code == 200
        return counter.count

    _bulk(org["team"], 5, "few")
    small = queries()
    _bulk(org["team"], 400, "many")
    assert queries() == small
    page = client.get("/programme/coverage?status=missing").data
    assert b"Training or acknowledgement missing" in page and b"few 0" in page
    assert b"Zed" not in page  # another manager's team
    assert client.get(f"/programme/coverage?team={org['other'].id}").status_code == 404


@pytest.mark.parametrize("viewer", ["admin", "boss"])
def test_coverage_page_costs_the_same_under_every_filter_at_two_sizes(client, login_as, org, count_queries, viewer):
    """Its counts are sums of the counts kept per team: the same statements for 5 people or 405, whatever the
    filter, for an administrator (the organisation) and a manager (their teams)."""
    team = org["team"]
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[team.id]))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{org['course'].id}", system.id))
    requirements.create_requirement(
        None, requirements.RequirementInput(f"course:{org['course'].id}", job_role="Analyst")
    )
    db.session.commit()
    factories.complete_course(org["ann"], org["course"])
    login_as(org[viewer])
    queries = (
        "",
        "?status=missing",
        "?status=expiring",
        "?status=covered",
        f"?system={system.id}",
        f"?system={system.id}&status=missing",
        f"?team={team.id}",
        f"?team={team.id}&status=missing",
    )

    def counts() -> dict[str, int]:
        found = {}
        for query in queries:
            url = f"/programme/coverage{query}"
            client.get(url)
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            found[query] = counter.count
        return found

    _bulk(team, 5, "few")
    small = counts()
    _bulk(team, 400, "many")
    assert counts() == small
    assert "405" in client.get(f"/programme/coverage?system={system.id}&status=missing").text


def test_programme_api_lists_queries_do_not_grow(client, login_as, org, count_queries):
    """The coverage (paged) and the inventory, requirements and acknowledgements lists, at two sizes."""
    login_as(org["admin"])
    policy = policies.create_policy(None, "aup", "Acceptable use", policies.VersionInput("Rules."))

    def grow(prefix: str, count: int) -> None:
        _bulk(org["team"], count, prefix)
        for i in range(count // 10):
            system = inventory.create_system(
                None,
                inventory.SystemInput(f"{prefix} system {i}", owner_email="ada@example.org", team_ids=[org["team"].id]),
            )
            requirements.create_requirement(
                None, requirements.RequirementInput(f"course:{org['course'].id}", system.id)
            )
        db.session.commit()
        for person in db.session.scalars(select(User).where(User.email.like(f"{prefix}%"))):
            policies.acknowledge(person, policies.current_version(policy))
        db.session.commit()

    urls = (
        "/api/v1/coverage?per_page=20",
        "/api/v1/ai-systems",
        "/api/v1/requirements",
        "/api/v1/policies/aup/acknowledgements",
    )

    def queries() -> list[int]:
        counts = []
        for url in urls:
            client.get(url)
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    grow("few", 10)
    small = queries()
    grow("many", 200)
    assert queries() == small, small


def test_coverage_export_and_small_team_privacy(client, login_as, org):
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[org["team"].id]))
    requirements.create_requirement(None, requirements.RequirementInput(f"course:{org['course'].id}", system.id))
    db.session.commit()
    login_as(org["boss"])
    response = client.get("/programme/coverage.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["person", "email", "team", "job_role", "ai_system", "status"]
    assert rows[1][0] == "Ann" and rows[1][5] == "missing"
    privacy.save(None, privacy.Settings(aggregate_min_people=3, pseudonymise_exports=True))
    db.session.commit()
    page = client.get("/programme/coverage").data
    assert b"shows totals only" in page and b"Ann" not in page
    assert client.get("/manager/").data.count(b"shows totals only") == 1
    api = client.get("/api/v1/coverage").get_json()
    assert api["aggregate_only"] is True and api["people"] == [] and api["ai_systems"][0]["users"] == 1


def test_evidence_pack_downloads_for_admins_and_a_managers_team(client, login_as, org):
    login_as(org["admin"])
    assert b"Download the evidence pack" in client.get("/programme/evidence-pack").data
    response = client.get("/programme/evidence-pack.zip")
    assert response.status_code == 200 and attachment_name(response).startswith("ai-literacy-evidence-pack-")
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    login_as(org["boss"])
    response = client.get(f"/programme/evidence-pack.zip?team={org['team'].id}")
    names = response.data and zipfile.ZipFile(io.BytesIO(response.data)).read("completions.csv")
    assert b"Zed" not in names
    assert client.get(f"/programme/evidence-pack.zip?team={org['other'].id}").status_code == 404
    login_as(org["ann"])
    assert client.get("/programme/evidence-pack.zip").status_code == 403


def test_the_course_template_opens_in_the_editor_and_publishes_like_any_course(client, login_as, org):
    assert loader.check_course_text(course_template.template_yaml("Org"), "empty.yaml")  # valid with nothing set up
    inventory.create_system(
        None,
        inventory.SystemInput(
            "Chat", owner_email="ada@example.org", status="approved", data_classes=["Public"], team_ids=[org["team"].id]
        ),
    )
    inventory.create_system(None, inventory.SystemInput("Old tool", status="retired"))
    policies.create_policy(
        None,
        "aup",
        "Acceptable use",
        policies.VersionInput(
            "Rules.", check_question="Which tools?", check_choices=("Any", "Approved"), check_answer=1
        ),
    )
    db.session.commit()
    login_as(org["admin"])
    page = client.get("/admin/programme/course-template")
    assert page.status_code == 200 and b"our-ai-tools-and-rules" in page.data
    text = course_template.template_yaml("Org")
    data = loader.check_course_text(text, "our-ai-tools-and-rules.yaml")
    assert "Ada Admin" in text and "Old tool" in text and "Which tools?" in text
    result = editor.publish_course(org["admin"], data, None)
    assert result.slug == "our-ai-tools-and-rules" and result.version == 1


def test_programme_api(client, login_as, org):
    login_as(org["admin"])
    created = client.post(
        "/api/v1/ai-systems", json={"name": "Chat", "risk_class": "transparency", "team_ids": [org["team"].id]}
    )
    assert created.status_code == 201, created.get_json()
    system = created.get_json()
    assert system["history"][0]["action"] == "created"
    bad = client.post("/api/v1/ai-systems", json={"name": "X", "risk_class": "very risky"})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"][0]["field"] == "risk_class"
    requirement = client.post(
        "/api/v1/requirements",
        json={"item": f"course:{org['course'].id}", "ai_system_id": system["id"], "due_days": 10},
    )
    assert requirement.status_code == 201 and requirement.get_json()["people_assigned"] == 1
    assert len(client.get("/api/v1/requirements").get_json()["requirements"]) == 1
    coverage = client.get(f"/api/v1/coverage?system={system['id']}&status=missing").get_json()
    assert [p["email"] for p in coverage["people"]] == ["ann@example.org"]
    patched = client.patch(f"/api/v1/ai-systems/{system['id']}", json={"status": "retired"})
    assert patched.status_code == 200 and patched.get_json()["history"][0]["action"] == "retired"
    assert client.get("/api/v1/requirements").get_json()["requirements"][0]["people_assigned"] == 0
    policies.create_policy(None, "aup", "Acceptable use", policies.VersionInput("Rules."))
    db.session.commit()
    login_as(org["ann"])
    assert client.get("/api/v1/policies").get_json()["policies"][0]["needs_acknowledgement"] is True
    first = client.post("/api/v1/policies/aup/acknowledgements", json={})
    assert first.status_code == 201 and first.get_json()["channel"] == "api"
    assert client.post("/api/v1/policies/aup/acknowledgements", json={"version": 1}).status_code == 200
    assert client.get("/api/v1/acknowledgements").get_json()["acknowledgements"][0]["version"] == 1
    assert client.get("/api/v1/requirements").status_code == 403
    assert client.get("/api/v1/coverage").status_code == 403
    assert client.get(f"/api/v1/ai-systems/{system['id']}").status_code == 404
    login_as(org["boss"])
    who = client.get("/api/v1/policies/aup/acknowledgements").get_json()
    assert [a["email"] for a in who["acknowledgements"]] == ["ann@example.org"]
    assert client.delete(f"/api/v1/requirements/{requirement.get_json()['id']}").status_code == 404


def test_programme_api_refuses_before_reading_and_names_the_field_at_fault(client, login_as, org):
    system = inventory.create_system(None, inventory.SystemInput("Chat", team_ids=[org["team"].id]))
    policies.create_policy(
        None,
        "aup",
        "Acceptable use",
        policies.VersionInput(
            "Rules.", check_question="Which tools?", check_choices=("Any", "Approved"), check_answer=1
        ),
    )
    db.session.commit()
    login_as(org["ann"])
    # A learner is refused whatever the body: never told what is wrong with a request they may not send.
    assert client.post("/api/v1/ai-systems", json={"nonsense": 1}).status_code == 403
    assert client.post("/api/v1/requirements", json=[]).status_code == 403
    assert client.patch(f"/api/v1/ai-systems/{system.id}", json={"name": 5}).status_code == 404
    assert client.get("/api/v1/coverage?per_page=0").status_code == 403
    wrong = client.post("/api/v1/policies/aup/acknowledgements", json={"answer": 0})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["fields"][0]["field"] == "answer"
    assert client.post("/api/v1/policies/aup/acknowledgements", json={"answer": 1}).status_code == 201
    assert client.post("/api/v1/policies/aup/acknowledgements", json={"version": 2}).status_code == 404
    assert client.post("/api/v1/policies/nope/acknowledgements", json={}).status_code == 404
    policies.publish_version(None, policies.policy_by_slug("aup"), policies.VersionInput("Rules, again."))
    db.session.commit()
    assert client.post("/api/v1/policies/aup/acknowledgements", json={"version": 1}).status_code == 200  # as before
    login_as(org["zed"])
    stale = client.post("/api/v1/policies/aup/acknowledgements", json={"version": 1, "answer": 1})
    assert stale.status_code == 409
    login_as(org["boss"])
    assert client.get(f"/api/v1/coverage?team={org['other'].id}").status_code == 404
    assert client.get("/api/v1/coverage?per_page=501").status_code == 400
    assert client.get("/api/v1/ai-systems?include_retired=maybe").status_code == 400
    login_as(org["admin"])
    strict = client.post("/api/v1/ai-systems", json={"name": "Other", "team_ids": ["1"], "colour": "red"})
    assert strict.status_code == 422
    assert {f["field"] for f in strict.get_json()["error"]["fields"]} == {"team_ids.0", "colour"}
    unknown = client.post("/api/v1/ai-systems", json={"name": "Other", "team_ids": [org["team"].id + 100]})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["fields"][0]["field"] == "team_ids"
    patched = client.patch(
        f"/api/v1/ai-systems/{system.id}", json={"vendor": "Vendor", "owner_email": "ada@example.org"}
    )
    body = patched.get_json()
    assert patched.status_code == 200 and body["vendor"] == "Vendor" and body["team_ids"] == [org["team"].id]
    assert body["owner_email"] == "ada@example.org" and body["history"][0]["changes"]["vendor"]["new"] == "Vendor"
    assert client.patch(f"/api/v1/ai-systems/{system.id}", json={"status": None}).status_code == 422
    cleared = client.patch(f"/api/v1/ai-systems/{system.id}", json={"owner_email": None}).get_json()
    assert cleared["owner_email"] is None and cleared["vendor"] == "Vendor"
    listed = client.get("/api/v1/ai-systems").get_json()["ai_systems"]
    assert [s["name"] for s in listed] == ["Chat"] and "history" not in listed[0]
    no_scope = client.post("/api/v1/requirements", json={"item": f"course:{org['course'].id}"})
    assert no_scope.status_code == 422 and no_scope.get_json()["error"]["fields"][0]["field"] == "ai_system_id"
    no_item = client.post("/api/v1/requirements", json={"item": "course:999999", "ai_system_id": system.id})
    assert no_item.status_code == 422 and no_item.get_json()["error"]["fields"][0]["field"] == "item"
    for item in ("lesson:1", "course:²", "course:9999999999"):  # refused by the pattern, or by the service
        error = client.post("/api/v1/requirements", json={"item": item, "job_role": "Analyst"})
        assert error.status_code == 422 and error.get_json()["error"]["fields"][0]["field"] == "item", item
    # The same name again, in letters SQLite does not lower: the service's answer, not the unique key's 409.
    assert client.post("/api/v1/ai-systems", json={"name": "Ça va"}).status_code == 201
    again = client.post("/api/v1/ai-systems", json={"name": "Ça va"})
    assert again.status_code == 422 and again.get_json()["error"]["fields"][0]["field"] == "name"
    who = client.get("/api/v1/policies/aup/acknowledgements?version=1").get_json()
    assert who["version"] == 1 and [a["email"] for a in who["acknowledgements"]] == ["ann@example.org"]
    assert client.get("/api/v1/policies/aup/acknowledgements?version=3").status_code == 404
