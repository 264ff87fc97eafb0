"""The evidence report page's people, each rendered once per distinct record, language and time zone.

A page lists 50 people with a few hundred completed courses: some 400 translated strings and 600 dates, most of the
page's cost. A person's part of the table (`_macros/_evidence.html` person_body) shows nothing but the values of
their record (`records.PersonRecord`, frozen and compared field by field, the certificate status and what is overdue
included) in the viewer's language and time zone: it holds no address, form or token. So the record itself, with the
language and the zone, is the key: any change of a shown value is a different record, hence a different key, and
nothing stale or belonging to another viewer can be served. The fragments live in a bounded per-process dict like the
matrix's cells (`fragments.matrix_cells`).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_timezone
from markupsafe import Markup

from .i18n import current_language
from .services.reporting.records import PersonRecord

PEOPLE_ENTRIES = 4_000  # people kept per process (~2.5 KB each); all dropped at once when full

_people: dict[tuple, Markup] = {}


def evidence_person(person: PersonRecord) -> Markup:
    """The table body of one person of the evidence report page."""
    key = (current_language(), str(get_timezone()), person)
    html = _people.get(key)
    if html is None:
        macros = current_app.jinja_env.get_template("_macros/_evidence.html").module
        html = macros.person_body(person)  # Markup: the environment autoescapes
        if len(_people) >= PEOPLE_ENTRIES:
            _people.clear()
        _people[key] = html
    return html


def clear() -> None:
    """Drop every kept fragment (a measurement of the first rendering)."""
    _people.clear()
