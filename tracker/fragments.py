"""Page fragments rendered once and reused: the site header, the course cards and the matrix's cells.

Every learner page carries the header (a dozen links and translated labels) and the dashboard a card per course;
rendering them is most of what those pages cost. Both are pure functions of a few values, so each is cached under a
key made of exactly the values it shows (`{% cache None, "name", key %}` in the templates, Flask-Caching's tag):
a change of any of them is a different key, so nothing stale can be served and nothing needs invalidating. The cache
is per process (`PlainCache`, bounded): a fragment is cheaper to render again than to fetch from another host.
Nothing that differs per request or per session (CSRF tokens, the current query string) is ever inside a cached
fragment.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import Flask, current_app, g, request
from flask_babel import get_timezone
from flask_caching.backends.simplecache import SimpleCache
from flask_login import current_user
from markupsafe import Markup

from . import report_fragments
from .authz import can_manage_certificates, can_see_team_progress
from .extensions import fragments
from .i18n import current_language
from .services import certification


class _Unserialized:
    """Keeps values as they are: fragments are immutable strings that never leave the process."""

    @staticmethod
    def dumps(value):
        return value

    @staticmethod
    def loads(value):
        return value


class PlainCache(SimpleCache):
    """Flask-Caching's per-process cache without its pickling (every page reads four fragments; unpickling each
    cost more than the lookup)."""

    serializer = _Unserialized()


ENTRIES = 20_000  # fragments kept per process (a card is ~1 KB; a header ~1.5 KB per person and page kind)


def fragment_key(*parts) -> str:
    """The key of a fragment showing `parts`, in this request's language and under this app's address and name."""
    # repr() of a tuple is unambiguous, unlike joining the parts with a separator.
    prefix = g.get("_fragment_prefix")
    if prefix is None or prefix[0] != current_language():  # the language may change during a request
        g._fragment_prefix = prefix = (current_language(), request.script_root, current_app.config["ORGANISATION_NAME"])
    return repr((*prefix, *parts))


def header_key() -> str:
    """What the header shows: the page it marks as current, and the person's name and menus."""
    user = current_user
    if not user.is_authenticated:
        return fragment_key(request.endpoint, None)
    return fragment_key(request.endpoint, user.display_name, can_see_team_progress(user), can_manage_certificates(user))


def card_key(prefix: str, state, due_on: date | None, today: date | None, cert, cert_status) -> str:
    """What a course card shows (`_macros/_courses.html` course_card): the course version, the learner's progress
    and next step, the due date and whether it has passed, the certificate's status. `prefix`: its
    `fragment_key()` (the language and address)."""
    overdue = due_on is not None and today is not None and due_on < today
    revoked = cert is not None and cert.revoked_at is not None
    status = cert_status.value if cert_status is not None else None
    return prefix + repr((view_key(state.course), state.summary, due_on, overdue, status, revoked))


def cards_key(prefix: str, states, due, today: date, certificates) -> str:
    """The values of a grid of course cards (`card_key`'s for each), so that a whole grid is one fragment: a
    dashboard shows a card per course, mostly the same for everybody (not started, nothing due)."""
    parts = []
    for state in states:
        course = state.course
        due_on, cert = due.get(course.id), certificates.get(course.id)
        status = certification.status(cert).value if cert is not None else None
        overdue = due_on is not None and due_on < today
        revoked = cert is not None and cert.revoked_at is not None
        parts.append((view_key(course), state.summary, due_on, overdue, status, revoked))
    return prefix + repr(parts)


def view_key(course) -> tuple:
    """A course version as shown in one language (a `structure.CourseView`): everything a course, lesson or quiz
    page shows of the course itself follows from these (the content fingerprint covers titles and texts)."""
    return (course.id, course.content_hash, course.version, course.language)


def state_key(state) -> tuple:
    """A learner's progress in a course as the course page's module list shows it: lessons read and best quiz
    score per module."""
    return tuple((tuple(sorted(ms.lessons_read)), ms.best_score) for ms in state.modules)


CELL_ENTRIES = 50_000  # matrix cells kept per process (~200 bytes each); all dropped at once when full


_cells: dict[tuple, Markup] = {}


