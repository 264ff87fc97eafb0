"""Quizzes cannot be gamed: a scripted learner (tests/web/scripted_learner.py) that sees only the pages and the API
tries to pass the shipped courses' quizzes without reading.

What a script could exploit, and what these tests show it gets:
- cues in the wording or the layout: its first attempts pass no more often than chance allows;
- the review of a failed attempt: under the default policy it shows which questions were wrong, never the right
  choices (pages and API), and a retake draws questions not seen before, so even that says nothing useful;
- the choice ids: random per attempt, never reused, in no order;
- re-submitting a finished attempt: changes nothing;
- hammering start and submit: the per-person rate limit answers 429 (pages and API alike);
- retrying at once: after two failures in a row the waiting time refuses a third attempt.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter, defaultdict
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_config
from tracker.extensions import db
from tracker.models import Attempt
from tracker.services.content import loader

from .scripted_learner import MULTIPLE, STRATEGIES, Question, ScriptedLearner, Seen, at_random, parse

# A strategy is said to beat chance only when chance alone would do as well less than once in a million runs.
FALSE_ALARM = 1e-6


@pytest.fixture
def app_config(request, database_url, instance_path):
    """The forms' CSRF protection on (the bot reads the tokens off the pages like a browser sends them)."""
    return make_config(database_url, instance_path, WTF_CSRF_ENABLED=True, **getattr(request, "param", {}))


def _bot(app, strategy=at_random, seed: int = 0) -> tuple[ScriptedLearner, int]:
    user = factories.make_user()
    bot = ScriptedLearner(app.test_client(), app.test_client(use_cookies=False), strategy, random.Random(seed))
    bot.sign_in(user.email, factories.PASSWORD)
    bot.create_api_token()
    return bot, user.id


# -- the chance a blind pick has ---------------------------------------------------------------------------------


def question_chance(question: Question) -> float:
    """A pick made without knowing the answer is right with probability 1/n for one of n options (true/false
    included); for several answers, one of the 2^n - 2 subsets that are neither empty nor every option (the
    most generous blind guess: no pool asks for all or none)."""
    n = len(question.choices)
    return 1 / (2**n - 2) if question.kind == MULTIPLE else 1 / n


def poisson_binomial(probabilities: list[float]) -> list[float]:
    """P(exactly k successes) of independent trials with these success probabilities."""
    distribution = [1.0]
    for p in probabilities:
        distribution = [
            (distribution[k] if k < len(distribution) else 0) * (1 - p) + (distribution[k - 1] * p if k else 0)
            for k in range(len(distribution) + 1)
        ]
    return distribution


def pass_chance(seen: Seen) -> float:
    """The chance that blind picks pass this attempt: at least the pass mark's share of its questions right."""
    total = len(seen.questions)
    needed = math.ceil(seen.pass_mark * total / 100)
    return sum(poisson_binomial([question_chance(q) for q in seen.questions])[needed:])


def chance_bound(probabilities: list[float]) -> int:
    """The smallest count that chance reaches with probability at most FALSE_ALARM."""
    distribution = poisson_binomial(probabilities)
    tail = 0.0
    for count in range(len(distribution) - 1, -1, -1):
        tail += distribution[count]
        if tail > FALSE_ALARM:
            return count + 1
    return 0


# -- the script against the shipped courses --------------------------------------------------------------------


def _served(attempt_id: int) -> list[dict]:
    return db.session.get(Attempt, attempt_id).served


