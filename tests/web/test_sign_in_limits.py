"""Sign-in limits as an attacker and as an office meet them: a growing delay per account and address, nothing
counted but wrong passwords, an office behind one address unaffected by one account's failures, and a server
error never held against the person.

Time is the limits' clock, moved forward by the tests (no test waits)."""

from __future__ import annotations

import time

import pytest
from limits.storage import storage_from_string
from sqlalchemy import select

from tracker import create_app, sign_in_limits
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.sign_in_limits import ACCOUNT_AND_ADDRESS, ADDRESS, Attempt, Policy, Refusal, SignInLimits

from ..factories import PASSWORD
from .test_auth import DEACTIVATED, LOGIN_ERROR, REDIS_URL, _redis_or_skip, error_messages, is_signed_in, sign_in

THROTTLED = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_FAILURES_BEFORE_DELAY": 3,
    "LOGIN_ADDRESS_FAILURES_BEFORE_DELAY": 8,
    "LOGIN_FIRST_DELAY_SECONDS": 60,
    "LOGIN_MAX_DELAY_SECONDS": 600,
}
# The per-address count at its default: an office of people behind one address.
OFFICE = {key: value for key, value in THROTTLED.items() if key != "LOGIN_ADDRESS_FAILURES_BEFORE_DELAY"}

OFFICE_ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}
HOME_ADDRESS = {"REMOTE_ADDR": "203.0.113.20"}


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, **getattr(request, "param", THROTTLED)}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(app):
    limits = sign_in_limits.for_app(app)
    limits.reset()
    fake = Clock()
    limits.clock = fake
    yield fake
    limits.clock = time.time
    limits.reset()


def wrong(app, email: str, environ=OFFICE_ADDRESS):
    response = sign_in(app.test_client(), email, "not the password", environ_base=environ)
    assert response.status_code == 200, response.status_code
    assert error_messages(response.data) == [LOGIN_ERROR]
    return response


def right(app, email: str, environ=OFFICE_ADDRESS):
    return sign_in(app.test_client(), email, PASSWORD, environ_base=environ)


def failures(app, email: str, environ=OFFICE_ADDRESS) -> int:
    return sign_in_limits.for_app(app).failures(email, environ["REMOTE_ADDR"])


# --- the delay ----------------------------------------------------------------------------------------------------


def test_the_delay_doubles_with_each_failure_up_to_the_maximum():
    policy = Policy(free_failures=5, first_delay=1, max_delay=900, memory_seconds=86400)
    assert [policy.delay_after(n) for n in range(4, 17)] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_wrong_passwords_bring_a_growing_delay_for_that_account_at_that_address(app, make_user, clock):
    user = make_user()
    for _ in range(3):  # the free failures
        wrong(app, user.email)

    # Too soon, even with the right password: refused before any password is checked, and not counted.
    client = app.test_client()
    refused = sign_in(client, user.email, environ_base=OFFICE_ADDRESS)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert error_messages(refused.data) == ["Too many failed sign-ins. Wait 60 seconds before you try again."]
    assert LOGIN_ERROR.encode() not in refused.data
    assert not is_signed_in(client)
    clock.advance(59)
    assert right(app, user.email).headers["Retry-After"] == "1"

    clock.advance(1)
    wrong(app, user.email)  # the 4th failure: the next wait doubles
    assert right(app, user.email).headers["Retry-After"] == "120"
    clock.advance(120)
    wrong(app, user.email)
    too_soon = right(app, user.email)
    assert too_soon.headers["Retry-After"] == "240"
    assert error_messages(too_soon.data) == ["Too many failed sign-ins. Wait 4 minutes before you try again."]

    # Meanwhile the owner signs in from anywhere else.
    assert right(app, user.email, HOME_ADDRESS).status_code == 302

    # Once the wait is over, the right password works and the failures are forgotten.
    clock.advance(240)
    assert right(app, user.email).status_code == 302
    assert failures(app, user.email) == 0
    for _ in range(3):
        wrong(app, user.email)
    assert failures(app, user.email) == 3


