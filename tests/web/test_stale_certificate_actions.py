"""An admin acting from a page opened before another admin changed the certificate is told why nothing happened
(the forms are gone from a revoked or superseded certificate's page, so the message cannot sit next to a field)."""

from html import unescape

from tests import factories
from tracker.extensions import db
from tracker.models import Role
from tracker.services import certification


def _says(response, message: str) -> bool:
    return response.status_code == 400 and message in unescape(response.get_data(as_text=True))


def test_acting_on_a_certificate_changed_meanwhile_says_why(client, login_as, make_user, course):
    admin = make_user(Role.ADMIN)
    login_as(admin)
    revoked = factories.complete_course(make_user(), course)
    certification.revoke(revoked, make_user(Role.ADMIN), "Issued in error")
    superseded = factories.complete_course(make_user(), course)
    certification.reissue(superseded, make_user(Role.ADMIN), "Name changed")
    db.session.commit()

    reissue = client.post(f"/admin/certificates/{revoked.code}/reissue", data={"reason": "Typo"})
    assert _says(reissue, "A revoked certificate cannot be reissued.")
    revoke = client.post(f"/admin/certificates/{revoked.code}/revoke", data={"reason": "Twice"})
    assert _says(revoke, "This certificate is already revoked.")
    revoke = client.post(f"/admin/certificates/{superseded.code}/revoke", data={"reason": "Left"})
    assert _says(revoke, "This certificate was superseded; revoke the current version instead.")
    reissue = client.post(f"/admin/certificates/{superseded.code}/reissue", data={"reason": "Typo"})
    assert _says(reissue, "This certificate was already superseded by a newer version.")


def test_an_input_error_still_shows_next_to_its_field(client, login_as, make_user, course):
    login_as(make_user(Role.ADMIN))
    cert = factories.complete_course(make_user(), course)
    response = client.post(f"/admin/certificates/{cert.code}/reissue", data={"reason": "Name", "learner_name": "山田"})
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert 'id="learner_name-error"' in page and "Enter a printable spelling" in page
