"""The audit log: sign-in events, the admin page (filters, pages, CSV export) and the /api/v1/audit endpoint."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, Role
from tracker.services import accounts, audit

from ..factories import PASSWORD


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def add_event(action: str, at: datetime, **kwargs) -> AuditEvent:
    event = AuditEvent(at=at, action=action, details=kwargs.pop("details", {}), **kwargs)
    db.session.add(event)
    db.session.commit()
    return event


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def rows_on_page(body: str) -> int:
    return len(re.findall(r'<td class="audit-when">', body))


# --- sign-in events ----------------------------------------------------------------------------------------------


def test_sign_in_and_sign_out_are_recorded(client, make_user):
    user = make_user(email="ann@example.org")
    response = client.post("/login", data={"email": "Ann@Example.org", "password": PASSWORD})
    assert response.status_code == 302

    [signed_in] = events("auth.signed_in")
    assert signed_in.actor_id == user.id
    assert signed_in.actor_email == "ann@example.org"
    assert signed_in.target_type == "user" and signed_in.target_id == str(user.id)
    assert signed_in.ip_address == "127.0.0.1"

    client.get("/account/")  # the sign-out form's page; CSRF is off in this config
    assert client.post("/logout", data={}).status_code == 302
    [signed_out] = events("auth.signed_out")
    assert signed_out.actor_id == user.id
    assert signed_out.at >= signed_in.at


@pytest.mark.parametrize("typed", ["  Ann@Example.ORG ", "nobody@example.org"])
def test_failed_sign_in_records_the_typed_email_and_never_the_password(client, make_user, typed):
    make_user(email="ann@example.org")
    secret = "wrong password 12345"
    response = client.post("/login", data={"email": typed, "password": secret})
    assert response.status_code == 200

    [failed] = events("auth.sign_in_failed")
    assert failed.actor_email == typed.strip().lower()
    assert failed.actor_id is None
    assert failed.details == {}
    stored = repr([getattr(failed, c.key) for c in AuditEvent.__table__.columns])
    assert secret not in stored and PASSWORD not in stored
    assert events("auth.signed_in") == []


def test_deactivated_account_sign_in_is_a_failure(client, make_user):
    make_user(email="gone@example.org", active=False)
    client.post("/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert [e.actor_email for e in events("auth.sign_in_failed")] == ["gone@example.org"]


# --- the admin page ----------------------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.org")


def test_page_is_for_admins_only(client, make_user, login_as):
    assert client.get("/admin/audit/").status_code == 302  # anonymous: sign in first
    for role in (Role.LEARNER, Role.MANAGER):
        login_as(make_user(role))
        assert client.get("/admin/audit/").status_code == 403
        assert client.get("/admin/audit/export.csv").status_code == 403
        client.post("/logout")


def test_page_shows_newest_first_with_details_and_address(client, admin, login_as):
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    add_event(
        "certificate.revoked",
        base,
        actor_email="boss@example.org",
        target_type="certificate",
        target_id="AAAAA-BBBBB-CCCCC-DDDDD",
        details={"reason": "Issued <by mistake>"},
        ip_address="203.0.113.9",
    )
    add_event(
        "assignment.created",
        base + timedelta(hours=1),
        actor_email="boss@example.org",
        target_type="assignment",
        target_id="7",
        details={"due_on": "2026-04-01", "item": "course:3"},
    )
    login_as(admin, PASSWORD)  # through the form: the sign-in is itself an event on the page

    body = client.get("/admin/audit/").get_data(as_text=True)
    # Newest first: this sign-in (now), then 1 March 13:00, then 12:00.
    assert body.index("<code>auth.signed_in</code>") < body.index("<code>assignment.created</code>")
    assert body.index("<code>assignment.created</code>") < body.index("<code>certificate.revoked</code>")
    assert "Issued &lt;by mistake&gt;" in body  # escaped, never markup
    assert "<dt>reason</dt>" in body and "<dt>due_on</dt>" in body
    assert "203.0.113.9" in body
    assert "1 Mar 2026, 12:00:00 UTC" in body
    # The action menu lists each action once.
    assert body.count('<option value="certificate.revoked"') == 1


def test_filters_by_action_actor_target_text_and_dates_in_the_viewers_time_zone(client, admin, login_as):
    admin.timezone = "Europe/Berlin"
    db.session.commit()
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March 00:30 in Berlin
    add_event(
        "certificate.revoked",
        late,
        actor_email="boss@example.org",
        target_type="certificate",
        target_id="CODE-1",
        details={"reason": "Zoë asked"},
    )
    add_event(
        "certificate.revoked",
        late - timedelta(days=3),
        actor_email="other@example.org",
        target_type="certificate",
        target_id="CODE-2",
        details={"reason": "duplicate 100%"},
    )
    add_event(
        "assignment.created",
        late - timedelta(days=1),
        actor_email="boss@example.org",
        target_type="assignment",
        target_id="ASSIGN-9",
    )
    login_as(admin)

    def shown(**params) -> set[str]:
        body = client.get("/admin/audit/", query_string=params).get_data(as_text=True)
        return set(re.findall(r"<code>(CODE-\d|ASSIGN-9)</code>", body))

    assert shown(action="certificate.revoked") == {"CODE-1", "CODE-2"}
    assert shown(actor="BOSS@") == {"CODE-1", "ASSIGN-9"}
    assert shown(target_type="assignment") == {"ASSIGN-9"}
    assert shown(target_type="certificate", target_id="CODE-2") == {"CODE-2"}
    assert shown(q="zoë") == {"CODE-1"}  # non-ASCII text inside the stored JSON
    assert shown(q="100%") == {"CODE-2"}  # LIKE wildcards are literal
    assert shown(q="10_%") == set()
    # 2 March in Berlin starts at 1 March 23:00 UTC.
    assert shown(**{"from": "2026-03-02", "to": "2026-03-02"}) == {"CODE-1"}
    assert shown(**{"to": "2026-03-01"}) == {"ASSIGN-9", "CODE-2"}
    # 28 February in Berlin ends at 28 February 23:00 UTC, before the assignment (23:30 UTC).
    assert shown(**{"from": "2026-02-27", "to": "2026-02-28"}) == {"CODE-2"}

    bad = client.get("/admin/audit/", query_string={"from": "yesterday"})
    assert bad.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in bad.get_data(as_text=True)


def test_pagination_50_per_page_with_filters_kept(client, admin, login_as):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(120):
        db.session.add(
            AuditEvent(
                at=base + timedelta(minutes=i), action="test.event", target_type="thing", target_id=str(i), details={}
            )
        )
    db.session.commit()
    login_as(admin)

    first = client.get("/admin/audit/?action=test.event").get_data(as_text=True)
    assert rows_on_page(first) == 50
    assert "Showing 1–50 of 120 events" in first
    assert "Page 1 of 3" in first
    assert "<code>119</code>" in first and "<code>70</code>" in first and "<code>69</code>" not in first
    [next_link] = re.findall(r'href="([^"]*)" rel="next"', first)
    assert "page=2" in next_link and "action=test.event" in next_link

    third = client.get("/admin/audit/?action=test.event&page=3").get_data(as_text=True)
    assert rows_on_page(third) == 20
    assert "<code>0</code>" in third and "Page 3 of 3" in third
    beyond = client.get("/admin/audit/?action=test.event&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond  # past the end: the last page


def test_page_queries_do_not_grow_with_events(client, admin, login_as, count_queries):
    login_as(admin)
    client.get("/admin/audit/")
    with count_queries() as few:
        assert client.get("/admin/audit/").status_code == 200
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(80):
        db.session.add(AuditEvent(at=base + timedelta(minutes=i), action=f"test.event{i % 7}", details={"n": i}))
    db.session.commit()
    with count_queries() as many:
        assert client.get("/admin/audit/").status_code == 200
    assert few.count == many.count <= 5


def test_csv_export_of_the_filtered_log(client, admin, login_as):
    at = datetime(2026, 3, 1, 23, 30, 5, tzinfo=UTC)
    add_event(
        "certificate.revoked",
        at,
        actor_email="boss@example.org",
        target_type="certificate",
        target_id="CODE-1",
        details={"reason": "Zoë asked"},
        ip_address="203.0.113.9",
    )
    add_event("certificate.revoked", at, actor_email="=HYPERLINK(1)", target_type="certificate", target_id="CODE-2")
    add_event("assignment.created", at, actor_email="boss@example.org")
    login_as(admin)

    rows = read_csv(client.get("/admin/audit/export.csv?action=certificate.revoked"))
    assert list(rows[0]) == [
        "id", "at_utc", "actor_email", "actor_id", "action", "target_type", "target_id", "details_json", "ip_address"
    ]  # fmt: skip
    assert {r["target_id"] for r in rows} == {"CODE-1", "CODE-2"}
    first = next(r for r in rows if r["target_id"] == "CODE-1")
    assert first["at_utc"] == "2026-03-01T23:30:05Z"
    assert first["details_json"] == '{"reason": "Zoë asked"}'
    assert first["ip_address"] == "203.0.113.9"
    assert next(r for r in rows if r["target_id"] == "CODE-2")["actor_email"] == "'=HYPERLINK(1)"

    [exported] = events("audit.exported")
    assert exported.actor_id == admin.id
    assert exported.details == {"filters": {"action": "certificate.revoked"}}


def test_every_event_is_in_the_export(client, admin, login_as):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(130):
        db.session.add(AuditEvent(at=base + timedelta(seconds=i), action="bulk", details={"i": i}))
    db.session.commit()
    login_as(admin)
    rows = read_csv(client.get("/admin/audit/export.csv?action=bulk"))
    assert len(rows) == 130
    assert rows[0]["details_json"] == '{"i": 129}'  # newest first


# --- the API -----------------------------------------------------------------------------------------------------


def _token(user) -> str:
    _, plain = accounts.create_api_token(user, "audit reader")
    db.session.commit()
    return plain


def test_api_is_for_admins_by_token_or_session(app, client, make_user, login_as):
    assert client.get("/api/v1/audit").status_code == 401
    for role in (Role.LEARNER, Role.MANAGER):
        token = _token(make_user(role))
        response = app.test_client().get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == 403

    admin = make_user(Role.ADMIN)
    token = _token(admin)
    response = app.test_client().get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert set(response.get_json()) >= {"events", "total"}

    login_as(admin)
    assert client.get("/api/v1/audit").status_code == 200


def test_api_filters_and_pages(app, make_user):
    admin = make_user(Role.ADMIN, email="admin@example.org")
    token = _token(admin)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for i in range(5):
        add_event(
            "certificate.revoked",
            base + timedelta(days=i),
            actor_email="boss@example.org",
            target_type="certificate",
            target_id=f"C{i}",
            details={"reason": f"r{i}"},
            ip_address="203.0.113.9",
        )
    add_event("assignment.created", base, actor_email="other@example.org")

    body = api.get("/api/v1/audit?action=certificate.revoked&limit=2", headers=headers).get_json()
    assert body["total"] == 5
    assert [e["target_id"] for e in body["events"]] == ["C4", "C3"]
    assert body["events"][0] == {
        "id": body["events"][0]["id"],
        "at": "2026-03-05T12:00:00+00:00",
        "actor_id": None,
        "actor_email": "boss@example.org",
        "action": "certificate.revoked",
        "target_type": "certificate",
        "target_id": "C4",
        "details": {"reason": "r4"},
        "ip_address": "203.0.113.9",
    }
    page2 = api.get("/api/v1/audit?action=certificate.revoked&limit=2&offset=2", headers=headers).get_json()
    assert [e["target_id"] for e in page2["events"]] == ["C2", "C1"]

    window = api.get(
        "/api/v1/audit",
        query_string={"action": "certificate.revoked", "since": "2026-03-02T12:00:00Z", "until": "2026-03-04"},
        headers=headers,
    ).get_json()
    assert [e["target_id"] for e in window["events"]] == ["C2", "C1"]
    offset_zone = api.get(
        "/api/v1/audit",
        query_string={"action": "certificate.revoked", "since": "2026-03-05T13:00:00+02:00"},
        headers=headers,
    ).get_json()
    assert [e["target_id"] for e in offset_zone["events"]] == ["C4"]  # 11:00 UTC
    actor = api.get("/api/v1/audit?actor=other", headers=headers).get_json()
    assert [e["action"] for e in actor["events"]] == ["assignment.created"]

    for bad in ("limit=0", "limit=501", "limit=x", "offset=-1", "since=yesterday"):
        response = api.get(f"/api/v1/audit?{bad}", headers=headers)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["message"]


def test_api_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/audit"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"action", "actor", "since", "until", "limit", "offset"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("AuditEventPage")
    assert "AuditEvent" in doc["components"]["schemas"]


def test_recording_needs_no_request(app, make_user):
    user = make_user()
    audit.record("test.outside_request", actor=user)
    db.session.commit()
    [event] = events("test.outside_request")
    assert event.ip_address is None
