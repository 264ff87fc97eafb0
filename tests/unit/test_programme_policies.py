"""Policies: versions, acknowledgements that a new version asks for again, immutable records."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tracker.extensions import db
from tracker.models import PolicyAcknowledgement
from tracker.services import DomainError, FieldError
from tracker.services.programme import policies

CHECK = policies.VersionInput(
    "Version two.", check_question="Which tools?", check_choices=("Any", "Approved ones"), check_answer=1
)


@pytest.fixture
def policy(app):
    created = policies.create_policy(None, "acceptable-use", "Acceptable use", policies.VersionInput("Version one."))
    db.session.commit()
    return created


def _needs(user, policy) -> bool:
    return next(s for s in policies.statuses_for(user) if s.policy.id == policy.id).needs_acknowledgement


def test_a_new_version_asks_again_and_keeps_the_earlier_acknowledgement(policy, make_user):
    person = make_user()
    v1 = policies.current_version(policy)
    assert _needs(person, policy)
    record, created = policies.acknowledge(person, v1, ip_address="192.0.2.1")
    assert created and record.body_sha256 == v1.body_sha256 and record.check_passed is None
    assert not _needs(person, policy)
    v2 = policies.publish_version(None, policy, CHECK)
    assert v2.number == 2
    status = next(s for s in policies.statuses_for(person) if s.policy.id == policy.id)
    assert status.needs_acknowledgement and status.earlier_acknowledged == 1
    with pytest.raises(DomainError):
        policies.acknowledge(make_user(), v1)  # an old version can no longer be acknowledged
    with pytest.raises(policies.CheckFailed):
        policies.acknowledge(person, v2, answer=0)
    record2, created2 = policies.acknowledge(person, v2, answer=1)
    assert created2 and record2.check_passed is True
    assert not _needs(person, policy)
    assert [a.version.number for a in policies.acknowledgements_of(person)] == [2, 1]


def test_acknowledging_twice_keeps_the_first_record(policy, make_user):
    person = make_user()
    version = policies.current_version(policy)
    first, created = policies.acknowledge(person, version)
    again, created_again = policies.acknowledge(person, version)
    assert created and not created_again and again.id == first.id


def test_the_database_refuses_to_change_an_acknowledgement(policy, make_user):
    person = make_user()
    policies.acknowledge(person, policies.current_version(policy))
    db.session.commit()
    with pytest.raises(DBAPIError, match="immutable"):
        db.session.execute(text("UPDATE policy_acknowledgements SET channel = 'forged'"))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(db.select(PolicyAcknowledgement.channel)) == "web"


def test_unchanged_text_is_not_a_new_version_and_check_questions_are_checked(policy):
    with pytest.raises(FieldError):
        policies.publish_version(None, policy, policies.VersionInput("Version one."))
    with pytest.raises(FieldError) as bad_answer:
        policies.publish_version(
            None, policy, policies.VersionInput("New", check_question="Q?", check_choices=("a", "b"), check_answer=5)
        )
    assert bad_answer.value.field == "check_answer"
    with pytest.raises(FieldError):
        policies.create_policy(None, "acceptable-use", "Again", policies.VersionInput("x"))