def _leaks_after_failure(seen: Seen) -> list[str]:
    """Whatever the review of a failed attempt shows of its right choices (the database knows them)."""
    leaks = []
    shown = unescape(seen.result_html) if seen.via == "page" else json.dumps(seen.result_json, ensure_ascii=False)
    served = _served(seen.attempt_id)
    for question in served:  # the prompts are shown, and one may quote an option of another question
        shown = shown.replace(question["prompt"], "")
    for question in served:
        for choice in question["choices"]:
            if choice["id"] in shown:
                leaks.append(f"attempt {seen.attempt_id}: choice id {choice['id']} shown after a failed attempt")
            # Long texts only: "True" or a short phrase may appear anywhere in a page.
            if choice["correct"] and len(choice["text"]) >= 20 and choice["text"] in shown:
                leaks.append(f"attempt {seen.attempt_id}: right answer shown: {choice['text'][:40]}")
    if seen.saw_correct_choices:
        leaks.append(f"attempt {seen.attempt_id}: the review marks the right choices")
    if seen.via == "api" and (
        seen.result_json["review"] != "wrong_questions"
        or any(
            {k for k, v in q.items() if v is not None} - {"key", "kind", "prompt", "correct"}
            for q in seen.result_json["questions"]
        )
    ):
        leaks.append(f"attempt {seen.attempt_id}: the API review shows more than right or wrong per question")
    return leaks


@pytest.mark.slow  # about 180 attempts through pages and API over every shipped quiz
def test_a_script_that_does_not_read_passes_no_more_often_than_chance(app):
    loader.load_directory(Path(app.config["SEED_DATA_DIR"]))
    db.session.commit()
    bots = {name: _bot(app, strategy, seed) for seed, (name, strategy) in enumerate(STRATEGIES.items())}
    retakers = {"cues"}
    retaken = 15  # quizzes the retaking bot takes again after failing (enough to see the review and the wait)
    first: dict[str, list[Seen]] = defaultdict(list)
    retakes: list[tuple[Seen, Seen]] = []
    refused_third: list[bool] = []
    resubmits_changed: list[int] = []
    quizzes = bots["cues"][0].quizzes()
    assert len(quizzes) >= 30, quizzes  # every module of every shipped course has a quiz

    for name, (bot, _user_id) in bots.items():
        for index, (course, module, mark) in enumerate(quizzes):
            take = bot.attempt_on_page if (index + len(name)) % 3 == 0 else bot.attempt_by_api
            seen = take(course, module, mark)
            first[name].append(seen)
            if name not in retakers or seen.passed or index >= retaken:
                continue
            resubmits_changed.extend(_resubmit(bot, seen))
            # Read the review, then retake at once by the other way in: the bot answers from what it learnt.
            retake = (bot.attempt_by_api if take == bot.attempt_on_page else bot.attempt_on_page)(course, module, mark)
            retakes.append((seen, retake))
            if not retake.passed:
                refused_third.append(_third_start_is_refused(bot, course, module))

    # The review of a failed attempt never shows the right choices (default policy: which questions were wrong).
    failed = [s for runs in first.values() for s in runs if not s.passed] + [r for _s, r in retakes if not r.passed]
    assert len(failed) > 150 and sum(s.via == "page" for s in failed) > 40
    leaks = [leak for seen in failed for leak in _leaks_after_failure(seen)]
    assert not leaks, "\n".join(leaks[:20])
    # Re-submitting a finished attempt, with other answers, changes nothing.
    assert resubmits_changed == [], resubmits_changed
    # A retake draws questions the learner has not seen: what the review said about the last ones is no help.
    repeated = [(a.attempt_id, b.attempt_id) for a, b in retakes if _keys(a) & _keys(b)]
    assert retakes and not repeated, repeated
    # Two failures in a row: the third attempt waits (15 minutes in the shipped quizzes).
    assert refused_third and all(refused_third)

    _assert_choice_ids_reveal_nothing([s for runs in first.values() for s in runs] + [r for _s, r in retakes])
    _assert_first_attempts_at_chance(first)


def _keys(seen: Seen) -> set[str]:
    return {q.key for q in seen.questions}


