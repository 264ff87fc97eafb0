"""Input at the edge: the bounds every id, text and date from a request must respect before it reaches a query.

PostgreSQL refuses an integer above 2^31 - 1 for an INTEGER column and a NUL byte in any text; SQLite accepts both.
Checking here, once, gives the same clear answer (404 for an id nobody can have, a form error for text or a date)
on both databases instead of a driver error."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # INTEGER columns (ids) on PostgreSQL and SQLAlchemy's Integer everywhere

# Control characters have no place in names, titles or notes (they break exports, PDFs and terminals; NUL is
# refused by PostgreSQL). Tabs and line breaks are allowed in multi-line text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")

# Dates people can mean in this product: due dates, validity, filters. Python and the databases accept years up to
# 9999, but arithmetic on them (a due date plus a reminder window) overflows near the end.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: an id past the database's integer range matches no route (404), like any other id
    that does not exist."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def is_digits(value: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²" or "٣", which `int()` then refuses or reads as another
    number."""
    return value.isascii() and value.isdigit()


def database_id(value: Any) -> int | None:
    """An id from a query string or a form: a positive integer within range, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and is_digits(value.strip()) and len(value.strip()) <= 12:
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= DB_INT_MAX else None


def bounded_int(value: Any, default: int, *, low: int = 1, high: int = DB_INT_MAX) -> int:
    """A page number or a count from a query string, clamped into [low, high]; `default` when not a number."""
    if isinstance(value, str) and is_digits(value.strip().removeprefix("-")) and len(value.strip()) <= 12:
        return min(max(int(value.strip()), low), high)
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, low), high)
    return default


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` cannot be stored as text, or None. (The message is the caller's to translate.)"""
    if _CONTROL.search(value):
        return "control"
    if not multiline and _LINE_BREAKS.search(value.strip()):
        return "line_break"
    return None


def date_in_range(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def init_app(app: Any) -> None:
    """Before any blueprint registers its rules, so every `<int:…>` uses the bounded converter."""
    app.url_map.converters["int"] = DatabaseIdConverter