def test_the_delay_is_per_account_and_the_email_is_normalised(app, make_user, clock):
    alice, bob = make_user(), make_user()
    for typed in (alice.email, alice.email.upper(), f"  {alice.email} "):
        wrong(app, typed)
    assert right(app, alice.email.upper()).status_code == 429
    assert right(app, bob.email).status_code == 302
    assert app.test_client().get("/login").status_code == 200  # reading the form is never limited


@pytest.mark.parametrize("app_config", [OFFICE], indirect=True)
def test_one_accounts_failures_do_not_hold_up_an_office_behind_the_same_address(app, make_user, clock):
    """Everyone in an office shares one address (NAT). One account failing again and again, however often, delays
    only that account there."""
    guessed = make_user()
    colleagues = [make_user() for _ in range(20)]
    for _ in range(12):
        wrong(app, guessed.email)
        clock.advance(sign_in_limits.for_app(app).policies[ACCOUNT_AND_ADDRESS].max_delay)
    assert failures(app, guessed.email) == 12

    for colleague in colleagues:
        client = app.test_client()
        assert sign_in(client, colleague.email, environ_base=OFFICE_ADDRESS).status_code == 302
        assert is_signed_in(client)
    # A colleague who mistypes once still gets in at the next try.
    wrong(app, colleagues[0].email)
    assert right(app, colleagues[0].email).status_code == 302


def test_one_password_tried_on_many_accounts_slows_that_address_down(app, make_user, clock):
    """The looser per-address count: spraying a guess over many accounts is slowed at that address only."""
    people = [make_user() for _ in range(9)]
    for person in people[:8]:
        wrong(app, person.email)

    assert right(app, people[8].email).status_code == 429
    assert right(app, people[8].email, HOME_ADDRESS).status_code == 302
    # Signing in to one's own account between guesses does not reset the address's count: the next guess doubles
    # the wait.
    clock.advance(60)
    assert right(app, people[8].email).status_code == 302
    wrong(app, people[0].email)
    assert right(app, people[1].email).headers["Retry-After"] == "120"


# --- what counts ----------------------------------------------------------------------------------------------------


def test_only_wrong_passwords_count(app, make_user, clock):
    user = make_user()
    gone = make_user(active=False)

    for _ in range(10):  # incomplete forms
        assert sign_in(app.test_client(), user.email, "", environ_base=OFFICE_ADDRESS).status_code == 200
        no_password = app.test_client().post("/login", data={"email": user.email}, environ_base=OFFICE_ADDRESS)
        assert no_password.status_code == 200
    for _ in range(10):  # successful sign-ins
        assert right(app, user.email).status_code == 302
    for _ in range(10):  # the right password for a deactivated account
        response = right(app, gone.email)
        assert error_messages(response.data) == [DEACTIVATED]
    assert failures(app, user.email) == failures(app, gone.email) == 0

    # An unknown email counts like a wrong password (nothing tells them apart).
    wrong(app, "nobody-here@example.org")
    assert failures(app, "nobody-here@example.org") == 1

    # Refused attempts are not counted: the wait does not grow however often one knocks.
    for _ in range(3):
        wrong(app, user.email)
    for _ in range(10):
        assert right(app, user.email).headers["Retry-After"] == "60"
    assert failures(app, user.email) == 3


