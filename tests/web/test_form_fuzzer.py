"""A form fuzzer: hostile and odd values in every field of the forms that take the most input. Nothing may answer a
server error, on SQLite or PostgreSQL (the PostgreSQL pass of CI runs this file too).

Seeded, so a failure names a payload that reproduces."""

import io
import random

import pytest

from tests import factories
from tracker.extensions import db
from tracker.services.learning import attempts

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "line\nbreak",
    "x" * 10_000,
    "é" * 300,
    "\u202eevil",
    "😀" * 60,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%s%n%x",
    "-1",
    "0",
    "2147483648",
    "99999999999999999999",
    "1e308",
    "NaN",
    "[" * 500,
    "{a: *b}",
    "true",
    "null",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "a@b",
    "@example.org",
    "x" * 300 + "@example.org",
    "course:999999999999",
    "path:-1",
    "person",
    "team",
    "job_role",
    "learner",
    "admin",
    "set",
]
ROUNDS = 25


def _value(rng: random.Random, known: list[str]):
    pick = rng.random()
    if pick < 0.15 and known:
        return rng.choice(known)
    if pick < 0.25:
        return [rng.choice(NASTY), rng.choice(NASTY)]  # a field sent twice
    if pick < 0.3:
        return None  # the field left out
    return rng.choice(NASTY)


def _payload(rng: random.Random, fields: dict[str, list[str]]) -> dict:
    data = {}
    for name, known in fields.items():
        value = _value(rng, known)
        if value is not None:
            data[name] = value
    if rng.random() < 0.2:
        data[rng.choice(NASTY)[:50] or "extra"] = rng.choice(NASTY)
    return data


def _fuzz(client, url: str, fields: dict[str, list[str]], seed: int, *, files=None) -> list[tuple]:
    rng = random.Random(seed)
    failures = []
    for round_ in range(ROUNDS):
        data = _payload(rng, fields)
        if files:
            data.update(files(rng))
        response = client.post(url, data=data, content_type="multipart/form-data" if files else None)
        if response.status_code >= 500:
            failures.append((url, seed, round_, {k: (v[:60] if isinstance(v, str) else v) for k, v in data.items()}))
        db.session.rollback()
    return failures


@pytest.fixture
def world(make_user):
    admin = make_user(role="admin")
    learner = make_user()
    team = factories.make_team("Fuzz team", manager=admin)
    course = factories.make_course(max_attempts=None)
    return {"admin": admin, "learner": learner, "team": team, "course": course}


def test_sign_in_form(client, world):
    failures = _fuzz(client, "/login", {"email": [world["learner"].email], "password": [factories.PASSWORD]}, 1)
    assert failures == []


def test_admin_forms(client, login_as, world):
    login_as(world["admin"])
    team_id, course_id, learner = str(world["team"].id), str(world["course"].id), world["learner"]
    person = {
        "email": ["someone@example.org", learner.email],
        "display_name": ["A Person"],
        "role": ["learner", "manager", "admin"],
        "team": ["", team_id],
        "job_role": ["Analyst"],
        "language": ["", "de", "fr"],
        "password_choice": ["generate", "set"],
        "password": ["correct horse battery staple 42"],
        "certificate_name": ["A Person"],
    }
    failures = _fuzz(client, "/admin/people/new", person, 2)
    failures += _fuzz(client, f"/admin/people/{learner.id}", person, 3)
    failures += _fuzz(client, "/admin/teams/", {"name": ["Team"], "parent_id": ["", team_id], "manager_id": [""]}, 4)
    failures += _fuzz(
        client,
        f"/admin/teams/{team_id}",
        {"name": ["Team"], "parent_id": ["", team_id], "manager_id": ["", str(world["admin"].id)]},
        5,
    )
    failures += _fuzz(
        client,
        "/manager/assignments",
        {
            "item": [f"course:{course_id}"],
            "target_type": ["team", "person", "job_role"],
            "team": [team_id],
            "person_email": [learner.email],
            "job_role": ["Analyst"],
            "due_on": ["2027-01-31"],
        },
        6,
    )
    failures += _fuzz(client, "/admin/content/preview", {"text": ["slug: x\ntitle: y\n"], "source": ["c.yaml"]}, 7)
    failures += _fuzz(client, "/admin/content/publish", {"payload": ["e30"]}, 8)
    failures += _fuzz(
        client,
        "/admin/people/import",
        {},
        9,
        files=lambda rng: {
            "file": (
                io.BytesIO(
                    "\n".join(
                        ",".join(rng.choice(NASTY)[:200] for _ in range(rng.randint(1, 6))) for _ in range(20)
                    ).encode("utf-8", "surrogatepass")
                    if rng.random() < 0.8
                    else b"email,name,team\n" + bytes(rng.randrange(256) for _ in range(300))
                ),
                "people.csv",
            )
        },
    )
    failures += _fuzz(client, "/admin/people/import/confirm", {"payload": ["x"]}, 10)
    assert failures == []


def test_learner_forms(client, login_as, world):
    learner, course = world["learner"], world["course"]
    login_as(learner)
    attempt = attempts.start_attempt(learner, course.modules[0].quiz)
    db.session.commit()
    fields = {
        f"q-{q['key']}": [c["id"] for c in q["choices"]] for q in attempt.served
    }  # each question's own choice ids, mixed with the nasty values
    failures = _fuzz(client, f"/attempts/{attempt.id}", fields, 11)
    profile = {"display_name": ["Me"], "timezone": ["UTC", "Europe/Berlin"], "language": ["", "de"]}
    failures += _fuzz(client, "/account/profile", profile, 12)
    failures += _fuzz(client, "/account/certificate-name", {"requested_name": ["Me"], "note": ["why"]}, 13)
    failures += _fuzz(
        client,
        "/account/password",
        {"current_password": [factories.PASSWORD], "new_password": ["x"], "confirm": ["x"]},
        14,
    )
    failures += _fuzz(client, "/account/tokens", {"name": ["My token"]}, 15)
    assert failures == []
