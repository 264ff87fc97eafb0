from tracker.models import Role


def test_learner_signs_in_and_sees_dashboard(client, make_user, course, login_as):
    user = make_user(Role.LEARNER, name="Lena")
    login_as(user)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Welcome, Lena" in page.data
    assert course.title.encode() in page.data
