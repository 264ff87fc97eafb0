"""Admins publishing different edits of one course at the same moment, as real concurrent requests on
PostgreSQL: in every round exactly one publish wins, the others are refused with who published what, and no
edit reported as published is ever missing from the course or its history."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in_client
from tests.web.test_admin_content import _payload, _textarea
from tracker.extensions import db
from tracker.models import AuditEvent, Course, CourseVersion, Role

ROUNDS = 25
ADMINS = 3


def _client(app, user):
    return sign_in_client(app.test_client(), user)


@pytest.mark.postgres
@pytest.mark.real_commits
def test_concurrent_publishes_from_one_version_lose_no_edit(app):
    course = factories.make_course("raced")
    admins = [factories.make_user(Role.ADMIN, name=f"Admin {i}") for i in range(ADMINS)]
    clients = [_client(app, admin) for admin in admins]
    admin_ids = [admin.id for admin in admins]  # read while the session still holds them
    winners: list[tuple[int, int, str]] = []  # (version, admin index, summary)

    for round_number in range(ROUNDS):
        text = _textarea(clients[0].get(f"/admin/content/{course.slug}/edit").get_data(as_text=True))
        summaries = [f"Round {round_number}, edit of admin {i}." for i in range(ADMINS)]
        payloads = []
        for client, summary in zip(clients, summaries, strict=True):
            edited = re.sub(r"^summary: .*$", f"summary: {summary}", text, count=1, flags=re.M)
            page = client.post("/admin/content/preview", data={"text": edited}).get_data(as_text=True)
            payloads.append(_payload(page))

        barrier = threading.Barrier(ADMINS)
        results: list = [None] * ADMINS

        def publish(index: int, barrier: threading.Barrier, results: list, payloads: list) -> None:
            barrier.wait()
            results[index] = clients[index].post("/admin/content/publish", data={"payload": payloads[index]})

        threads = [threading.Thread(target=publish, args=(i, barrier, results, payloads)) for i in range(ADMINS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = [response.status_code for response in results]
        assert sorted(statuses) == [302] + [409] * (ADMINS - 1), statuses
        winner = statuses.index(302)
        version = round_number + 2
        for index, response in enumerate(results):
            if index != winner:
                page = response.get_data(as_text=True)
                assert f"Someone else published version {version} at" in page
                assert f"Published by Admin {winner}." in page
                assert summaries[index] in page  # the refused admin's text comes back to them
        winners.append((version, winner, summaries[winner]))

        db.session.remove()
        stored = db.session.execute(select(Course.version, Course.summary).where(Course.slug == "raced")).one()
        assert tuple(stored) == (version, summaries[winner])

    # Zero lost edits: every publish reported as successful is a version in the history, whole and attributed.
    db.session.remove()
    history = db.session.execute(
        select(CourseVersion.version, CourseVersion.published_by_id, CourseVersion.content)
        .where(CourseVersion.version > 1)
        .order_by(CourseVersion.version)
    ).all()
    assert [(v, by, content["summary"]) for v, by, content in history] == [
        (version, admin_ids[index], summary) for version, index, summary in winners
    ]
    published = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "content.published"))
    assert sorted(d["version"] for d in published) == [v for v, _, _ in winners]
