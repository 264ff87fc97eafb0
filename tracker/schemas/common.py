"""Types every API area shares: bounded ids, page sizes, text, dates and moments, and the error envelope."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

# The database's integer columns are 32-bit (PostgreSQL `integer`): a larger id can name nothing, and sending one
# to PostgreSQL raises. Every id in a path, query or body is bounded to this range before any query.
INT32_MAX = 2**31 - 1
# URL rule converter for ids: numbers outside 1..INT32_MAX do not match the route, so they answer 404.
ID_RULE = f"int(min=1, max={INT32_MAX})"


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 1.0 as an integer: a whole float in a body is read as the integer (a strict body would
    refuse it); anything else is left to the type's own check."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Integer(ge: int | None = None, le: int | None = None) -> Any:  # noqa: N802 (used as a type)
    """An integer from `ge` to `le`; in a body, 2.0 is read as 2."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_whole_number)]


Id = Integer(1, INT32_MAX)
Offset = Annotated[int, Field(ge=0, le=INT32_MAX, description="Items to skip")]

# PostgreSQL text can not hold NUL. (Lone surrogates, which JSON can escape, pydantic refuses on its own.)
TEXT_PATTERN = r"^[^\x00]*$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("give text without NUL characters")
    return value


def Text(max_length: int, *, min_length: int | None = None) -> Any:  # noqa: N802 (used as a type)
    """A string of at most `max_length` characters that the database can store (the pattern documents the rule
    that the validator enforces with a readable message)."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": TEXT_PATTERN}),
        AfterValidator(_no_nul),
    ]


def OneOf(enum: type[Enum]) -> Any:  # noqa: N802 (used as a type)
    """A member of `enum` in a JSON body, sent as its value (a strict body would want the Python member)."""
    return Annotated[enum, Field(strict=False)]


class Model(BaseModel):
    model_config = ConfigDict(use_enum_values=True)


class Body(Model):
    """A JSON request body: exactly the JSON types the document declares (no coercion), no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(Model):
    """Query parameters: strings converted to the declared types; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


# A moment in an answer, written as Python writes it (2026-03-05T12:00:00+00:00), as the API always has.
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# --- days and moments ---------------------------------------------------------------------------------------------
# Years 1900-2999: wide enough for any record, and far from the ends of Python's and the databases' calendars
# (a moment near year 1 or 9999 overflows when moved to UTC). The range is in the document (a pattern), so
# clients and the schema tests know it.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_YEAR = "(19|2[0-9])[0-9]{2}"
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT_RE = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?")


def _parse_day(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY_RE.fullmatch(value):
        raise ValueError("give a date written as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("give a date that exists, written as YYYY-MM-DD") from exc


def _in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"give a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    return day


def _parse_moment(value: Any) -> datetime:
    """An ISO 8601 date or date-time; without a time zone it is read as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        if not isinstance(value, str) or not _MOMENT_RE.fullmatch(value.strip()):
            raise ValueError("give an ISO 8601 date or date-time, e.g. 2026-01-31T09:00:00Z")
        text = value.strip().upper()  # RFC 3339 allows a lower-case t and z
        try:
            moment = (
                datetime.fromisoformat(text) if len(text) > 10 else datetime.combine(date.fromisoformat(text), time.min)
            )
        except ValueError as exc:
            raise ValueError("give an ISO 8601 date or date-time that exists, e.g. 2026-01-31T09:00:00Z") from exc
    _in_range(moment.date())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Day = Annotated[
    date,
    BeforeValidator(_parse_day),
    AfterValidator(_in_range),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": f"^{_YEAR}-", "description": "YYYY-MM-DD, years 1900 to 2999"}
    ),
]
Moment = Annotated[
    datetime,
    BeforeValidator(_parse_moment),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": f"^{_YEAR}-"},
                {"type": "string", "format": "date-time", "pattern": f"^{_YEAR}-"},
            ],
            "description": "ISO 8601 date or date-time, years 1900 to 2999; without a time zone it is read as UTC",
            "examples": ["2026-01-31", "2026-01-31T09:00:00Z"],
        }
    ),
]


# --- the error envelope -------------------------------------------------------------------------------------------


class FieldProblem(Model):
    field: str = Field(description="The body field or query parameter at fault, e.g. team_id or answers.q1")
    message: str


class ErrorDetail(Model):
    code: int = Field(description="The HTTP status code")
    title: str
    message: str
    fields: list[FieldProblem] | None = Field(default=None, description="What is wrong with each input (400, 422)")
    missing: list[str] | None = Field(default=None, description="Question keys left unanswered (422 on submit)")


class Error(Model):
    """Every error answer of the API."""

    error: ErrorDetail
