"""Certificate lists (the administrators' and a manager's team list) cost the same number of SQL statements
whatever the number of certificates."""

from __future__ import annotations

from tests import factories
from tracker.models import Role


def _queries(client, count_queries, url: str) -> int:
    client.get(url)  # warm up: first-request work is not what we measure
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_certificate_lists_cost_the_same_at_two_sizes(client, login_as, make_user, course, count_queries):
    manager, admin = make_user(Role.MANAGER), make_user(Role.ADMIN)
    team = factories.make_team("Certified", manager=manager)
    factories.complete_course(make_user(team=team), course)
    urls = ("/admin/certificates", "/certificates/team")
    viewers = {"/admin/certificates": admin, "/certificates/team": manager}
    small = {}
    for url in urls:
        login_as(viewers[url])
        small[url] = _queries(client, count_queries, url)
    for _ in range(4):
        factories.complete_course(make_user(team=team), course)
    for url in urls:
        login_as(viewers[url])
        assert _queries(client, count_queries, url) == small[url], url
