"""SCIM 2.0 provisioning (RFC 7643/7644) over people and teams: scim2-server speaks the protocol (routing,
validation with scim2-models, PATCH, filters' syntax, conditional requests, errors) and calls this storage.

Users are accounts (userName is the email address); Groups are teams (a member's team is the group). DELETE of a
user deactivates it and hides it from SCIM (RFC 7644 §3.6), keeping the account and its training records; a
POST of the same userName later brings it back. DELETE of a group leaves the team to the admins. Every change is
audited with the source "scim". Nothing here reads the request or commits.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    GroupMember,
    GroupMembership,
    InvalidValueException,
    Meta,
    Name,
    NotFoundException,
    NotImplementedException,
    Pagination,
    Patch,
    PreconditionFailedException,
    ResourceType,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
    User,
)
from scim2_models.path.expressions import AttrPath, CompareOperator, Comparison, ValuePath
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...i18n import LANGUAGES
from ...inputs import is_digits
from ...models import ProvisionedTeam, ProvisionedUser, Team, utcnow
from ...models import User as Person
from .. import DomainError
from ..organisation.people import checked_email
from . import provisioning

ScimUser = User[EnterpriseUser]
MAX_RESULTS = 200
ID_MAX = 2**31 - 1
SOURCE_NAME = "SCIM provisioning"


def provider() -> ScimProvider:
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        pagination=Pagination(index=True, cursor=False, default_page_size=100, max_page_size=MAX_RESULTS),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The SCIM token of the organisation (SCIM_TOKEN), sent as Authorization: Bearer <token>",
                primary=True,
            )
        ],
    )
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[ResourceType.from_resource(ScimUser), ResourceType.from_resource(Group)],
        config=config,
    )


def _source() -> provisioning.Source:
    return provisioning.Source("scim", actor_email=SOURCE_NAME)


def _version(payload: dict) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def _id(resource_id: str | None) -> int:
    if resource_id is None or not is_digits(resource_id) or int(resource_id) > ID_MAX:
        raise NotFoundException(detail=f"Resource {resource_id!r} not found")
    return int(resource_id)


def _locale(preferred: str | None) -> str | None:
    language = (preferred or "").replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


class PeopleStorage(ScimStorage):
    """Users and Groups read from and written to the people and teams tables."""

    def __init__(self, department_as_team: bool = False) -> None:
        self.department_as_team = department_as_team

    def operation(self):
        return db.session.begin_nested()  # a failed operation leaves nothing behind

    # --- reading -------------------------------------------------------------------------------------------

    def get(self, resource_type: ResourceType, resource_id: str, *, response_parameters=None):
        if resource_type.name == "User":
            return self._user_resource(self._person(resource_id))
        with_members = not (
            response_parameters is not None
            and any(str(path).lower() == "members" for path in (response_parameters.excluded_attributes or []))
        )
        return self._group_resource(self._team(resource_id), with_members=with_members)

    def _person(self, resource_id: str | None) -> Person:
        person = db.session.get(Person, _id(resource_id))
        link = db.session.get(ProvisionedUser, person.id) if person is not None else None
        if person is None or (link is not None and link.deleted_at is not None):
            raise NotFoundException(detail=f"User {resource_id!r} not found")
        return person

    def _team(self, resource_id: str | None) -> Team:
        team = db.session.get(Team, _id(resource_id))
        link = db.session.get(ProvisionedTeam, team.id) if team is not None else None
        if team is None or (link is not None and link.deleted_at is not None):
            raise NotFoundException(detail=f"Group {resource_id!r} not found")
        return team

    def _user_resource(self, person: Person) -> ScimUser:
        link = db.session.get(ProvisionedUser, person.id)
        resource = ScimUser(
            id=str(person.id),
            external_id=link.external_id if link else None,
            user_name=(link.user_name if link else None) or person.email,
            display_name=person.display_name,
            name=Name(formatted=person.display_name),
            title=person.job_role,
            preferred_language=person.locale,
            active=person.active,
            emails=[Email(value=person.email, primary=True, type="work")],
            groups=[GroupMembership(value=str(person.team.id), display=person.team.name, type="direct")]
            if person.team is not None
            else None,
        )
        if self.department_as_team and person.team is not None:
            resource[EnterpriseUser] = EnterpriseUser(department=person.team.name)
        payload = resource.model_dump()
        resource.meta = Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=link.updated_at if link else person.created_at,
            version=_version(payload),
        )
        return resource

    def _members(self, team: Team) -> list[Person]:
        return list(db.session.scalars(select(Person).where(Person.team_id == team.id).order_by(Person.id)))

    def _group_resource(self, team: Team, with_members: bool = True) -> Group:
        link = db.session.get(ProvisionedTeam, team.id)
        members = self._members(team)
        resource = Group(
            id=str(team.id),
            external_id=link.external_id if link else None,
            display_name=team.name,
            members=[
                GroupMember(value=str(p.id), display=p.display_name, type="User", ref=f"Users/{p.id}") for p in members
            ]
            if with_members
            else None,
        )
        resource.meta = Meta(
            resource_type="Group",
            created=team.created_at,
            last_modified=link.updated_at if link else team.created_at,
            version=_version(
                {"name": team.name, "external_id": resource.external_id, "members": [p.id for p in members]}
            ),
        )
        return resource

    # --- searching -----------------------------------------------------------------------------------------

    def search(self, resource_types: list[ResourceType], search_request: SearchRequest, *, position: Any = None):
        if len(resource_types) != 1:
            raise NotImplementedException(detail="Search at the root is not supported; search /Users or /Groups")
        is_user = resource_types[0].name == "User"
        scim_filter = search_request.filter
        query = self._indexed(is_user, scim_filter)
        start = max(1, search_request.start_index or 1)
        count = MAX_RESULTS if search_request.count is None else max(0, min(search_request.count, MAX_RESULTS))
        build = self._user_resource if is_user else self._group_resource
        if query is not None:
            total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
            rows = list(db.session.scalars(query.offset(start - 1).limit(count))) if count else []
            return SearchPage(total=total, resources=[build(row) for row in rows])
        # Any other filter: evaluated by scim2-models on every resource (an organisation's people fit in memory).
        every = list(db.session.scalars(self._visible(is_user)))
        model = ScimUser if is_user else Group
        bound = ScimFilter[model](str(scim_filter)) if scim_filter is not None else None
        found = [resource for resource in map(build, every) if bound is None or bound.match(resource)]
        return SearchPage(total=len(found), resources=found[start - 1 : start - 1 + count])

    def _visible(self, is_user: bool):
        if is_user:
            link = ProvisionedUser
            return (
                select(Person)
                .options(joinedload(Person.team))
                .outerjoin(link, link.user_id == Person.id)
                .where(link.deleted_at.is_(None))
                .order_by(Person.id)
            )
        return (
            select(Team)
            .outerjoin(ProvisionedTeam, ProvisionedTeam.team_id == Team.id)
            .where(ProvisionedTeam.deleted_at.is_(None))
            .order_by(Team.id)
        )

    def _indexed(self, is_user: bool, scim_filter):
        """The SQL query of the filters identity providers send (attribute eq "value"); None for others."""
        query = self._visible(is_user)
        if scim_filter is None:
            return query
        node = scim_filter.ast
        if isinstance(node, ValuePath) and isinstance(node.val_filter, Comparison) and node.sub_attr is None:
            # emails[value eq "x"]
            inner = node.val_filter
            path = AttrPath(attr=node.attr_path.attr, sub_attr=inner.attr_path.attr, uri=node.attr_path.uri)
            node = Comparison(attr_path=path, op=inner.op, value=inner.value)
        if not isinstance(node, Comparison) or node.op != CompareOperator.eq or not isinstance(node.value, str):
            return None
        name = node.attr_path.attr.lower() + ("." + node.attr_path.sub_attr.lower() if node.attr_path.sub_attr else "")
        value = node.value
        if is_user:
            if name == "username":
                lowered = value.strip().lower()
                return query.where(or_(Person.email == lowered, func.lower(ProvisionedUser.user_name) == lowered))
            if name in ("emails", "emails.value"):
                return query.where(Person.email == value.strip().lower())
            if name == "externalid":
                return query.where(ProvisionedUser.external_id == value)
            if name == "id":
                return query.where(Person.id == (int(value) if is_digits(value) and int(value) <= ID_MAX else 0))
            return None
        if name == "displayname":
            return query.where(provisioning.same_name(value))
        if name == "externalid":
            return query.where(ProvisionedTeam.external_id == value)
        if name == "id":
            return query.where(Team.id == (int(value) if is_digits(value) and int(value) <= ID_MAX else 0))
        return None

    # --- users ---------------------------------------------------------------------------------------------

    def _email_of(self, resource) -> tuple[str, str | None]:
        """The account's email: userName when it is an address, else the primary (or first) email. Returns it
        with the userName to keep beside it (None when it is the email)."""
        user_name = (resource.user_name or "").strip()
        try:
            return checked_email(user_name), None
        except DomainError:
            pass
        emails = sorted(resource.emails or [], key=lambda e: (not e.primary, str(e.type or "") != "work"))
        for candidate in emails:
            try:
                return checked_email(str(candidate.value or "")), user_name[:255] or None
            except DomainError:
                continue
        raise InvalidValueException(detail="userName or an email must be an email address")

    def _user_name_taken(self, user_name: str | None, except_id: int | None) -> bool:
        if not user_name:
            return False
        query = select(ProvisionedUser.user_id).where(func.lower(ProvisionedUser.user_name) == user_name.lower())
        if except_id is not None:
            query = query.where(ProvisionedUser.user_id != except_id)
        return db.session.scalar(query) is not None

    def _user_fields(self, resource, current: Person | None = None) -> dict:
        email, _user_name = self._email_of(resource)
        names = [resource.display_name]
        if resource.name:
            names.append(resource.name.formatted)
            names.append(" ".join(part for part in (resource.name.given_name, resource.name.family_name) if part))
        names = [cleaned for cleaned in map(provisioning.clean_text, names) if cleaned]
        # displayName and name may both be sent: the one that changed is the new name.
        changed = [name for name in names if current is None or name != current.display_name]
        name = (changed or names or [None])[0]
        fields: dict = {
            "email": email,
            "display_name": name or email.split("@", 1)[0],
            "job_role": resource.title,
            "locale": _locale(resource.preferred_language),
        }
        extension = resource[EnterpriseUser] if self.department_as_team else None
        if extension is not None and extension.department:
            fields["team"] = provisioning.team_named(extension.department, _source())
        return fields

    def create(self, resource_type: ResourceType, resource):
        if resource_type.name == "Group":
            return self._create_group(resource)
        fields = self._user_fields(resource)
        _email, user_name = self._email_of(resource)
        existing = db.session.scalar(select(Person).where(Person.email == fields["email"]))
        if existing is None and user_name:
            existing = db.session.scalar(
                select(Person).join(ProvisionedUser).where(func.lower(ProvisionedUser.user_name) == user_name.lower())
            )
        if existing is not None:
            link = db.session.get(ProvisionedUser, existing.id)
            if link is None or link.deleted_at is None:
                raise UniquenessException(detail=f"A user with userName {fields['email']!r} exists")
            # Deleted here before and provisioned again (a returning employee): the same account and records.
            link.deleted_at = None
            return self._apply_user(existing, link, resource, self._user_fields(resource, current=existing))
        person = provisioning.create_person(
            fields["email"],
            fields["display_name"],
            _source(),
            job_role=fields["job_role"],
            team=fields.get("team"),
            locale=fields["locale"],
            active=resource.active is not False,
        )
        db.session.add(
            ProvisionedUser(
                user_id=person.id, external_id=resource.external_id, user_name=user_name, updated_at=utcnow()
            )
        )
        db.session.flush()
        return self._user_resource(person)

    def _apply_user(self, person: Person, link: ProvisionedUser, resource, fields: dict):
        source = _source()
        _email, user_name = self._email_of(resource)
        if self._user_name_taken(user_name, except_id=person.id):
            raise UniquenessException(detail=f"A user with userName {user_name!r} exists")
        try:
            provisioning.update_person(person, source, **fields)
        except DomainError:
            raise UniquenessException(detail=f"A user with userName {fields['email']!r} exists") from None
        if resource.active is False:
            provisioning.deactivate(person, source, reason="deactivated_by_provisioning")
        elif resource.active is True:
            provisioning.reactivate(person, source)
        link.external_id = resource.external_id
        link.user_name = user_name
        link.updated_at = utcnow()
        db.session.flush()
        return self._user_resource(person)

    def _check_version(self, current, expected_version: str | None) -> None:
        if expected_version is not None and current.meta.version != expected_version:
            raise PreconditionFailedException(detail="The resource changed since it was read")

    def update(self, resource_type: ResourceType, resource, *, expected_version: str | None = None):
        if resource_type.name == "Group":
            return self._update_group(resource, expected_version)
        person = self._person(resource.id)
        self._check_version(self._user_resource(person), expected_version)
        link = db.session.get(ProvisionedUser, person.id)
        if link is None:  # a local account the provider matched by userName: managed by it from now on
            link = ProvisionedUser(user_id=person.id, updated_at=utcnow())
            db.session.add(link)
        return self._apply_user(person, link, resource, self._user_fields(resource, current=person))

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None):
        if resource_type.name == "Group":
            return self._delete_group(resource_id, expected_version)
        person = self._person(resource_id)
        self._check_version(self._user_resource(person), expected_version)
        link = db.session.get(ProvisionedUser, person.id)
        if link is None:
            link = ProvisionedUser(user_id=person.id, updated_at=utcnow())
            db.session.add(link)
        source = _source()
        provisioning.deactivate(person, source, reason="deleted_by_provisioning")
        link.deleted_at = link.updated_at = utcnow()
        source.record("user.deprovisioned", "user", person.id, {"records_kept": True})
        db.session.flush()
        return None

    # --- groups --------------------------------------------------------------------------------------------

    def _group_name(self, resource) -> str:
        name = provisioning.clean_text(resource.display_name)
        if not name:
            raise InvalidValueException(detail="displayName is required")
        return name

    def _name_taken(self, name: str, except_id: int | None = None) -> bool:
        query = select(Team.id).where(provisioning.same_name(name))
        if except_id is not None:
            query = query.where(Team.id != except_id)
        return db.session.scalar(query) is not None

    def _create_group(self, resource):
        name = self._group_name(resource)
        existing = db.session.scalar(select(Team).where(provisioning.same_name(name)).limit(1))
        link = db.session.get(ProvisionedTeam, existing.id) if existing is not None else None
        if existing is not None and (link is None or link.deleted_at is None):
            raise UniquenessException(detail=f"A group named {name!r} exists")
        team = existing or provisioning.team_named(name, _source())
        if link is None:
            link = ProvisionedTeam(team_id=team.id, updated_at=utcnow())
            db.session.add(link)
        link.deleted_at = None
        link.external_id = resource.external_id
        self._set_members(team, resource.members or [])
        db.session.flush()
        return self._group_resource(team)

    def _update_group(self, resource, expected_version: str | None):
        team = self._team(resource.id)
        self._check_version(self._group_resource(team), expected_version)
        name = self._group_name(resource)
        if name != team.name:
            if self._name_taken(name, except_id=team.id):
                raise UniquenessException(detail=f"A group named {name!r} exists")
            _source().record("team.updated", "team", team.id, {"name": [team.name, name]})
            team.name = name
        link = db.session.get(ProvisionedTeam, team.id)
        if link is None:
            link = ProvisionedTeam(team_id=team.id)
            db.session.add(link)
        link.external_id = resource.external_id
        link.updated_at = utcnow()
        self._set_members(team, resource.members or [])
        db.session.flush()
        return self._group_resource(team)

    def _set_members(self, team: Team, members: list) -> None:
        """A person's team is the group that lists them; leaving it leaves them without a team."""
        wanted = {int(m.value) for m in members if m.value and is_digits(str(m.value)) and int(m.value) <= ID_MAX}
        current = {p.id: p for p in self._members(team)}
        source = _source()
        for person_id in sorted(set(current) - wanted):
            provisioning.update_person(current[person_id], source, team=None)
        if wanted - set(current):
            for person in db.session.scalars(select(Person).where(Person.id.in_(wanted - set(current)))):
                provisioning.update_person(person, source, team=team)

    def _delete_group(self, resource_id: str, expected_version: str | None) -> None:
        team = self._team(resource_id)
        self._check_version(self._group_resource(team), expected_version)
        link = db.session.get(ProvisionedTeam, team.id)
        if link is None:
            link = ProvisionedTeam(team_id=team.id)
            db.session.add(link)
        link.deleted_at = link.updated_at = utcnow()
        # The team stays with its members and assignments: admins decide what becomes of them.
        members = len(self._members(team))
        _source().record("team.deprovisioned", "team", team.id, {"name": team.name, "members": members})
        db.session.flush()
