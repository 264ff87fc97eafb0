"""Password rules: the most common passwords and their variations, and words from the person's own context, are
refused with a clear reason; long passphrases pass."""

from __future__ import annotations

from importlib import metadata

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tracker.demo.organisation import DEMO_PASSWORD
from tracker.services import accounts

TOO_COMMON = "This password is too common or too easy to guess; choose another."
FROM_CONTEXT = (
    "This password is easy to guess: it is built from your name, your email address, the organisation's name, "
    "the name of this application or a password published with it. Choose another."
)
WORD_AND_YEAR = (
    "This password is easy to guess: a common word with a year or a date is among the first things tried. "
    "A passphrase of several unrelated words is best."
)

# Common passwords that zxcvbn's password list leaves to its other dictionaries (names, English words), or that
# the product's previous hand-made list held: the strength estimate refuses them all the same.
BEYOND_THE_LIST = [
    "basketball",
    "michelle",
    "jennifer",
    "administrator",
    "chocolate",
    "september",
    "contraseña",
    "p@ssword",
    "pa$$word",
    "changeme123",
    "letmein123",
    "welcome2026",
    "summer2025",
    "winter2026",
    "autumn2026",
    "company123",
    "office123",
    "tracker123",
    "123123123",
    "987654321",
    "00000000",
    "12341234",
    "zaq1zaq1",
    "abcdefgh",
    "hellohello",
    "lovelove",
    "rootroot",
    "testtest",
    "adminadmin",
    "guest123",
    "flower123",
]


def test_the_list_is_zxcvbns_mit_licensed_one_shipped_in_the_package():
    assert metadata.metadata("zxcvbn")["License"] == "MIT"
    assert len(FREQUENCY_LISTS["passwords"]) >= 10_000


def test_the_10000_most_common_passwords_are_refused(app):
    top = [p for p in FREQUENCY_LISTS["passwords"][:10_000] if len(p) >= accounts.MIN_PASSWORD_LENGTH]
    assert len(top) > 3_000  # the others are refused for their length already
    accepted = [p for p in top if not accounts.password_problems(p)]
    assert accepted == []
    assert accounts.password_problems("Password") == [TOO_COMMON]  # compared regardless of case


@pytest.mark.parametrize("password", BEYOND_THE_LIST)
def test_common_passwords_beyond_the_list_are_refused(app, password):
    assert accounts.password_problems(password)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Passw0rd!", TOO_COMMON),
        ("Summer2024!", TOO_COMMON),
        ("monkey123", TOO_COMMON),
        ("Company2026", WORD_AND_YEAR),
        (DEMO_PASSWORD, TOO_COMMON),
        ("Demo-Pass-2026!", FROM_CONTEXT),
    ],
)
def test_the_passwords_an_attacker_tries_first_are_refused_with_a_clear_reason(app, password, reason):
    assert accounts.password_problems(password, "someone@example.org", "Some One") == [reason]


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("tracker2026!", "ann@acme.test", "Ann Smith"),  # the product
        ("ExampleOrganisation1", "ann@acme.test", "Ann Smith"),  # the organisation (ORGANISATION_NAME)
        ("janedoe2026!", "jane.doe@acme.test", "J. D."),  # the parts of the email address
        ("Acmecorp2026!", "jane@acmecorp.test", "J. D."),  # the email's domain
        ("AdaLovelace1815", "ada@acme.test", "Ada Lovelace"),  # the person's name
    ],
)
def test_context_words_are_refused(app, password, email, name):
    assert accounts.password_problems(password, email, name) == [FROM_CONTEXT]


def test_the_email_address_itself_is_refused(app):
    assert accounts.password_problems("a long passphrase annsmith here", "annsmith@acme.test") == [
        "Do not build the password from your email address."
    ]


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "lovelace and her long walk by the sea",  # a context word in a long passphrase is fine
        "my own new passphrase",
        "k3j9-Xq2m-Lw8p",
        "x" * 10 + "the rest of a very long passphrase " * 25,  # past the estimate's length: only the start counts
    ],
)
def test_strong_passwords_pass(app, password):
    assert accounts.password_problems(password, "ada@acme.test", "Ada Lovelace") == []


def test_length_limits_come_first(app):
    assert accounts.password_problems("Sh0rt!x") == ["Use at least 8 characters."]
    assert accounts.password_problems("x" * 1025) == ["Use at most 1024 characters."]


def test_the_demo_password_works_only_for_the_demo_accounts(app):
    with pytest.raises(accounts.WeakPassword, match="too common"):
        accounts.create_user(accounts.NewUser("real@example.org", "Real Person", DEMO_PASSWORD))
    demo = accounts.create_user(
        accounts.NewUser("demo@example.org", "Demo Person", DEMO_PASSWORD), check_strength=False
    )
    assert demo.id is not None