def matrix_cells(row, courses, not_assigned: str) -> list[tuple]:
    """A row's cells of the matrix, in the order of `courses` (id, slug, title), as (cell, what it shows, the course's
    title): the row macros (`_macros/_matrix.html` row_tr, row_card) wrap each in a table cell and a phone card's
    item.

    A page shows each cell twice and many alike (every "not started, not assigned" one), and a 50-row page has
    1,000 of them: what a set of values shows (`cell_inner`) is rendered once per process, language and time zone.
    These are kept in a plain dict, not the fragment cache: a thousand lookups a page must cost next to nothing (no
    pickling), and a cell holds no address, so nothing but the values, the language and the time zone shapes it."""
    context = g.get("_matrix_cell_context")
    if context is None:
        context = g._matrix_cell_context = (current_language(), str(get_timezone()), not_assigned)
    macros = None
    parts = []
    for course_id, _slug, title in courses:
        cell = row.cells[course_id]
        key = (
            context,
            cell.status,
            cell.label,
            cell.assigned,
            cell.percent,
            cell.score,
            cell.completed_at,
            cell.expires_at,
            cell.due_on,
            cell.revoked,
        )
        inner = _cells.get(key)
        if inner is None:
            macros = macros or current_app.jinja_env.get_template("_macros/_matrix.html").module
            inner = macros.cell_inner(cell, not_assigned)
            if len(_cells) >= CELL_ENTRIES:
                _cells.clear()
            _cells[key] = inner
        parts.append((cell, inner, title))
    return parts


ROW_ENTRIES = 1_000  # matrix rows kept per process (table row and card, ~10 KB at 20 courses); dropped at once


class MatrixRows(NamedTuple):
    table: Markup  # each row's <tr>
    cards: Markup  # each row's phone card (<li>)


_rows: dict[tuple, tuple[Markup, Markup]] = {}


def matrix_rows(rows, courses, not_assigned: str) -> MatrixRows:
    """The matrix page's rows, as table rows and as phone cards (`_macros/_matrix.html` row_tr, row_card).

    A row shows the person (their name, team, job role and transcript's address), the values of each cell and the
    totals that follow from them; with the page's courses, language, address and time zone, that is its key. Each
    set of values is rendered once per process (a page revisited is 50 lookups), and each row's key is made once for
    both its forms."""
    context = (fragment_key(), str(get_timezone()), not_assigned, tuple(courses))
    table, cards = [], []
    for row in rows:
        cells = row.cells
        values = tuple(
            [
                (c.status, c.label, c.assigned, c.percent, c.score, c.completed_at, c.expires_at, c.due_on, c.revoked)
                for c in (cells[course_id] for course_id, _slug, _title in courses)
            ]
        )
        key = (context, row.id, row.name, row.team, row.job_role, values)
        html = _rows.get(key)
        if html is None:
            macros = current_app.jinja_env.get_template("_macros/_matrix.html").module
            shown = matrix_cells(row, courses, not_assigned)
            html = (macros.row_tr(row, shown), macros.row_card(row, shown))
            if len(_rows) >= ROW_ENTRIES:
                _rows.clear()
            _rows[key] = html
        table.append(html[0])
        cards.append(html[1])
    return MatrixRows(Markup("").join(table), Markup("").join(cards))  # each part is Markup


def clear(app: Flask) -> None:
    """Drop every fragment this process keeps for `app` (to measure first views; nothing else needs it: the keys
    hold every value shown)."""
    _cells.clear()
    _rows.clear()
    report_fragments.clear()
    with app.app_context():
        fragments.clear()


def init_app(app: Flask) -> None:
    config = {"CACHE_TYPE": f"{__name__}.PlainCache", "CACHE_THRESHOLD": ENTRIES, "CACHE_DEFAULT_TIMEOUT": 0}
    fragments.init_app(app, config=config)
    app.jinja_env.globals.update(
        fragment_key=fragment_key,
        header_key=header_key,
        card_key=card_key,
        cards_key=cards_key,
        view_key=view_key,
        state_key=state_key,
        matrix_rows=matrix_rows,
        evidence_person=report_fragments.evidence_person,
    )
