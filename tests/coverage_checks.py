"""The coverage page (read from the maintained rows and counts) against the full computation."""

from __future__ import annotations


def assert_same_coverage(page, full) -> None:
    """The page says what the full computation says: columns, people, totals, roles, status counts."""
    assert [c.id for c in page.systems] == [c.id for c in full.systems]
    assert page.has_role_column == full.has_role_column
    assert [(r.id, r.name, r.email, r.team, r.job_role, r.cells) for r in page.rows] == [
        (r.id, r.name, r.email, r.team, r.job_role, r.cells) for r in full.rows
    ]
    assert page.total_people == full.total_people
    assert {k: (t.people, +t.by_status) for k, t in page.totals.items()} == {
        k: (t.people, +t.by_status) for k, t in full.totals.items()
    }
    assert [(t.key, t.people, +t.by_status) for t in page.roles] == [
        (t.key, t.people, +t.by_status) for t in full.roles
    ]
    assert +page.status_counts == +full.status_counts
    assert page.aggregate_only == full.aggregate_only