def _resubmit(bot: ScriptedLearner, seen: Seen) -> list[int]:
    """Submit the finished attempt again with other answers, the same way it was taken; the attempts it changed."""
    before = db.session.get(Attempt, seen.attempt_id)
    state = (before.submitted_at, before.answers, before.score)
    other = {q.key: [q.choices[-1][0]] for q in seen.questions}
    if seen.via == "page":
        page = parse(bot.client.get(f"/attempts/{seen.attempt_id}").get_data(as_text=True))
        data = {"csrf_token": bot.any_csrf_token(page), **{f"q-{k}": v for k, v in other.items()}}
        assert bot.client.post(f"/attempts/{seen.attempt_id}", data=data).status_code in (302, 400)
    else:
        response = bot.api("POST", f"/attempts/{seen.attempt_id}/submit", {"answers": other})
        assert response.status_code == 200 and response.get_json()["score"] == before.score
    db.session.expire_all()
    after = db.session.get(Attempt, seen.attempt_id)
    return [] if (after.submitted_at, after.answers, after.score) == state else [seen.attempt_id]


def _third_start_is_refused(bot: ScriptedLearner, course: str, module: str) -> bool:
    page = bot.start_on_page(course, module)
    api = bot.api("POST", f"/courses/{course}/modules/{module}/attempts")
    waiting = "waiting time" in api.get_json().get("error", {}).get("message", "")
    back_to_quiz = page.status_code == 302 and "/attempts/" not in page.headers["Location"]
    return back_to_quiz and api.status_code == 409 and waiting


def _assert_choice_ids_reveal_nothing(attempts: list[Seen]) -> None:
    shown = [q for seen in attempts for q in seen.questions]
    ids = [cid for q in shown for cid, _text in q.choices]
    # Not stable: every serving of a question gets new ids, so nothing learnt about an id carries over.
    assert len(ids) == len(set(ids)), "a choice id was served twice"
    # Question ids are random per serving too (a content key could hint at the answer); by text, many came back.
    assert len({q.key for q in shown}) == len(shown), "a question id was served twice"
    servings = Counter(q.prompt for q in shown)  # five bots draw 25 of a pool under 20: many questions came back
    assert sum(n > 1 for n in servings.values()) > len(servings) / 4
    # Opaque: one length and alphabet, nothing of the content file's ids ("true", "c1") in them.
    assert {len(cid) for cid in ids} == {12} and all(re.fullmatch(r"[A-Za-z0-9_-]+", cid) for cid in ids)
    keys = {c["key"] for seen in attempts for q in _served(seen.attempt_id) for c in q["choices"]}
    assert not keys & set(ids)
    # Not ordered: the ids of a question are in ascending order about as often as any order (1/n! of the time).
    many = [q for q in shown if len(q.choices) >= 4]
    ascending = sum([cid for cid, _t in q.choices] == sorted(cid for cid, _t in q.choices) for q in many)
    expected = sum(1 / math.factorial(len(q.choices)) for q in many)
    assert ascending < chance_bound([1 / math.factorial(len(q.choices)) for q in many]), (ascending, expected)


def _assert_first_attempts_at_chance(first: dict[str, list[Seen]]) -> None:
    """Per strategy, the first attempts passed and the questions answered right, against what blind picks reach
    with probability FALSE_ALARM (attempts are independent: each bot takes each quiz once)."""
    lines, beaten = [], []
    for name, runs in first.items():
        passes = sum(bool(s.passed) for s in runs)
        chances = [pass_chance(s) for s in runs]
        right = sum(s.correct for s in runs)
        question_chances = [question_chance(q) for s in runs for q in s.questions]
        line = (
            f"{name:14} first attempts passed {passes:2}/{len(runs)} (chance expects {sum(chances):.2f}, "
            f"bound {chance_bound(chances)}); questions right {right:3}/{len(question_chances)} "
            f"(chance expects {sum(question_chances):.1f}, bound {chance_bound(question_chances)})"
        )
        lines.append(line)
        if passes >= chance_bound(chances) or right >= chance_bound(question_chances):
            beaten.append(line)
    print("\n" + "\n".join(lines))
    assert not beaten, "beats chance:\n" + "\n".join(beaten)


