"""Input at the edge: ids out of the database's range, control characters, dates far out, double submits, YAML that
would explode, and the audit trail of downloads, refusals and failed CSRF checks."""

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import Assignment, AuditEvent, User
from tracker.services import audit


def _actions(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/people/2147483648",
        "/admin/people/99999999999999999999",
        "/admin/teams/2147483648",
        "/attempts/9223372036854775808",
    ],
)
def test_ids_past_the_database_range_are_not_found(client, login_as, make_user, url):
    login_as(make_user(role="admin"))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "team=99999999999999",
        "course=2147483648",
        "page=100000000000000000000",
        "per_page=-5",
        "team=x",
        "team=%C2%B2",  # "²": a digit to str.isdigit, not to int()
        "page=%D9%A3",  # "٣", an Arabic-Indic three
    ],
)
def test_matrix_filters_out_of_range_fall_back_to_defaults(client, login_as, make_user, query):
    login_as(make_user(role="admin"))
    for page in ("/manager/", "/reports/evidence", "/programme/coverage", "/admin/people/"):
        assert client.get(f"{page}?{query}").status_code in (200, 302, 400, 404), page  # never a 500


def test_control_characters_are_refused_with_a_form_error_and_the_input_is_kept(client, login_as, make_user):
    login_as(make_user(role="admin"))
    response = client.post(
        "/admin/people/new",
        data={
            "email": "new.person@example.org",
            "display_name": "Nul\x00Person",
            "role": "learner",
            "team": "",
            "job_role": "Analyst\x07",
            "password_choice": "generate",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("Remove the invisible control characters from this text.") >= 2  # under each field
    assert 'value="new.person@example.org"' in page
    assert db.session.scalar(select(User).where(User.email == "new.person@example.org")) is None


def test_a_line_break_in_a_one_line_field_is_refused(client, login_as, make_user):
    login_as(make_user(role="admin"))
    response = client.post("/admin/teams/", data={"name": "Sales\nTeam", "parent_id": "", "manager_id": ""})
    assert response.status_code == 400 and "Write this on one line." in response.get_data(as_text=True)


@pytest.mark.parametrize("due", ["1800-01-01", "9999-12-31"])
def test_dates_far_out_are_refused(client, login_as, make_user, due):
    course = factories.make_course()
    admin = make_user(role="admin")
    learner = make_user()
    login_as(admin)
    response = client.post(
        "/manager/assignments",
        data={"item": f"course:{course.id}", "target_type": "person", "person_email": learner.email, "due_on": due},
    )
    assert response.status_code == 400
    assert "Enter a date between 1900-01-01 and 2199-12-31." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_creating_the_same_person_twice_is_already_done_not_an_error(client, login_as, make_user):
    admin = make_user(role="admin")
    login_as(admin)
    data = {
        "email": "twice@example.org",
        "display_name": "Twice Clicked",
        "role": "learner",
        "team": "",
        "job_role": "",
        "password_choice": "generate",
    }
    assert client.post("/admin/people/new", data=data).status_code == 201
    again = client.post("/admin/people/new", data=data)
    person = db.session.scalar(select(User).where(User.email == "twice@example.org"))
    assert again.status_code == 302 and again.location.endswith(f"/admin/people/{person.id}")
    assert "already created a moment ago" in client.get(again.location).get_data(as_text=True)
    # Another admin, or the same email much later, is told the email is taken.
    client.post("/logout")
    login_as(make_user(role="admin"))
    other = client.post("/admin/people/new", data=data)
    assert other.status_code == 400 and "already exists" in other.get_data(as_text=True)


def test_a_yaml_bomb_and_deep_nesting_are_refused_with_a_message(client, login_as, make_user):
    login_as(make_user(role="admin"))
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n"
    previous = "a"
    for level in range(1, 8):
        bomb += f"b{level}: &b{level} [" + ",".join([f"*{previous}"] * 10) + "]\n"
        previous = f"b{level}"
    cases = (
        (bomb, "too large once its aliases are expanded"),
        ("[" * 500, "not valid YAML"),
        ("[" * 5000 + "]" * 5000, "not valid YAML"),
    )
    for text, expected in cases:
        response = client.post("/admin/content/preview", data={"text": text, "source": "course.yaml"})
        assert response.status_code == 400 and expected in response.get_data(as_text=True)


def test_a_file_with_many_problems_is_reported_up_to_the_limit(client, login_as, make_user):
    login_as(make_user(role="admin"))
    text = "modules:\n" + "  - {}\n" * 400
    response = client.post("/admin/content/preview", data={"text": text, "source": "course.yaml"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "checking stopped after 100 problems" in page


def test_refused_access_is_audited_with_who_tried_what(client, login_as, make_user):
    learner = make_user()
    other = make_user()
    cert = factories.complete_course(other, factories.make_course())
    login_as(learner)
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 404
    assert client.get("/admin/people/").status_code == 403
    refused = _actions("security.access_refused")
    assert [(e.actor_id, e.target_type, e.target_id) for e in refused] == [
        (learner.id, "certificate", cert.code),
        (learner.id, "page", "index"),
    ]
    # Something that does not exist is a plain 404, not a refusal.
    client.get("/certificates/AAAAA-BBBBB-CCCCC-DDDDD.pdf")
    assert len(_actions("security.access_refused")) == 2


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_a_failed_csrf_check_is_audited(client, login_as, make_user):
    learner = make_user()
    login_as(learner)
    response = client.post("/account/profile", data={"display_name": "X", "timezone": "UTC"})
    assert response.status_code == 400
    event = _actions("security.csrf_failed")[0]
    assert event.actor_id == learner.id and event.details["path"] == "/account/profile"


def test_downloads_and_exports_are_audited_and_the_log_shows_names(client, login_as, make_user):
    admin = make_user(role="admin", name="Grace Admin")
    holder = make_user(name="Ada Holder")
    cert = factories.complete_course(holder, factories.make_course())
    login_as(admin)
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 200
    assert client.get("/manager/export.csv").status_code == 200
    assert client.get("/certificates/team.zip").status_code == 200
    downloaded = _actions("certificate.downloaded")[0]
    assert downloaded.actor_id == admin.id and downloaded.details == {"format": "pdf", "holder": False, "status": None}
    assert _actions("report.matrix_exported")[0].details["format"] == "csv"
    assert _actions("certificate.zip_downloaded")[0].details["certificates"] == 1
    audit.record("user.updated", actor=admin, target_type="user", target_id=holder.id)
    db.session.commit()
    log = client.get("/admin/audit/").get_data(as_text=True)
    assert f"Ada Holder, {cert.course_title}" in log
    assert f"Ada Holder &lt;{holder.email}&gt;" in log
