"""Destructive actions go through a confirmation page that works without JavaScript: the button is a link to a GET
page that states the consequence and posts the real form; a POST that did not come from it changes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories
from tracker.extensions import db
from tracker.models import Assignment, Certificate, Role, User
from tracker.services.organisation import assignments

CONFIRMED = {"confirmed": "yes"}


def form_posting_to(page: str, action: str) -> str:
    match = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return match.group(1)


@pytest.fixture
def org(app, make_user, course):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team("Alpha", manager=boss)
    learner = make_user(name="Lea Learner", team=team)
    cert = factories.complete_course(learner, course)
    assignment, _ = assignments.assign(boss, course=course, team=team, due_on=date(2030, 1, 31))
    db.session.commit()
    return {"admin": admin, "boss": boss, "team": team, "learner": learner, "cert": cert, "assignment": assignment}


def test_deactivate_person(client, login_as, org):
    person, url = org["learner"], f"/admin/people/{org['learner'].id}/deactivate"
    login_as(org["admin"])
    edit = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert f'<a class="button button-danger" href="{url}">' in edit  # a link, not a form that acts at once
    page = client.get(url).get_data(as_text=True)
    assert "Deactivate the account of Lea Learner?" in page
    assert "can no longer sign in" in page and "Training records, certificates and the audit log are kept" in page
    assert 'name="confirmed" value="yes"' in form_posting_to(page, url)  # (and the CSRF token: the role walk)
    assert client.post(url).status_code == 200  # not from the page: shown again, nothing done
    assert db.session.get(User, person.id).active is True
    assert client.post(url, data=CONFIRMED).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).active is False


def test_revoke_certificate(client, login_as, org):
    cert, url = org["cert"], f"/admin/certificates/{org['cert'].code}/revoke"
    login_as(org["admin"])
    show = client.get(f"/admin/certificates/{cert.code}").get_data(as_text=True)
    assert f'href="{url}"' in show and f'action="{url}"' not in show
    page = client.get(url).get_data(as_text=True)
    assert f"Revoke certificate {cert.code}?" in page and "It cannot be undone" in page
    assert 'name="reason"' in form_posting_to(page, url)
    unconfirmed = client.post(url, data={"reason": "Copied answers"})
    assert unconfirmed.status_code == 200 and "Copied answers" in unconfirmed.get_data(as_text=True)  # kept
    db.session.refresh(cert)
    assert cert.revoked_at is None
    assert client.post(url, data={"reason": "Copied answers", **CONFIRMED}).status_code == 302
    db.session.refresh(cert)
    assert cert.revoked_at is not None
    assert "This certificate is already revoked." in client.get(url).get_data(as_text=True)


def test_reissue_certificate(client, login_as, org):
    cert, url = org["cert"], f"/admin/certificates/{org['cert'].code}/reissue"
    login_as(org["admin"])
    page = client.get(url).get_data(as_text=True)
    assert f"Reissue certificate {cert.code}?" in page and "becomes superseded" in page
    assert 'name="learner_name"' in form_posting_to(page, url)
    assert client.post(url, data={"reason": "Typo"}).status_code == 200
    db.session.refresh(cert)
    assert cert.superseded_at is None
    assert client.post(url, data={"reason": "Typo", **CONFIRMED}).status_code == 302
    assert db.session.scalar(select(Certificate).where(Certificate.revision == 2)) is not None


def test_delete_assignment(client, login_as, org):
    assignment_id = org["assignment"].id
    url = f"/manager/assignments/{assignment_id}/delete"
    login_as(org["boss"])
    listing = client.get("/manager/assignments").get_data(as_text=True)
    assert f'href="{url}"' in listing and f'action="{url}"' not in listing
    page = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
    assert "Remove this assignment?" in page and "Team Alpha" in page
    assert "Progress, quiz attempts and certificates already earned are kept." in page
    form_posting_to(page, url)
    assert client.post(url).status_code == 200
    assert db.session.get(Assignment, assignment_id) is not None
    assert client.post(url, data=CONFIRMED).status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, assignment_id) is None