@pytest.mark.real_commits  # the broken app has its own engine, pointing nowhere
def test_a_server_error_during_sign_in_does_not_count(app, app_config, make_user, clock, tmp_path):
    """The database is down for a while: people who try meanwhile get the outage page (503), and afterwards the right
    password works at once."""
    user = make_user()
    broken = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/tracker.db"})
    limits = sign_in_limits.for_app(broken)
    limits.clock = clock
    for _ in range(10):
        response = sign_in(broken.test_client(), user.email, environ_base=OFFICE_ADDRESS)
        assert response.status_code == 503
    assert limits.failures(user.email, OFFICE_ADDRESS["REMOTE_ADDR"]) == 0

    # Past the free failures, an attempt holds its turn while the password is checked; a crash gives it back.
    for _ in range(3):
        limits.failed(limits.begin(user.email, OFFICE_ADDRESS["REMOTE_ADDR"]))
    clock.advance(60)
    for _ in range(3):
        assert sign_in(broken.test_client(), user.email, environ_base=OFFICE_ADDRESS).status_code == 503
    assert limits.failures(user.email, OFFICE_ADDRESS["REMOTE_ADDR"]) == 3

    assert right(app, user.email).status_code == 302


@pytest.mark.real_commits
def test_a_server_error_does_not_count_on_any_worker_sharing_redis(app, app_config, make_user, tmp_path):
    redis_client = _redis_or_skip()
    redis_client.flushdb()
    config = {**app_config, **THROTTLED, "RATELIMIT_STORAGE_URI": REDIS_URL}
    user = make_user()
    broken = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/tracker.db"})
    try:
        for _ in range(10):
            assert sign_in(broken.test_client(), user.email).status_code == 503
        healthy = create_app(config)
        assert sign_in(healthy.test_client(), user.email).status_code == 302
        # Control: wrong passwords on the broken-then-mended pair do count, on both.
        for _ in range(3):
            assert sign_in(healthy.test_client(), user.email, "wrong").status_code == 200
        assert sign_in_limits.for_app(broken).failures(user.email, "127.0.0.1") == 3
    finally:
        redis_client.flushdb()


def test_failed_sign_ins_are_audited_with_why(app, make_user, clock):
    gone = make_user(active=False)
    wrong(app, gone.email)
    right(app, gone.email)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_email, e.details) for e in events] == [
        (gone.email, {}),
        (gone.email, {"reason": "account_deactivated"}),
    ]


# --- parallel attempts --------------------------------------------------------------------------------------------


def test_parallel_attempts_past_the_free_ones_get_one_turn_at_a_time():
    """Requests sent together all pass a plain check before the first failure is written; a turn held while the
    password is checked lets only one through at each step."""
    limits = SignInLimits(
        storage_from_string("memory://"),
        {ACCOUNT_AND_ADDRESS: Policy(3, 60, 600, 3600), ADDRESS: Policy(100, 60, 600, 3600)},
    )
    clock = Clock()
    limits.clock = clock
    for _ in range(3):
        limits.failed(limits.begin("a@example.org", "192.0.2.1"))
    clock.advance(60)

    first = limits.begin("a@example.org", "192.0.2.1")
    assert isinstance(first, Attempt)
    assert isinstance(limits.begin("a@example.org", "192.0.2.1"), Refusal)  # sent while the first is checked
    assert isinstance(limits.begin("b@example.org", "192.0.2.1"), Attempt)  # another account is not held up
    limits.failed(first)
    assert isinstance(limits.begin("a@example.org", "192.0.2.1"), Refusal)  # and now the doubled wait
    clock.advance(120)
    assert isinstance(limits.begin("a@example.org", "192.0.2.1"), Attempt)


def test_the_address_scope_is_counted_too():
    limits = SignInLimits(
        storage_from_string("memory://"),
        {ACCOUNT_AND_ADDRESS: Policy(100, 60, 600, 3600), ADDRESS: Policy(2, 60, 600, 3600)},
    )
    for email in ("a@example.org", "b@example.org"):
        limits.failed(limits.begin(email, "192.0.2.1"))
    refusal = limits.begin("c@example.org", "192.0.2.1")
    assert isinstance(refusal, Refusal) and refusal.retry_after == 60
    assert ADDRESS != ACCOUNT_AND_ADDRESS
