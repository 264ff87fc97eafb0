"""Reading a people CSV file: the header, and each row's cells checked on their own (no database)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .... import inputs
from ....i18n import LANGUAGES
from ... import DomainError, accounts

MAX_ROWS = 5000
COLUMNS = ("email", "name", "team", "job_role", "manager", "language")
REQUIRED_COLUMNS = ("email", "name")
TEXT_MAX = 120
EMAIL_MAX = 254
FIELD_LABELS = {"name": _l("name"), "team": _l("team"), "job_role": _l("job role"), "language": _l("language")}


@dataclass
class ImportRow:
    line: int
    email: str = ""
    name: str = ""
    team: str | None = None
    job_role: str | None = None
    manager: str | None = None
    language: str | None = None  # en, de or fr; empty: the organisation's language
    errors: list[str] = field(default_factory=list)
    action: str = ""  # "create", "update" or "unchanged" once the row is planned
    changes: list[str] = field(default_factory=list)  # what an update changes, in words
    manager_invalid: bool = False

    @property
    def team_key(self) -> str | None:
        return self.team.lower() if self.team else None


def decode(raw: bytes) -> str:
    """UTF-8 text with or without a byte-order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")) from None


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _check_header(header: list[str]) -> list[str]:
    names = [_header_name(cell) for cell in header]
    errors = []
    if any(not name for name in names):
        errors.append(_("The header has a column without a name."))
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        errors.append(
            _("These columns appear more than once in the header: %(columns)s.", columns=", ".join(duplicated))
        )
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name and name not in COLUMNS]
    if unknown:
        errors.append(
            _(
                "Unknown columns in the header: %(unknown)s. Use only: %(columns)s.",
                unknown=", ".join(unknown),
                columns=", ".join(COLUMNS),
            )
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    example = ",".join(COLUMNS)
    if len(missing) == len(REQUIRED_COLUMNS):
        errors.append(
            _(
                "The header has no email or name column. The first line must name the columns, "
                "for example: %(example)s.",
                example=example,
            )
        )
    elif missing:
        errors.append(
            _(
                "The header has no %(column)s column. The first line must name the columns, for example: %(example)s.",
                column=missing[0],
                example=example,
            )
        )
    return errors


def read_rows(text: str) -> tuple[list[ImportRow], list[str]]:
    """Split the text into rows with their line numbers; returns (rows, errors about the whole file)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], [_("The file is empty.")]
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are skipped
            if header is None:
                header = cells
            elif len(records) == MAX_ROWS:  # counted while reading: a huge file is refused, not read whole
                limit = format_decimal(MAX_ROWS)
                return [], [_("The file has more than %(max)s rows; import at most %(max)s at a time.", max=limit)]
            else:
                records.append((start, cells))
    except csv.Error as exc:
        return [], [
            _("The file could not be read as CSV near line %(line)s: %(problem)s.", line=reader.line_num, problem=exc)
        ]
    if header is None:  # only blank lines
        return [], [_("The file is empty.")]
    header_errors = _check_header(header)
    if header_errors:
        return [], header_errors
    if not records:
        return [], [_("The file has a header but no people.")]

    columns = [_header_name(cell) for cell in header]
    rows = []
    for line, cells in records:
        if len(cells) != len(columns):
            rows.append(
                ImportRow(
                    line=line,
                    errors=[
                        _(
                            "This line has %(given)s values; the header has %(expected)s.",
                            given=len(cells),
                            expected=len(columns),
                        )
                    ],
                )
            )
            continue
        values = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
        rows.append(_check_cells(line, values))
    return rows, []


def _valid_email(email: str) -> str | None:
    """Why `email` is not a plausible address, or None when it is."""
    if len(email) > EMAIL_MAX:
        return _("it is longer than %(max)s characters", max=EMAIL_MAX)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc).rstrip(".")
    return None


def _check_cells(line: int, values: dict[str, str]) -> ImportRow:
    row = ImportRow(
        line=line,
        email=accounts.normalise_email(values.get("email", "")),
        name=values.get("name", ""),
        team=values.get("team") or None,
        job_role=values.get("job_role") or None,
        manager=accounts.normalise_email(values.get("manager", "")) or None,
        language=values.get("language", "").lower() or None,
    )
    if row.language and row.language not in LANGUAGES:
        row.errors.append(
            _(
                "The language “%(value)s” is not one of %(languages)s.",
                value=row.language,
                languages=", ".join(LANGUAGES),
            )
        )
    if not row.email:
        row.errors.append(_("The email is missing."))
    elif problem := _valid_email(row.email):
        row.errors.append(_("“%(email)s” is not a valid email address: %(problem)s.", email=row.email, problem=problem))
    if not row.name:
        row.errors.append(_("The name is missing."))
    elif len(row.name) > TEXT_MAX:
        row.errors.append(_("The name is longer than %(TEXT_MAX)s characters.", TEXT_MAX=TEXT_MAX))
    for column in ("name", "team", "job_role"):
        if inputs.text_problem(values.get(column, ""), multiline=False):
            row.errors.append(
                _("The %(column)s holds control characters or line breaks.", column=FIELD_LABELS.get(column, column))
            )
    if row.team and len(row.team) > TEXT_MAX:
        row.errors.append(_("The team name is longer than %(TEXT_MAX)s characters.", TEXT_MAX=TEXT_MAX))
    if row.job_role and len(row.job_role) > TEXT_MAX:
        row.errors.append(_("The job role is longer than %(TEXT_MAX)s characters.", TEXT_MAX=TEXT_MAX))
    if row.manager:
        if problem := _valid_email(row.manager):
            row.manager_invalid = True
            row.errors.append(
                _(
                    "The manager “%(manager)s” is not a valid email address: %(problem)s.",
                    manager=row.manager,
                    problem=problem,
                )
            )
        elif not row.team:
            row.errors.append(_("A manager is given but no team: the manager column names the manager of the team."))
    return row


# --- checking against each other and the database ----------------------------------------------------------------
