"""The name printed on certificates is governed: a display-name change never reaches certificates, a learner asks for
a new name and an admin decides, and every change is audited."""

import pytest
from sqlalchemy import select

from tests import factories
from tracker.enums import RequestStatus
from tracker.extensions import db
from tracker.models import AuditEvent, Certificate, NameChangeRequest


def _current(user):
    db.session.expire_all()
    return db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id, Certificate.superseded_at.is_(None))
    ).all()


def _actions(user):
    return [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == str(user.id)).order_by(AuditEvent.id)
        )
    ]


def test_renaming_oneself_on_the_profile_does_not_change_the_certificate(client, login_as, make_user):
    learner = make_user(name="Sam Learner")
    course = factories.make_course()
    cert = factories.complete_course(learner, course)
    login_as(learner)
    response = client.post("/account/profile", data={"display_name": "Ada Admin", "timezone": "UTC", "language": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert learner.display_name == "Ada Admin" and learner.name_on_certificates == "Sam Learner"
    # A course completed after the rename is still issued to the governed name.
    second = factories.complete_course(learner, factories.make_course())
    assert second.learner_name == "Sam Learner"
    client.post("/logout")
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Sam Learner" in page and "Ada Admin" not in page
    assert "user.profile_updated" in _actions(learner)


def test_a_requested_name_is_printed_once_an_admin_approves(client, login_as, make_user):
    learner = make_user(name="Jose Garcia")
    admin = make_user(role="admin")
    cert = factories.complete_course(learner, factories.make_course())
    login_as(learner)
    response = client.post(
        "/account/certificate-name", data={"requested_name": "José García Pérez", "note": "Accents and second name"}
    )
    assert response.status_code == 302
    assert "an administrator will review it" in client.get("/account/").get_data(as_text=True)
    assert [c.learner_name for c in _current(learner)] == ["Jose Garcia"]  # nothing changes before a decision

    client.post("/logout")
    login_as(admin)
    queue = client.get("/admin/certificates").get_data(as_text=True)
    assert "José García Pérez" in queue
    request = db.session.scalar(select(NameChangeRequest))
    response = client.post(f"/admin/people/name-requests/{request.id}/approve", data={"note": ""})
    assert response.status_code == 302
    assert "1 certificate reissued" in client.get(response.location).get_data(as_text=True)

    current = _current(learner)
    assert [c.learner_name for c in current] == ["José García Pérez"]
    assert current[0].code != cert.code
    old = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "replaced by a reissued version" in old
    assert db.session.get(NameChangeRequest, request.id).status == RequestStatus.APPROVED
    actions = _actions(learner)
    assert "user.certificate_name_requested" in actions and "user.certificate_name_changed" in actions

    # Deciding again (a second admin, a double click) is refused with a message, not an error.
    again = client.post(f"/admin/people/name-requests/{request.id}/reject", data={"note": ""}, follow_redirects=True)
    assert again.status_code == 200 and "already decided" in again.get_data(as_text=True)


def test_a_rejected_request_changes_nothing(client, login_as, make_user):
    learner = make_user(name="Kim Lee")
    admin = make_user(role="admin")
    factories.complete_course(learner, factories.make_course())
    login_as(learner)
    client.post("/account/certificate-name", data={"requested_name": "Chief Executive", "note": ""})
    client.post("/logout")
    login_as(admin)
    request = db.session.scalar(select(NameChangeRequest))
    client.post(f"/admin/people/name-requests/{request.id}/reject", data={"note": "Not your legal name"})
    assert [c.learner_name for c in _current(learner)] == ["Kim Lee"]
    db.session.expire_all()
    assert learner.name_on_certificates == "Kim Lee"
    assert "user.certificate_name_rejected" in _actions(learner)


def test_a_request_keeps_what_was_typed_when_it_is_refused(client, login_as, make_user):
    learner = make_user(name="Kim Lee")
    login_as(learner)
    response = client.post("/account/certificate-name", data={"requested_name": "Kim Lee", "note": "same"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "already the name on your certificates" in page
    assert 'value="Kim Lee"' in page
    assert db.session.scalar(select(NameChangeRequest)) is None


@pytest.mark.parametrize("app_config", [{"CERTIFICATE_NAME_SELF_SERVICE": True}], indirect=True)
def test_with_self_service_the_change_applies_at_once_and_is_audited(client, login_as, make_user):
    learner = make_user(name="Alex Smith")
    factories.complete_course(learner, factories.make_course())
    login_as(learner)
    response = client.post("/account/certificate-name", data={"requested_name": "Alexandra Smith", "note": ""})
    assert response.status_code == 302
    assert [c.learner_name for c in _current(learner)] == ["Alexandra Smith"]
    assert db.session.scalar(select(NameChangeRequest)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.certificate_name_changed"))
    assert event.actor_id == learner.id and event.details == {
        "old": "Alex Smith",
        "new": "Alexandra Smith",
        "request_id": None,
    }


def test_the_learner_sees_the_public_reason_of_a_revocation_never_the_internal_one(client, login_as, make_user):
    learner = make_user()
    admin = make_user(role="admin")
    cert = factories.complete_course(learner, factories.make_course())
    login_as(admin)
    response = client.post(
        f"/admin/certificates/{cert.code}/revoke",
        data={
            "reason": "Manager reported answers shared in chat",
            "public_reason": "Issued in error",
            "confirmed": "yes",
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    login_as(learner)
    page = client.get("/certificates/").get_data(as_text=True)
    assert "Issued in error" in page and "answers shared" not in page
