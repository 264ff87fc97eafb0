"""Lists of certificates: the admin's work list, a learner's own and a team's (for managers)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, undefer

from ...extensions import db
from ...models import Certificate, User
from ..paging import Page, paginate
from ..queries import current_certificates, is_current_revision
from .status import is_pending

ADMIN_LIST_LIMIT = 200


class AdminView(StrEnum):
    ATTENTION = "attention"
    ALL = "all"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return str({"attention": _l("Needs attention"), "all": _l("All current"), "revoked": _l("Revoked")}[self.value])


def needs_attention() -> ColumnElement[bool]:
    """Current, not revoked, and either waiting for a printable name or asked to be reissued by the learner."""
    return and_(
        is_current_revision(),
        Certificate.revoked_at.is_(None),
        or_(is_pending(), Certificate.reissue_requested_at.is_not(None)),
    )


def attention_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Certificate).where(needs_attention())) or 0


def admin_list(view: AdminView, search: str = "") -> list[Certificate]:
    """The newest certificates of a view, matching an email, a printed name or a code."""
    query = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .options(joinedload(Certificate.user))
        .order_by(Certificate.created_at.desc())
    )
    if view == AdminView.ATTENTION:
        query = query.where(needs_attention())
    elif view == AdminView.REVOKED:
        query = query.where(Certificate.revoked_at.is_not(None))
    else:
        query = query.where(is_current_revision())
    if search:
        like = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                User.email.like(like, escape="\\"),
                Certificate.learner_name.ilike(like, escape="\\"),
                Certificate.code == search.upper(),
            )
        )
    return list(db.session.scalars(query.limit(ADMIN_LIST_LIMIT)))


def of_learner(user_id: int) -> list[Certificate]:
    """A learner's current certificates, newest award first."""
    return list(
        db.session.scalars(
            current_certificates().where(Certificate.user_id == user_id).order_by(Certificate.issued_at.desc())
        )
    )


TEAM_PAGE_SIZE = 50  # certificates per page of the team list (an organisation holds hundreds of thousands)


def _of_teams(team_ids: set[int] | None) -> Select:
    query = (
        current_certificates()
        .join(User, User.id == Certificate.user_id)
        .options(joinedload(Certificate.user).joinedload(User.team))
        .order_by(User.display_name, User.id, Certificate.issued_at.desc(), Certificate.id)
    )
    return query if team_ids is None else query.where(User.team_id.in_(sorted(team_ids)))


def of_teams(team_ids: set[int] | None, *, with_pdf: bool = False) -> list[Certificate]:
    """Current certificates of the people in some teams (None: everyone), by person, newest first: all of them
    (for a ZIP of them; the page lists them a page at a time, `page_of_teams`)."""
    if team_ids is not None and not team_ids:
        return []
    query = _of_teams(team_ids)
    if with_pdf:
        query = query.options(undefer(Certificate.pdf))
    return list(db.session.scalars(query))


def page_of_teams(team_ids: set[int] | None, number: int, per_page: int | None = None) -> Page[Certificate]:
    """One page of `of_teams`: a count and a page of rows, whatever the number of certificates."""
    per_page = per_page or TEAM_PAGE_SIZE
    if team_ids is not None and not team_ids:
        return Page([], 0, 1, per_page)
    return paginate(_of_teams(team_ids), number, per_page)
