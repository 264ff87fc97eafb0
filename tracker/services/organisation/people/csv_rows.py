"""Reading a people CSV file: the header, and each row's cells checked on their own (no database)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import DomainError, accounts

MAX_ROWS = 5000
COLUMNS = ("email", "name", "team", "job_role", "manager")
REQUIRED_COLUMNS = ("email", "name")
TEXT_MAX = 120
EMAIL_MAX = 254
FIELD_LABELS = {"name": _l("name"), "team": _l("team"), "job_role": _l("job role")}


@dataclass
class ImportRow:
    line: int
    email: str = ""
    name: str = ""
    team: str | None = None
    job_role: str | None = None
    manager: str | None = None
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
        errors.append("The header has a column without a name.")
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        errors.append(f"These columns appear more than once in the header: {', '.join(duplicated)}.")
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name and name not in COLUMNS]
    if unknown:
        errors.append(f"Unknown columns in the header: {', '.join(unknown)}. Use only: {', '.join(COLUMNS)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        errors.append(
            f"The header has no {' or '.join(missing)} column. The first line must name the columns, "
            f"for example: {','.join(COLUMNS)}."
        )
    return errors


def read_rows(text: str) -> tuple[list[ImportRow], list[str]]:
    """Split the text into rows with their line numbers; returns (rows, errors about the whole file)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], ["The file is empty."]
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
            else:
                records.append((start, cells))
    except csv.Error as exc:
        return [], [f"The file could not be read as CSV near line {reader.line_num}: {exc}."]
    if header is None:  # only blank lines
        return [], ["The file is empty."]
    header_errors = _check_header(header)
    if header_errors:
        return [], header_errors
    if not records:
        return [], ["The file has a header but no people."]
    if len(records) > MAX_ROWS:
        return [], [f"The file has {len(records):,} rows; import at most {MAX_ROWS:,} at a time."]

    columns = [_header_name(cell) for cell in header]
    rows = []
    for line, cells in records:
        if len(cells) != len(columns):
            rows.append(
                ImportRow(line=line, errors=[f"This line has {len(cells)} values; the header has {len(columns)}."])
            )
            continue
        values = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
        rows.append(_check_cells(line, values))
    return rows, []


def _valid_email(email: str) -> str | None:
    """Why `email` is not a plausible address, or None when it is."""
    if len(email) > EMAIL_MAX:
        return f"it is longer than {EMAIL_MAX} characters"
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
    )
    if not row.email:
        row.errors.append(_("The email is missing."))
    elif problem := _valid_email(row.email):
        row.errors.append(_("“%(email)s” is not a valid email address: %(problem)s.", email=row.email, problem=problem))
    if not row.name:
        row.errors.append(_("The name is missing."))
    elif len(row.name) > TEXT_MAX:
        row.errors.append(_("The name is longer than %(TEXT_MAX)s characters.", TEXT_MAX=TEXT_MAX))
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
