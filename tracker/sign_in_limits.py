"""Sign-in limits: a progressive delay per account and client address, and a looser one per address.

Only a wrong password counts: not a server error, not a refused (429) attempt, not an incomplete form. After a
number of free failures each further attempt must wait a delay that doubles with every failure (up to a maximum),
so guessing slows to a crawl while the account stays open to its owner at any other address, and to everyone
else in an office behind the same address. A successful sign-in forgets the account's failures at that address.

The counters live in the rate-limit storage of the limits library (memory, or Redis shared by every worker). The
delay rule is written here because no library offers a delay driven by the outcome of the request: Flask-Limiter
counts requests and can only refund after the response.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from limits.storage import Storage, storage_from_string

ACCOUNT_AND_ADDRESS = "login-account-address"
ADDRESS = "login-address"
# An attempt past the free ones holds its turn while the password is checked, so that parallel requests cannot
# all slip through before the first failure is written. A crashed request gives the turn back; this bounds a lost
# one.
TURN_SECONDS = 30


@dataclass(frozen=True)
class Policy:
    free_failures: int
    first_delay: float
    max_delay: float
    memory_seconds: int

    def delay_after(self, failures: int) -> float:
        """Seconds the next attempt waits after `failures` failures (0 while failures are still free)."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, self.first_delay * 2 ** (failures - self.free_failures))


@dataclass
class Attempt:
    """A sign-in attempt that may go ahead; tell the limits how it ended with `failed`, `succeeded` or `ended`."""

    keys: dict[str, str]  # scope -> storage key prefix
    turns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # whole seconds


def _digest(*parts: str) -> str:
    # The storage never holds email addresses in clear.
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class SignInLimits:
    EXTENSION_KEY = "tracker.sign_in_limits"

    def __init__(self, storage: Storage, policies: dict[str, Policy], enabled: bool = True) -> None:
        self.storage = storage
        self.policies = policies
        self.enabled = enabled
        self.clock: Callable[[], float] = time.time

    @classmethod
    def from_config(cls, config) -> SignInLimits:
        memory = int(float(config["LOGIN_FAILURE_MEMORY_HOURS"]) * 3600)
        first, longest = float(config["LOGIN_FIRST_DELAY_SECONDS"]), float(config["LOGIN_MAX_DELAY_SECONDS"])
        return cls(
            storage_from_string(config["RATELIMIT_STORAGE_URI"]),
            {
                ACCOUNT_AND_ADDRESS: Policy(int(config["LOGIN_FAILURES_BEFORE_DELAY"]), first, longest, memory),
                ADDRESS: Policy(int(config["LOGIN_ADDRESS_FAILURES_BEFORE_DELAY"]), first, longest, memory),
            },
            enabled=bool(config.get("RATELIMIT_ENABLED", True)),
        )

    # --- the three steps of an attempt ------------------------------------------------------------------------

    def begin(self, email: str, address: str) -> Attempt | Refusal:
        """May this account be tried from this address now? Checks no password and counts nothing."""
        attempt = Attempt(
            keys={
                ACCOUNT_AND_ADDRESS: f"{ACCOUNT_AND_ADDRESS}/{_digest(email, address)}",
                ADDRESS: f"{ADDRESS}/{_digest(address)}",
            }
        )
        if not self.enabled:
            return attempt
        now = self.clock()
        for scope, key in attempt.keys.items():
            failures = self.storage.get(f"{key}/failures")
            if failures < self.policies[scope].free_failures:
                continue
            not_before = self.storage.get(f"{key}/not-before") / 1000
            if now < not_before:
                self._release(attempt)
                return Refusal(max(1, math.ceil(not_before - now)))
            turn = f"{key}/turn/{failures}"
            if self.storage.incr(turn, TURN_SECONDS) > 1:  # another attempt at this step is being checked
                self._release(attempt)
                return Refusal(max(1, math.ceil(self.policies[scope].delay_after(failures))))
            attempt.turns.append(turn)
        return attempt

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong (or the account unknown): count it and start the next delay."""
        if not self.enabled:
            return
        now = self.clock()
        for scope, key in attempt.keys.items():
            policy = self.policies[scope]
            failures = self.storage.incr(f"{key}/failures", policy.memory_seconds)
            delay = policy.delay_after(failures)
            if delay:
                self.storage.clear(f"{key}/not-before")
                # A counter holds the moment as whole milliseconds.
                self.storage.incr(f"{key}/not-before", math.ceil(delay) + 1, amount=math.floor((now + delay) * 1000))
        self._release(attempt)

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: forget this account's failures at this address. The address's own count stays,
        or signing in to one's own account between guesses would reset it."""
        if not self.enabled:
            return
        key = attempt.keys[ACCOUNT_AND_ADDRESS]
        self.storage.clear(f"{key}/failures")
        self.storage.clear(f"{key}/not-before")
        self._release(attempt)

    def ended(self, attempt: Attempt) -> None:
        """Neither right nor wrong (the password was right but the account cannot sign in, or the request
        failed): nothing is counted."""
        if self.enabled:
            self._release(attempt)

    def _release(self, attempt: Attempt) -> None:
        for turn in attempt.turns:
            self.storage.clear(turn)
        attempt.turns.clear()

    # --- reading, for tests and support -----------------------------------------------------------------------

    def failures(self, email: str, address: str) -> int:
        return self.storage.get(f"{ACCOUNT_AND_ADDRESS}/{_digest(email, address)}/failures")

    def reset(self) -> None:
        self.storage.reset()


def init_app(app: Flask) -> None:
    app.extensions[SignInLimits.EXTENSION_KEY] = SignInLimits.from_config(app.config)


def for_app(app: Flask | None = None) -> SignInLimits:
    return (app or current_app).extensions[SignInLimits.EXTENSION_KEY]
