"""SCIM 2.0 provisioning at /scim/v2, replaying the requests Microsoft Entra ID and Okta document sending when
they provision, update, deactivate and delete a user and a group (their request shapes kept as published: `op`
in any case, Entra's own Group schema, Entra's member removal by value, Okta's group rename with the id).

Published examples use addresses at reserved domains (okta.local, testuser.com...): replaced with example.org."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, Certificate, Role, Team, User, UserSession
from tracker.services import accounts, sessions

TOKEN = "scim-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def app_config(database_url, instance_path):
    return make_config(database_url, instance_path, SCIM_TOKEN=TOKEN)


def scim(client, method: str, path: str, body=None, **headers):
    response = client.open(f"/scim/v2{path}", method=method, json=body, headers={**AUTH, **headers})
    assert response.status_code < 500, response.data
    if response.data:
        assert response.headers["Content-Type"].startswith("application/scim+json")
    return response


def _actions(source: str = "scim") -> list[str]:
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [e.action for e in events if (e.details or {}).get("source") == source]


# --- Microsoft Entra ID ------------------------------------------------------------------------------------------


def test_entra_id_user_lifecycle(client):
    # 1. Does the user exist? (filter on the matching attribute)
    found = scim(client, "GET", '/Users?filter=userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"')
    assert found.status_code == 200
    assert found.json["schemas"] == [LIST] and found.json["totalResults"] == 0 and found.json["Resources"] == []

    # 2. Create it.
    created = scim(
        client,
        "POST",
        "/Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@example.org"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": [],
        },
    )
    assert created.status_code == 201, created.json
    user_id = created.json["id"]
    assert created.json["userName"] == "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
    assert created.json["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{user_id}")
    person = db.session.get(User, int(user_id))
    assert (person.email, person.display_name, person.active) == (
        "test_user_fd0ea19b@example.org",
        "givenName familyName",
        True,
    )

    # 3. Read it, and find it by userName.
    assert scim(client, "GET", f"/Users/{user_id}").json["id"] == user_id
    again = scim(client, "GET", '/Users?filter=userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')
    assert again.json["totalResults"] == 1 and again.json["Resources"][0]["id"] == user_id

    # 4. Update multi-valued and single-valued attributes ("Replace" with a capital R).
    patched = scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@example.org"},
                {"op": "Replace", "path": "name.formatted", "value": "Updated Name"},
                {"op": "Replace", "path": "title", "value": "Analyst"},
            ],
        },
    )
    assert patched.status_code in (200, 204), patched.json
    db.session.expire_all()
    person = db.session.get(User, int(user_id))
    assert (person.email, person.display_name, person.job_role) == (
        "updatedemail@example.org",
        "Updated Name",
        "Analyst",
    )
    renamed = scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d@example.org"}]},
    )
    assert renamed.status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(User, int(user_id)).email == "5b50642d@example.org"  # an address: the account's email

    # 5. Disable: the account is deactivated and signed out everywhere, its tokens revoked.
    person = db.session.get(User, int(user_id))
    sessions.start(person, "192.0.2.1", "browser", sessions.Timeouts.from_config(client.application.config))
    accounts.create_api_token(person, "integration")
    db.session.commit()
    disabled = scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    assert disabled.status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(User, int(user_id)).active is False
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == int(user_id))) is None
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == int(user_id))) is not None
    assert scim(client, "GET", f"/Users/{user_id}").json["active"] is False

    # 6. Delete: gone for SCIM, kept (deactivated) with its records here.
    assert scim(client, "DELETE", f"/Users/{user_id}").status_code == 204
    assert scim(client, "GET", f"/Users/{user_id}").status_code == 404
    assert db.session.get(User, int(user_id)) is not None
    assert _actions() == [
        "user.created",
        "user.updated",
        "user.updated",
        "user.deactivated",
        "user.deprovisioned",
    ]


def test_entra_id_group_lifecycle(client, make_user):
    member = make_user(Role.LEARNER, email="member@example.org")
    db.session.commit()
    created = scim(
        client,
        "POST",
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
        },
    )
    assert created.status_code == 201, created.json
    group_id = created.json["id"]
    assert db.session.get(Team, int(group_id)).name == "displayName"

    read = scim(client, "GET", f"/Groups/{group_id}?excludedAttributes=members")
    assert read.json["displayName"] == "displayName" and "members" not in read.json
    found = scim(client, "GET", '/Groups?excludedAttributes=members&filter=displayName eq "displayName"')
    assert found.json["totalResults"] == 1

    renamed = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "displayName", "value": "Renamed group"}]},
    )
    assert renamed.status_code in (200, 204)
    added = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(member.id)}]}],
        },
    )
    assert added.status_code in (200, 204), added.json
    db.session.expire_all()
    assert db.session.get(User, member.id).team.name == "Renamed group"
    members = scim(client, "GET", f"/Groups/{group_id}").json["members"]
    assert [m["value"] for m in members] == [str(member.id)]

    removed = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(member.id)}]}],
        },
    )
    assert removed.status_code in (200, 204), removed.json
    db.session.expire_all()
    assert db.session.get(User, member.id).team_id is None

    assert scim(client, "DELETE", f"/Groups/{group_id}").status_code == 204
    assert scim(client, "GET", f"/Groups/{group_id}").status_code == 404
    assert db.session.get(Team, int(group_id)) is not None  # the team is left to the admins
    assert _actions() == ["team.created", "team.updated", "user.updated", "user.updated", "team.deprovisioned"]


# --- Okta --------------------------------------------------------------------------------------------------------


def test_okta_user_lifecycle(client, course):
    assert (
        scim(client, "GET", '/Users?filter=userName eq "test.user@example.org"&startIndex=1&count=100').json[
            "totalResults"
        ]
        == 0
    )
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "test.user@example.org",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": "test.user@example.org", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    created = scim(client, "POST", "/Users", body)
    assert created.status_code == 201, created.json
    user_id = created.json["id"]
    assert "password" not in created.json
    person = db.session.get(User, int(user_id))
    assert (person.display_name, person.role) == ("Test User", Role.LEARNER.value)
    assert not accounts.check_password_hash(person.password_hash, "1mz050nq")  # never a password from SCIM

    # A second create of the same userName: uniqueness.
    clash = scim(client, "POST", "/Users", body)
    assert clash.status_code == 409 and clash.json["scimType"] == "uniqueness"

    got = scim(client, "GET", f"/Users/{user_id}").json
    got["name"] = {"givenName": "Another", "familyName": "Name"}
    got["displayName"] = "Another Name"
    replaced = scim(client, "PUT", f"/Users/{user_id}", got)
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["displayName"] == "Another Name"

    factories.complete_course(person, course)  # training records, which deactivation never touches
    db.session.commit()
    deactivated = scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert deactivated.status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(User, int(user_id)).active is False
    assert db.session.scalar(select(Certificate).where(Certificate.user_id == int(user_id))) is not None

    # Reactivated by Okta later.
    back = scim(
        client,
        "PATCH",
        f"/Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]},
    )
    assert back.status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(User, int(user_id)).active is True
    assert "user.reactivated" in _actions()


def test_okta_group_push(client, make_user):
    one = make_user(Role.LEARNER, email="one@example.org")
    two = make_user(Role.LEARNER, email="two@example.org")
    db.session.commit()
    created = scim(client, "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []})
    assert created.status_code == 201
    group_id = created.json["id"]
    listing = scim(client, "GET", "/Groups?startIndex=1&count=100").json
    assert listing["totalResults"] == 1 and listing["itemsPerPage"] == 1 and listing["startIndex"] == 1

    renamed = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": "Sales"}}]},
    )
    assert renamed.status_code in (200, 204), renamed.json
    members = [{"value": str(one.id), "display": one.email}, {"value": str(two.id), "display": two.email}]
    added = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]},
    )
    assert added.status_code in (200, 204)
    removed = scim(
        client,
        "PATCH",
        f"/Groups/{group_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": f'members[value eq "{one.id}"]'}]},
    )
    assert removed.status_code in (200, 204)
    db.session.expire_all()
    assert db.session.get(User, one.id).team_id is None
    assert db.session.get(User, two.id).team.name == "Sales"
    put = scim(
        client,
        "PUT",
        f"/Groups/{group_id}",
        {"schemas": [GROUP_SCHEMA], "id": group_id, "displayName": "Sales", "members": [{"value": str(one.id)}]},
    )
    assert put.status_code == 200
    db.session.expire_all()
    assert (db.session.get(User, one.id).team_id, db.session.get(User, two.id).team_id) == (int(group_id), None)
    assert scim(client, "DELETE", f"/Groups/{group_id}").status_code == 204


# --- discovery, paging, errors ------------------------------------------------------------------------------------


def test_discovery_endpoints(client):
    config = scim(client, "GET", "/ServiceProviderConfig").json
    assert config["patch"]["supported"] is True and config["filter"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim(client, "GET", "/ResourceTypes").json
    assert sorted(r["name"] for r in types["Resources"]) == ["Group", "User"]
    schemas = scim(client, "GET", "/Schemas").json
    assert {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE} <= {s["id"] for s in schemas["Resources"]}


def test_paging(client, make_user):
    for number in range(5):
        make_user(Role.LEARNER, email=f"p{number}@example.org")
    db.session.commit()
    page = scim(client, "GET", "/Users?startIndex=2&count=2").json
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and len(page["Resources"]) == 2
    every = scim(client, "GET", "/Users").json["Resources"]
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in every[1:3]]


def test_bearer_token_required(client, app):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/scim/v2/Users", headers=headers)
        assert response.status_code == 401
        assert response.json["schemas"] == [ERROR]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "scim_type"),
    [
        ("POST", "/Users", b"{not json", 400, "invalidSyntax"),
        ("POST", "/Users", b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}', 400, "invalidValue"),
        ("POST", "/Users", b'{"schemas": ["' + USER_SCHEMA.encode() + b'"], "userName": "x"}', 400, "invalidValue"),
        ("POST", "/Users", b"[]", 400, "invalidSyntax"),
        (
            "PATCH",
            "/Users/1",
            b'{"schemas": ["' + PATCH_OP.encode() + b'"], "Operations": [{"op": "jump"}]}',
            400,
            "invalidValue",
        ),
        ("GET", "/Users?filter=userName eq", None, 400, "invalidFilter"),
        ("GET", "/Users/99999999999999999999", None, 404, None),
        ("DELETE", "/Groups/abc", None, 404, None),
        ("GET", "/Nothing", None, 404, None),
    ],
)
def test_bad_requests_get_scim_errors(client, make_user, method, path, body, status, scim_type):
    make_user(Role.LEARNER, email="someone@example.org")
    db.session.commit()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    response = client.open(f"/scim/v2{path}", method=method, data=body, headers=headers)
    assert response.status_code == status, response.data
    assert response.json["schemas"] == [ERROR]
    assert response.json.get("scimType") == scim_type


def test_a_local_account_is_found_and_taken_over(client, make_user):
    local = make_user(Role.MANAGER, email="local@example.org")
    db.session.commit()
    found = scim(client, "GET", '/Users?filter=userName eq "LOCAL@example.org"').json
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(local.id)
    patched = scim(
        client,
        "PATCH",
        f"/Users/{local.id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "externalId", "value": "ext-1"}]},
    )
    assert patched.status_code in (200, 204)
    assert scim(client, "GET", '/Users?filter=externalId eq "ext-1"').json["totalResults"] == 1
    assert db.session.get(User, local.id).role == Role.MANAGER.value  # SCIM leaves roles alone


def test_deleted_user_provisioned_again_keeps_the_account(client):
    body = {"schemas": [USER_SCHEMA], "userName": "back@example.org", "active": True}
    first = scim(client, "POST", "/Users", body).json["id"]
    assert scim(client, "DELETE", f"/Users/{first}").status_code == 204
    again = scim(client, "POST", "/Users", body)
    assert again.status_code == 201 and again.json["id"] == first
    assert db.session.get(User, int(first)).active is True
