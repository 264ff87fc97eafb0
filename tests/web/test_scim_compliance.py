"""SCIM compliance and robustness: the scim2 projects' own compliance checker (scim2-tester) against /scim/v2,
and property-based requests (Hypothesis) with generated bodies, paths, filters and paging: never a 5xx, every
error a SCIM error."""

from __future__ import annotations

import json
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from tests.conftest import make_config

TOKEN = "scim-test-token-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def app_config(database_url, instance_path):
    return make_config(database_url, instance_path, SCIM_TOKEN=TOKEN)


class EmailedClient(WSGISCIMClient):
    """Accounts here are email addresses; the checker's minimal users carry none, so one is added."""

    def request(self, method, url, **kwargs):
        body = kwargs.get("json")
        user = method in ("POST", "PUT") and isinstance(body, dict) and USER in body.get("schemas", [])
        if user and not body.get("emails"):
            body["emails"] = [{"value": f"{body.get('userName', 'someone')}@example.org", "primary": True}]
        return super().request(method, url, **kwargs)


def test_scim2_tester_finds_no_violation(app):
    """Discovery, creation, reading, listing, searching and deletion of users and groups. (Its attribute-by-
    attribute PATCH checks expect every attribute of the standard User schema to be stored: this service keeps
    the ones a training record needs.)"""
    client = EmailedClient(app, base_url="http://localhost/scim/v2", headers={"Authorization": f"Bearer {TOKEN}"})
    results = check_server(client, include_tags={"discovery", "misc", "crud:create", "crud:read", "crud:delete"})
    assert len(results) > 15
    broken = [(r.title, r.resource_type, r.reason) for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert broken == []


@pytest.fixture
def people(make_user):
    from tracker.extensions import db
    from tracker.models import Role

    for number in range(3):
        make_user(Role.LEARNER, email=f"person{number}@example.org")
    db.session.commit()


# --- property-based requests ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
attribute = st.sampled_from(
    [
        "userName",
        "displayName",
        "active",
        "emails",
        "name",
        "title",
        "externalId",
        "members",
        "id",
        "groups",
        'emails[type eq "work"].value',
        "name.familyName",
        'members[value eq "1"]',
        "urn:x:y",
        "",
        "meta",
    ]
)
operation = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Add", "replace", "Replace", "remove", "REMOVE", "copy", ""])},
    optional={"path": attribute, "value": json_values},
)
user_body = st.fixed_dictionaries(
    {"schemas": st.sampled_from([[USER], [USER, "urn:unknown"], [], ["x"]])},
    optional={
        "userName": st.one_of(st.emails(), st.text(max_size=40), json_values),
        "displayName": st.one_of(st.text(max_size=200), json_values),
        "active": st.one_of(st.booleans(), st.sampled_from(["False", "true", "maybe"]), json_values),
        "emails": st.one_of(st.lists(st.fixed_dictionaries({"value": st.emails()}), max_size=2), json_values),
        "externalId": json_values,
        "title": st.text(max_size=300),
        "name": json_values,
    },
)
group_body = st.fixed_dictionaries(
    {"schemas": st.sampled_from([[GROUP], []])},
    optional={"displayName": st.one_of(st.text(max_size=200), json_values), "members": json_values},
)
patch_body = st.one_of(
    st.fixed_dictionaries({"schemas": st.just([PATCH_OP]), "Operations": st.lists(operation, max_size=3)}),
    json_values,
)
ids = st.one_of(st.sampled_from(["1", "2", "999999", "0", "-1", "abc", "99999999999999999999"]), st.text(max_size=10))
paths = st.one_of(
    st.builds(
        lambda kind, ident: f"/{kind}/{quote(ident, safe='')}",
        st.sampled_from(["Users", "Groups", "Nothing", "Me"]),
        ids,
    ),
    st.sampled_from(
        [
            "/Users",
            "/Groups",
            "/",
            "/Schemas",
            "/ResourceTypes",
            "/ServiceProviderConfig",
            "/Bulk",
            "/Users/.search",
            "/.search",
            "/Schemas/urn:x",
            "/ResourceTypes/User",
        ]
    ),
)
filters = st.one_of(
    st.builds(
        lambda a, v: f"{a} eq {json.dumps(v)}",
        st.sampled_from(["userName", "displayName", "externalId", "id", "emails.value", "title", "active"]),
        st.text(max_size=20),
    ),
    st.text(alphabet=string.printable, max_size=40),
    st.sampled_from(['userName sw "a"', 'emails[type eq "work"]', "active eq true", 'not (id eq "1")', "userName pr"]),
)
query = st.fixed_dictionaries(
    {},
    optional={
        "filter": filters,
        "startIndex": st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=5)),
        "count": st.one_of(st.integers(-5, 10**6).map(str), st.text(max_size=5)),
        "attributes": st.sampled_from(["userName", "members", "x", "", "urn:bad"]),
        "excludedAttributes": st.sampled_from(["members", "emails", "x"]),
    },
)
request = st.one_of(
    st.tuples(st.just("GET"), paths, query, st.none()),
    st.tuples(st.just("POST"), st.sampled_from(["/Users", "/Users/.search"]), st.just({}), user_body),
    st.tuples(st.just("POST"), st.just("/Groups"), st.just({}), group_body),
    st.tuples(st.sampled_from(["PUT"]), paths, st.just({}), st.one_of(user_body, group_body, json_values)),
    st.tuples(st.just("PATCH"), paths, st.just({}), patch_body),
    st.tuples(st.just("DELETE"), paths, st.just({}), st.none()),
    st.tuples(st.sampled_from(["POST", "PUT", "PATCH"]), paths, st.just({}), st.binary(max_size=60)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=request)
def test_generated_requests_never_get_a_server_error(client, people, made):
    method, path, params, body = made
    if isinstance(body, bytes):
        response = client.open(f"/scim/v2{path}", method=method, query_string=params, data=body, headers=HEADERS)
    else:
        response = client.open(
            f"/scim/v2{path}", method=method, query_string=params, data=json.dumps(body), headers=HEADERS
        )
    assert response.status_code < 500, (method, path, params, body, response.data[:500])
    if response.status_code >= 400:
        assert response.json["schemas"] == [ERROR], response.data[:500]
