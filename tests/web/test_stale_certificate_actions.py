"""An admin acting from a page opened before another admin changed the certificate is told why nothing happened
(the confirmation page they posted from says why in place of its form)."""

from html import unescape

from tests import factories
from tracker.extensions import db
from tracker.models import Role
from tracker.services import certification


def _says(response, message: str) -> bool:
    # Refused, with the reason where the form was: the form no longer applies to this certificate.
    page = unescape(response.get_data(as_text=True))
    return response.status_code == 400 and message in page and 'name="reason"' not in page


def _act(client, cert, action: str, **data):
    """Post the action as its confirmation page does."""
    return client.post(f"/admin/certificates/{cert.code}/{action}", data={**data, "confirmed": "yes"})


def test_acting_on_a_certificate_changed_meanwhile_says_why(client, login_as, make_user, course):
    admin = make_user(Role.ADMIN)
    login_as(admin)
    revoked = factories.complete_course(make_user(), course)
    certification.revoke(revoked, make_user(Role.ADMIN), "Issued in error")
    superseded = factories.complete_course(make_user(), course)
    certification.reissue(superseded, make_user(Role.ADMIN), "Name changed")
    db.session.commit()

    assert _says(_act(client, revoked, "reissue", reason="Typo"), "A revoked certificate cannot be reissued.")
    assert _says(_act(client, revoked, "revoke", reason="Twice"), "This certificate is already revoked.")
    assert _says(
        _act(client, superseded, "revoke", reason="Left"),
        "This certificate was superseded; revoke the current version instead.",
    )
    assert _says(
        _act(client, superseded, "reissue", reason="Typo"),
        "This certificate was already superseded by a newer version.",
    )
    # Nothing changed: still one revoked certificate and one superseded one, no new revision.
    db.session.expire_all()
    assert revoked.revoked_at is not None and superseded.superseded_at is not None


def test_an_input_error_still_shows_next_to_its_field(client, login_as, make_user, course):
    login_as(make_user(Role.ADMIN))
    cert = factories.complete_course(make_user(), course)
    response = client.post(
        f"/admin/certificates/{cert.code}/reissue", data={"reason": "Name", "learner_name": "山田", "confirmed": "yes"}
    )
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert 'id="learner_name-error"' in page and "Enter a printable spelling" in page
