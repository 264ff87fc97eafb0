"""The matrix tables built from scratch in a few set-based SQL statements (SQLite and PostgreSQL).

The same rules as `status_table.compute` (which stays the reference: `differences()` compares the two), written as
SQL so that a whole organisation costs a few statements instead of a pass over every person in Python:

1. the cells: every (active person, published course) with progress, a current certificate or an assignment
   reaching them (directly, through a team above them or their job role; a learning path stands for its courses),
   with the status the rules give;
2. the summaries of every person, from their cells; the evidence report's facts (any completion, an overdue item,
   by the report's rules: `status_table.evidence_due`); the moment their statuses next change;
3. the counts per team (with the teams below) and for the organisation, from the cells; and the counts of people
   (active, inactive, and the evidence report's facts) from the summaries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, bindparam, select, text, update
from sqlalchemy.orm import Session

from ...enums import CellStatus, DueRule, PeopleCount
from ...models import MatrixPerson, User
from ...models.matrix import ORGANISATION, PEOPLE
from ...models.types import UTCDateTime
from ..certification.status import EXPIRING_WINDOW

PUBLISHED = "SELECT id FROM courses WHERE published"


def _dialect_sql(dialect: str) -> dict[str, str]:
    """The few expressions SQLite and PostgreSQL spell differently: dates of datetimes, days added to dates,
    and moments derived from dates and datetimes (stored by SQLite as text in the format SQLAlchemy writes)."""
    if dialect == "postgresql":
        return {
            "joined": "(COALESCE(u.team_joined_at, u.created_at) AT TIME ZONE 'UTC')::date",
            "assigned_on": "(a.created_at AT TIME ZONE 'UTC')::date",
            "after_joining": "({joined} + a.due_days)",
            "after_assigned": "(GREATEST({assigned_on}, {joined}) + a.due_days)",
            "overdue_from": "((d.due_on + 1)::timestamp AT TIME ZONE 'UTC')",
            "window_opens": f"(ce.expires_at - INTERVAL '{EXPIRING_WINDOW.days} days')",
        }
    return {
        "joined": "date(COALESCE(u.team_joined_at, u.created_at))",
        "assigned_on": "date(a.created_at)",
        "after_joining": "date({joined}, '+' || a.due_days || ' days')",
        "after_assigned": "date(MAX({assigned_on}, {joined}), '+' || a.due_days || ' days')",
        "overdue_from": "(date(d.due_on, '+1 day') || ' 00:00:00.000000')",
        "window_opens": (
            f"(strftime('%Y-%m-%d %H:%M:%S', ce.expires_at, '-{EXPIRING_WINDOW.days} days') "
            "|| substr(ce.expires_at, 20))"
        ),
    }


# Each team with itself and every team above it (the counts of a team include the teams below it): the first CTE
# of every statement below.
_ANCESTRY = """WITH RECURSIVE ancestry(team_id, ancestor_id) AS (
        SELECT id, id FROM teams
        UNION ALL
        SELECT an.team_id, t.parent_id FROM ancestry an JOIN teams t ON t.id = an.ancestor_id
        WHERE t.parent_id IS NOT NULL
    )"""


def _common(dialect: str) -> str:
    """The CTEs every statement below starts from: team ancestry, due dates, progress and current certificates."""
    sql = _dialect_sql(dialect)
    joined, assigned_on = sql["joined"], sql["assigned_on"]
    due = (
        f"CASE WHEN a.due_rule = '{DueRule.FIXED.value}' OR a.due_days IS NULL THEN a.due_on "
        f"WHEN a.due_rule = '{DueRule.AFTER_JOINING.value}' THEN {sql['after_joining'].format(joined=joined)} "
        f"ELSE {sql['after_assigned'].format(joined=joined, assigned_on=assigned_on)} END"
    )
    return f"""
    {_ANCESTRY},
    reach(user_id, assignment_id) AS (
        SELECT u.id, a.id FROM users u JOIN assignments a ON a.user_id = u.id WHERE u.active
        UNION ALL
        SELECT u.id, a.id FROM users u JOIN ancestry an ON an.team_id = u.team_id
        JOIN assignments a ON a.team_id = an.ancestor_id WHERE u.active
        UNION ALL
        SELECT u.id, a.id FROM users u JOIN assignments a
        ON a.job_role = u.job_role AND a.team_id IS NULL AND a.user_id IS NULL
        WHERE u.active AND u.job_role <> ''
    ),
    due(user_id, course_id, due_on) AS (
        SELECT r.user_id, COALESCE(a.course_id, lpc.course_id), MIN({due})
        FROM reach r JOIN assignments a ON a.id = r.assignment_id JOIN users u ON u.id = r.user_id
        LEFT JOIN learning_path_courses lpc ON a.course_id IS NULL AND lpc.path_id = a.path_id
        WHERE COALESCE(a.course_id, lpc.course_id) IN ({PUBLISHED})
        GROUP BY r.user_id, COALESCE(a.course_id, lpc.course_id)
    ),
    progress(user_id, course_id, percent, completed) AS (
        SELECT p.user_id, p.course_id, p.percent, p.completed_at IS NOT NULL
        FROM course_progress p JOIN users u ON u.id = p.user_id
        WHERE u.active AND p.course_id IN ({PUBLISHED})
    ),
    ranked AS (
        SELECT ce.user_id, ce.course_id, ce.revoked_at IS NOT NULL AS revoked, ce.expires_at,
        ROW_NUMBER() OVER (PARTITION BY ce.user_id, ce.course_id ORDER BY co.cycle DESC, ce.id DESC) AS newest
        FROM certificates ce JOIN completions co ON co.id = ce.completion_id JOIN users u ON u.id = ce.user_id
        WHERE u.active AND ce.superseded_at IS NULL AND ce.course_id IN ({PUBLISHED})
    ),
    cert(user_id, course_id, revoked, expires_at) AS (
        SELECT user_id, course_id, revoked, expires_at FROM ranked WHERE newest = 1
    )"""  # noqa: S608  (fixed SQL and enum values; the values are bound)


def _cells_sql(dialect: str) -> str:
    s = CellStatus
    status = f"""CASE
        WHEN ce.user_id IS NOT NULL AND NOT ce.revoked AND ce.expires_at <= :now THEN '{s.EXPIRED.value}'
        WHEN ce.user_id IS NOT NULL AND NOT ce.revoked AND ce.expires_at <= :soon THEN '{s.EXPIRING.value}'
        WHEN pr.completed AND (ce.user_id IS NULL OR NOT ce.revoked) THEN '{s.COMPLETED.value}'
        WHEN d.due_on IS NOT NULL AND d.due_on < :today THEN '{s.OVERDUE.value}'
        WHEN COALESCE(pr.percent, 0) > 0 THEN '{s.IN_PROGRESS.value}'
        ELSE '{s.NOT_STARTED.value}' END"""
    return f"""INSERT INTO matrix_cells (user_id, course_id, status, assigned, due_on)
    {_common(dialect)},
    cell_keys(user_id, course_id) AS (
        SELECT user_id, course_id FROM progress UNION SELECT user_id, course_id FROM cert
        UNION SELECT user_id, course_id FROM due
    )
    SELECT k.user_id, k.course_id, {status}, d.due_on IS NOT NULL, d.due_on
    FROM cell_keys k
    LEFT JOIN progress pr ON pr.user_id = k.user_id AND pr.course_id = k.course_id
    LEFT JOIN cert ce ON ce.user_id = k.user_id AND ce.course_id = k.course_id
    LEFT JOIN due d ON d.user_id = k.user_id AND d.course_id = k.course_id"""  # noqa: S608  (fixed SQL and enum values; the values are bound)


def _people_sql(dialect: str) -> str:
    sql = _dialect_sql(dialect)
    s = CellStatus
    done = f"('{s.COMPLETED.value}', '{s.EXPIRING.value}')"
    counts = ", ".join(
        f"SUM(CASE WHEN status = '{status.value}' THEN 1 ELSE 0 END) AS n_{status.value}"
        for status in (s.OVERDUE, s.EXPIRED, s.EXPIRING, s.IN_PROGRESS, s.COMPLETED)
    )
    return f"""INSERT INTO matrix_people (user_id, team_id, active, name_key, assigned, done, completion,
        n_overdue, n_expired, n_expiring, n_in_progress, n_not_started, n_completed, has_completion,
        evidence_overdue, computed_at, status_until)
    {_common(dialect)},
    latest_completion AS (
        SELECT co.id, co.user_id,
        ROW_NUMBER() OVER (PARTITION BY co.user_id, co.course_id ORDER BY co.cycle DESC) AS newest
        FROM completions co JOIN users u ON u.id = co.user_id WHERE u.active
    ),
    renewal(user_id, expires_at) AS (
        SELECT lc.user_id, ce.expires_at FROM latest_completion lc
        LEFT JOIN certificates ce ON ce.completion_id = lc.id AND ce.superseded_at IS NULL
        AND ce.revoked_at IS NULL AND ce.pending_reason IS NULL
        WHERE lc.newest = 1
    ),
    evidence(user_id, renewal_overdue, renewal_until) AS (
        SELECT user_id, MAX(CASE WHEN expires_at <= :now THEN 1 ELSE 0 END),
        MIN(CASE WHEN expires_at > :now THEN expires_at END)
        FROM renewal GROUP BY user_id
    ),
    assignment_overdue(user_id) AS (
        SELECT DISTINCT c.user_id FROM matrix_cells c WHERE c.assigned AND c.due_on < :today
        AND NOT EXISTS (SELECT 1 FROM completions co WHERE co.user_id = c.user_id AND co.course_id = c.course_id)
    ),
    summary AS (
        SELECT user_id,
        SUM(CASE WHEN assigned THEN 1 ELSE 0 END) AS assigned,
        SUM(CASE WHEN assigned AND status IN {done} THEN 1 ELSE 0 END) AS done,
        SUM(CASE WHEN status <> '{s.NOT_STARTED.value}' THEN 1 ELSE 0 END) AS started, {counts}
        FROM matrix_cells GROUP BY user_id
    ),
    moments(user_id, moment) AS (
        SELECT d.user_id, {sql["overdue_from"]} FROM due d
        UNION ALL SELECT ce.user_id, {sql["window_opens"]} FROM cert ce
        WHERE NOT ce.revoked AND ce.expires_at IS NOT NULL
        UNION ALL SELECT ce.user_id, ce.expires_at FROM cert ce WHERE NOT ce.revoked AND ce.expires_at IS NOT NULL
        UNION ALL SELECT user_id, renewal_until FROM evidence WHERE renewal_until IS NOT NULL
    ),
    next_change(user_id, moment) AS (
        SELECT user_id, MIN(moment) FROM moments WHERE moment > :now GROUP BY user_id
    )
    SELECT u.id, u.team_id, u.active, LOWER(SUBSTR(u.display_name, 1, 200)),
        CASE WHEN u.active THEN COALESCE(sm.assigned, 0) ELSE 0 END,
        CASE WHEN u.active THEN COALESCE(sm.done, 0) ELSE 0 END,
        CASE WHEN u.active AND sm.assigned > 0 THEN 100 * sm.done / sm.assigned ELSE 100 END,
        COALESCE(sm.n_overdue, 0), COALESCE(sm.n_expired, 0), COALESCE(sm.n_expiring, 0),
        COALESCE(sm.n_in_progress, 0),
        CASE WHEN u.active THEN :published - COALESCE(sm.started, 0) ELSE 0 END,
        COALESCE(sm.n_completed, 0),
        CASE WHEN u.active AND ev.user_id IS NOT NULL THEN TRUE ELSE FALSE END,
        CASE WHEN u.active AND (ev.renewal_overdue = 1 OR ao.user_id IS NOT NULL) THEN TRUE ELSE FALSE END,
        :now, CASE WHEN u.active THEN nc.moment END
    FROM users u LEFT JOIN summary sm ON sm.user_id = u.id LEFT JOIN next_change nc ON nc.user_id = u.id
    LEFT JOIN evidence ev ON ev.user_id = u.id LEFT JOIN assignment_overdue ao ON ao.user_id = u.id"""  # noqa: S608  (fixed SQL and enum values; the values are bound)


def _tallies_sql() -> str:
    counted = f"(c.assigned OR c.status <> '{CellStatus.NOT_STARTED.value}')"
    return f"""INSERT INTO matrix_tallies (scope_id, course_id, status, assigned, people)
    {_ANCESTRY},
    per_team AS (
        SELECT p.team_id, c.course_id, c.status, c.assigned, COUNT(*) AS people
        FROM matrix_cells c JOIN matrix_people p ON p.user_id = c.user_id
        WHERE {counted} GROUP BY p.team_id, c.course_id, c.status, c.assigned
    )
    SELECT an.ancestor_id, pt.course_id, pt.status, pt.assigned, SUM(pt.people)
    FROM per_team pt JOIN ancestry an ON an.team_id = pt.team_id
    GROUP BY an.ancestor_id, pt.course_id, pt.status, pt.assigned
    UNION ALL
    SELECT {ORGANISATION}, course_id, status, assigned, SUM(people) FROM per_team
    GROUP BY course_id, status, assigned"""  # noqa: S608  (fixed SQL and enum values; the values are bound)


def _people_tallies_sql() -> str:
    """The counts of people (`PeopleCount`, course PEOPLE) per team with the teams below, and the organisation."""
    c = PeopleCount
    return f"""INSERT INTO matrix_tallies (scope_id, course_id, status, assigned, people)
    {_ANCESTRY},
    per_team AS (
        SELECT team_id, active, has_completion, evidence_overdue, COUNT(*) AS people FROM matrix_people
        GROUP BY team_id, active, has_completion, evidence_overdue
    ),
    counts(team_id, status, people) AS (
        SELECT team_id, '{c.ACTIVE.value}', people FROM per_team WHERE active
        UNION ALL SELECT team_id, '{c.INACTIVE.value}', people FROM per_team WHERE NOT active
        UNION ALL SELECT team_id, '{c.WITH_COMPLETION.value}', people FROM per_team WHERE active AND has_completion
        UNION ALL SELECT team_id, '{c.WITH_OVERDUE.value}', people FROM per_team WHERE active AND evidence_overdue
    )
    SELECT an.ancestor_id, {PEOPLE}, co.status, FALSE, SUM(co.people)
    FROM counts co JOIN ancestry an ON an.team_id = co.team_id
    GROUP BY an.ancestor_id, co.status
    UNION ALL
    SELECT {ORGANISATION}, {PEOPLE}, status, FALSE, SUM(people) FROM counts GROUP BY status"""  # noqa: S608  (fixed SQL and enum values; the values are bound)


def build(session: Session, now: datetime, published: int) -> None:
    """Fill the (emptied) matrix tables for everyone at `now`; `published`: the number of published courses."""
    dialect = session.get_bind(MatrixPerson).dialect.name
    noted = {"matrix_status_noted": True}
    params = [
        bindparam("now", now, type_=UTCDateTime()),
        bindparam("soon", now + EXPIRING_WINDOW, type_=UTCDateTime()),
        bindparam("today", now.date(), type_=Date()),
    ]
    session.execute(text(_cells_sql(dialect)).bindparams(*params), execution_options=noted)
    session.execute(
        text(_people_sql(dialect)).bindparams(params[0], params[2], bindparam("published", published)),
        execution_options=noted,
    )
    _python_name_keys(session)
    session.execute(text(_tallies_sql()), execution_options=noted)
    session.execute(text(_people_tallies_sql()), execution_options=noted)


def _python_name_keys(session: Session) -> None:
    """SQL's LOWER leaves letters outside ASCII alone on SQLite: the sort keys of names beyond ASCII in Python's."""
    fixes = [
        {"key": user_id, "name_key": name.lower()[:200]}
        for user_id, name, stored in session.execute(
            select(User.id, User.display_name, MatrixPerson.name_key).join(
                MatrixPerson, MatrixPerson.user_id == User.id
            )
        )
        if not name.isascii() and name.lower()[:200] != stored
    ]
    if fixes:
        people = MatrixPerson.__table__
        session.execute(
            update(people).where(people.c.user_id == bindparam("key")).values(name_key=bindparam("name_key")),
            fixes,
            execution_options={"matrix_status_noted": True},
        )
