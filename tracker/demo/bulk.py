"""Writing many generated rows fast: executemany in batches, or COPY on PostgreSQL.

The rows skip the ORM (and so the matrix tables' session hooks): whoever writes them rebuilds what depends on them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, text

from ..extensions import db

BATCH = 5_000
NOTED = {"matrix_status_noted": True}  # the caller rebuilds the matrix tables afterwards


def _with_defaults(table: Table, rows: Sequence[dict]) -> tuple[list[str], list[tuple]]:
    """Columns and value tuples, with each column's Python-side default filled in where a row has no value."""
    given = list(rows[0])
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.name not in given and default is not None and (default.is_scalar or default.is_callable):
            defaults[column.name] = default
    names = given + list(defaults)
    fill = [
        default.arg if default.is_scalar else default.arg(None)  # callables take an execution context: unused here
        for default in defaults.values()
    ]
    return names, [tuple(row[name] for name in given) + tuple(fill) for row in rows]


def write(table: Table, rows: Sequence[dict]) -> None:
    """Insert the rows (all with the same keys) in the session's transaction."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        names, values = _with_defaults(table, rows)
        columns = ", ".join(f'"{name}"' for name in names)
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for value in values:
                copy.write_row(value)
        return
    names, values = _with_defaults(table, rows)
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in names]  # noqa: SLF001
    if any(processors):  # the values as the column types write them (UTC datetimes as SQLite's text, ...)
        values = [
            tuple(value if process is None else process(value) for process, value in zip(processors, row, strict=True))
            for row in values
        ]
    statement = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" for _ in names)})'  # noqa: S608
    for start in range(0, len(values), BATCH):
        connection.exec_driver_sql(statement, values[start : start + BATCH])


def advance_sequences(*tables: Table) -> None:
    """After rows were written with their ids chosen: PostgreSQL's sequences continue after the largest id."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608  (our own table names)
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table.name}"))'
            )
        )
