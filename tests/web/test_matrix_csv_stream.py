"""The matrix CSV is written straight from one streamed query: the same file as the matrix's own rows give,
for every sort and filter, with the privacy settings applied."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests import factories
from tracker.enums import CellStatus
from tracker.extensions import db
from tracker.models import Role
from tracker.services.organisation import assignments
from tracker.services.programme import privacy
from tracker.services.reporting import matrix, matrix_export


@pytest.fixture
def org(app, make_user):
    boss = make_user(Role.MANAGER, name="Boss")
    team = factories.make_team('Ops, "North"', manager=boss)
    other = factories.make_team("Other")
    first, second = factories.make_course("stream-a"), factories.make_course("stream-b")
    done = make_user(name="Ada, the first", email="ada@example.org", team=team, job_role="=role")
    idle = make_user(name="Bea", email="bea@example.org", team=team)
    make_user(name="Cy", email="cy@example.org", team=other)
    make_user(name="Nobody Anywhere", email="nobody@example.org")
    factories.complete_course(done, first)
    assignments.assign(None, course=second, team=team, due_on=date.today() - timedelta(days=3))
    assignments.assign(None, course=first, user=idle, due_on=date.today() + timedelta(days=3))
    db.session.commit()
    return {"boss": boss, "team": team, "first": first, "ada": done}


def _reference(scope, filters) -> str:
    return "".join(matrix_export.csv_lines(matrix.all_rows(scope, filters)))


def _streamed(scope, filters) -> str:
    return "".join(matrix_export.csv_stream(scope, filters))


@pytest.mark.parametrize("sort", sorted(matrix.SORTS))
def test_stream_is_the_matrix_rows_for_every_sort_and_filter(app, org, sort):
    for filters in (
        matrix.Filters(sort=sort),
        matrix.Filters(sort=sort, course_id=org["first"].id),
        matrix.Filters(sort=sort, status=CellStatus.OVERDUE),
        matrix.Filters(sort=sort, team_id=org["team"].id),
    ):
        for scope in (None, {org["team"].id}):
            streamed = _streamed(scope, filters)
            assert streamed == _reference(scope, filters), (scope, filters)
    everyone = _streamed(None, matrix.Filters(sort=sort))
    assert "Nobody Anywhere" in everyone and '"Ops, ""North"""' in everyone and "'=role" in everyone


def test_stream_applies_the_privacy_settings(app, org):
    scope = {org["team"].id}
    privacy.save(None, replace(privacy.Settings(), pseudonymise_exports=True))
    db.session.commit()
    streamed = _streamed(scope, matrix.Filters())
    assert streamed == _reference(scope, matrix.Filters())
    assert "ada@example.org" not in streamed and privacy.pseudonym(org["ada"].id) in streamed
    privacy.save(None, replace(privacy.Settings(), aggregate_min_people=50))
    db.session.commit()
    lines = _streamed(scope, matrix.Filters()).splitlines()
    assert len(lines) == 1 and lines[0].endswith("certificate_expires_at_utc"), "totals only: no rows of people"
    assert len(_streamed(None, matrix.Filters()).splitlines()) > 1, "administrators see every row"