# -- rate limit and waiting time -------------------------------------------------------------------------------

THROTTLED = {"RATELIMIT_ENABLED": True, "QUIZ_RATE_LIMIT": "6 per minute"}


@pytest.mark.parametrize("app_config", [THROTTLED], indirect=True)
def test_the_rate_limit_stops_a_script_hammering_start_and_submit(app):
    course = factories.make_course(modules=1, pool=5, per_attempt=3)
    slug, module = course.slug, course.modules[0].slug
    bot, _user_id = _bot(app)
    attempt = bot.attempt_on_page(slug, module, 80)  # a start and a submit: 2 of the 6 allowed
    statuses: dict[str, list[int]] = defaultdict(list)
    for _round in range(5):
        statuses["page start"].append(bot.start_on_page(slug, module).status_code)
        statuses["api start"].append(bot.api("POST", f"/courses/{slug}/modules/{module}/attempts").status_code)
        page = parse(bot.client.get(f"/attempts/{attempt.attempt_id}").get_data(as_text=True))
        form = {"csrf_token": bot.any_csrf_token(page)}
        statuses["page submit"].append(bot.client.post(f"/attempts/{attempt.attempt_id}", data=form).status_code)
        submit = bot.api("POST", f"/attempts/{attempt.attempt_id}/submit", {"answers": {}})
        statuses["api submit"].append(submit.status_code)

    # 4 more requests pass in the first round; from then on every start and submit, page or API, is refused.
    assert all(s != 429 for kind in statuses for s in statuses[kind][:1]), statuses
    assert all(s == 429 for kind in statuses for s in statuses[kind][1:]), statuses
    refused_page = bot.start_on_page(slug, module)
    assert refused_page.status_code == 429 and "Too many attempts" in refused_page.get_data(as_text=True)
    refused_api = bot.api("POST", f"/courses/{slug}/modules/{module}/attempts")
    assert refused_api.status_code == 429 and refused_api.get_json()["error"]["code"] == 429
    # Per person, not per address: another learner on the same address starts at once.
    other, _other_id = _bot(app)
    assert other.start_on_page(slug, module).status_code == 302


def test_the_waiting_time_refuses_a_third_attempt_after_two_failures(app):
    course = factories.make_course(
        modules=1, pool=9, per_attempt=3, cooldown=15, cooldown_after=2, review_after_fail="wrong_questions"
    )
    slug, module, quiz_id = course.slug, course.modules[0].slug, course.modules[0].quiz.id

    def wrong(question: Question, rng) -> list[str]:  # the test, not the bot, knows what is wrong
        served = db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz_id, Attempt.submitted_at.is_(None)))
        choices = next(q for q in served.served if (q.get("id") or q["key"]) == question.key)["choices"]
        return [next(c["id"] for c in choices if not c["correct"])]

    bot, user_id = _bot(app, wrong)
    first = bot.attempt_on_page(slug, module, 80)
    assert not first.passed and not first.saw_correct_choices
    second = bot.attempt_by_api(slug, module, 80)  # one failure does not make the learner wait
    assert not second.passed and not second.saw_correct_choices

    page = bot.start_on_page(slug, module)
    assert page.status_code == 302 and "/attempts/" not in page.headers["Location"]
    quiz_page = bot.client.get(page.headers["Location"]).get_data(as_text=True)
    assert "once the waiting time after your last attempts has passed" in unescape(quiz_page)
    assert "Available again from" in quiz_page
    api = bot.api("POST", f"/courses/{slug}/modules/{module}/attempts")
    assert api.status_code == 409 and "waiting time" in api.get_json()["error"]["message"]
    assert len(db.session.scalars(select(Attempt).where(Attempt.user_id == user_id)).all()) == 2
