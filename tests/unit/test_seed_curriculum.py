"""Mechanical checks of the shipped curriculum in seed_data/ against the product's content standard.

Each test collects every violation it finds (with file and location) and asserts the list is empty, so a failing
run names all offending places at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Lesson, Module, Question
from tracker.services.content import loader, quality
from tracker.services.content.schema import validate_course
from tracker.services.content.translations import language_of_file, status, validate_translation

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
PATHS_FILE = "paths.yaml"

ESSENTIALS = [
    "ai-capabilities-and-limits",
    "ai-ethics-governance-eu-ai-act",
    "data-privacy-and-ai",
    "human-ai-collaboration",
    "ai-security-and-agents",
]
ROLE_COURSES = [
    "ai-for-managers-and-approvers",
    "ai-in-hr",
    "ai-in-customer-service",
    "ai-in-communications",
    "ai-for-developers",
]
EXPECTED_SLUGS = {
    *ESSENTIALS,
    "aiops-and-continuous-learning",
    "explainable-ai-and-transparency",
    *ROLE_COURSES,
}
CAPABILITIES, GOVERNANCE, PRIVACY, COLLABORATION, SECURITY = ESSENTIALS
EXPECTED_PATHS = {
    "ai-literacy-essentials": ESSENTIALS,
    "it-operations": [*ESSENTIALS, "aiops-and-continuous-learning"],
    "practitioners": [*ESSENTIALS, "explainable-ai-and-transparency"],
    # Role tracks: the core courses the role needs, then the role's own course.
    "managers-and-approvers": [*ESSENTIALS, "ai-for-managers-and-approvers"],
    "hr": [*ESSENTIALS, "ai-in-hr"],
    "customer-service": [CAPABILITIES, PRIVACY, COLLABORATION, SECURITY, "ai-in-customer-service"],
    "communications": [CAPABILITIES, GOVERNANCE, PRIVACY, SECURITY, "ai-in-communications"],
    "developers": [CAPABILITIES, GOVERNANCE, PRIVACY, SECURITY, "explainable-ai-and-transparency", "ai-for-developers"],
}
# A course's facts are checked again at least every six months.
MAX_FACTS_AGE = dt.timedelta(days=183)

MIN_MODULE_WORDS = 600
MAX_MODULE_WORDS = 1500


# --------------------------------------------------------------------------------------------- parsing helpers


def course_files() -> list[Path]:
    return sorted(p for p in SEED_DIR.glob("*.yaml") if p.name != PATHS_FILE and not language_of_file(p.name))


def translation_files() -> list[Path]:
    return sorted(p for p in SEED_DIR.glob("*.yaml") if language_of_file(p.name))


@cache
def _parse(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def courses() -> list[tuple[str, dict[str, Any]]]:
    """(file name, raw parsed course) for every course file."""
    return [(path.name, _parse(path)) for path in course_files()]


def modules() -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, module) for every module of every course."""
    for name, course in courses():
        for m, module in enumerate(course["modules"]):
            yield f"{name}: modules[{m}] ({module['slug']})", module


def lessons() -> Iterator[tuple[str, dict[str, Any]]]:
    for where, module in modules():
        for n, lesson in enumerate(module["lessons"]):
            yield f"{where}.lessons[{n}] ({lesson['slug']})", lesson


def questions() -> Iterator[tuple[str, dict[str, Any]]]:
    for where, module in modules():
        for q, question in enumerate(module["quiz"]["questions"]):
            yield f"{where}.quiz.questions[{q}] ({question['id']})", question


def word_count(text: str) -> int:
    return len(text.split())


def curriculum_totals() -> dict[str, int]:
    """Size of the shipped curriculum, counted straight from the YAML files."""
    all_modules = [m for _, m in modules()]
    all_lessons = [lesson for _, lesson in lessons()]
    return {
        "courses": len(courses()),
        "modules": len(all_modules),
        "lessons": len(all_lessons),
        "words": sum(word_count(lesson["body"]) for lesson in all_lessons),
        "questions": sum(len(m["quiz"]["questions"]) for m in all_modules),
    }


# --------------------------------------------------------------------------------------------- courses


def test_exactly_the_expected_course_files():
    assert {path.stem for path in course_files()} == EXPECTED_SLUGS
    assert len(course_files()) == len(EXPECTED_SLUGS) == 12
    # docs/content-format.md: one file per course, named after its slug.
    assert [(name, course["slug"]) for name, course in courses()] == [
        (f"{slug}.yaml", slug) for slug in sorted(EXPECTED_SLUGS)
    ]


def test_every_course_file_passes_the_loader_validation():
    problems = []
    for name, course in courses():
        normalised, found = validate_course(course)
        problems += [f"{name}: {p}" for p in found]
        if not found:
            assert normalised is not None and normalised["slug"] == course["slug"]
    assert problems == []


def test_every_course_states_when_facts_were_checked_and_how_long_certificates_last():
    problems = []
    for name, course in courses():
        facts_checked = course.get("facts_checked")
        if not isinstance(facts_checked, dt.date) or isinstance(facts_checked, dt.datetime):
            problems.append(f"{name}: facts_checked must be a YYYY-MM-DD date, got {facts_checked!r}")
        months = course.get("certificate_valid_months")
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            problems.append(f"{name}: certificate_valid_months must be a whole number of months, got {months!r}")
    assert problems == []


# --------------------------------------------------------------------------------------------- lessons


def _well_formed_url(url: Any) -> bool:
    if not isinstance(url, str) or url != url.strip() or any(ch.isspace() for ch in url):
        return False
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return parsed.scheme in {"http", "https"} and "." in host and not host.startswith(".")


def test_every_lesson_has_objectives_key_points_and_sources():
    problems = []
    for where, lesson in lessons():
        for field in ("objectives", "key_points"):
            items = lesson.get(field)
            if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
                problems.append(f"{where}: {field} must be a non-empty list of non-empty texts")
        sources = lesson.get("sources")
        if not isinstance(sources, list) or not sources:
            problems.append(f"{where}: sources must list at least one source")
            continue
        for s, source in enumerate(sources):
            citation = source.get("citation") if isinstance(source, dict) else None
            if not isinstance(citation, str) or not citation.strip():
                problems.append(f"{where}.sources[{s}]: needs a citation")
            if isinstance(source, dict) and "url" in source and not _well_formed_url(source["url"]):
                problems.append(f"{where}.sources[{s}].url: {source['url']!r} is not a well-formed http(s) link")
    assert problems == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://eur-lex.europa.eu/eli/reg/2024/1689/oj", True),
        ("http://example.org/page?x=1", True),
        ("htp:/x", False),
        ("https://", False),
        ("not a url", False),
        ("ftp://example.org/file", False),
        ("https://exa mple.org", False),
        (None, False),
    ],
)
def test_url_check_used_by_these_tests(url, ok):
    assert _well_formed_url(url) is ok


def test_every_module_has_one_to_three_lessons_of_600_to_1500_words():
    problems = []
    for where, module in modules():
        count = len(module["lessons"])
        if not 1 <= count <= 3:
            problems.append(f"{where}: has {count} lessons, expected 1-3")
        words = sum(word_count(lesson["body"]) for lesson in module["lessons"])
        if not MIN_MODULE_WORDS <= words <= MAX_MODULE_WORDS:
            problems.append(
                f"{where}: lesson bodies have {words} words, expected {MIN_MODULE_WORDS}-{MAX_MODULE_WORDS}"
            )
    assert problems == []


# --------------------------------------------------------------------------------------------- quizzes


def test_every_quiz_has_the_standard_settings_and_a_mixed_pool():
    problems = []
    for where, module in modules():
        quiz = module["quiz"]
        if quiz.get("pass_mark") != 80:
            problems.append(f"{where}.quiz: pass_mark is {quiz.get('pass_mark')!r}, expected 80")
        per_attempt = quiz.get("questions_per_attempt")
        if per_attempt not in (5, 6):
            problems.append(f"{where}.quiz: questions_per_attempt is {per_attempt!r}, expected 5 or 6")
        pool = quiz["questions"]
        if len(pool) < 10:
            problems.append(f"{where}.quiz: pool has {len(pool)} questions, expected at least 10")
        kinds = {q.get("type") for q in pool}
        if kinds != {"single", "multiple", "true_false"}:
            problems.append(f"{where}.quiz: question types are {sorted(map(str, kinds))}, expected all three")
    assert problems == []


def test_no_course_is_older_than_six_months_after_its_facts_were_checked():
    today = dt.date.today()
    stale = [
        f"{name}: facts checked {course['facts_checked']}, more than six months ago"
        for name, course in courses()
        if isinstance(course.get("facts_checked"), dt.date) and today - course["facts_checked"] > MAX_FACTS_AGE
    ]
    assert stale == []


def _reports() -> list[quality.PoolReport]:
    return [quality.pool_report(validate_course(course)[0]) for _, course in courses()]


def test_no_course_gives_the_answers_away_through_the_wording():
    """The cue check (services/content/quality.py): longest option, true/false balance, count of correct options."""
    assert [problem for report in _reports() for problem in report.cue_problems()] == []


def test_most_questions_are_workplace_scenarios_and_pools_are_three_times_what_is_drawn():
    assert [problem for report in _reports() for problem in report.shape_problems()] == []


@pytest.mark.parametrize(
    ("singles", "true_keys", "multi_counts", "expected"),
    [
        ([True, True, False, False, False], [True, False], [2, 3], []),  # 40 % longest, 50 % true, no majority
        ([True, True, True, False, False], [True, False], [2, 3], ["longest"]),
        ([False] * 5, [True, True, True, False], [2, 3], ["keyed True"]),
        ([False] * 5, [True, False], [3, 3, 2], ["exactly 3 correct"]),
    ],
)
def test_cue_check_finds_each_cue(singles, true_keys, multi_counts, expected):
    def single(longest_correct: bool) -> dict:
        short, long = {"text": "short", "correct": False}, {"text": "a much longer option", "correct": False}
        right = dict(long if longest_correct else short, correct=True)
        return {"kind": "single", "choices": [right, short if longest_correct else long], "scenario": True}

    pool = [single(flag) for flag in singles]
    pool += [
        {"kind": "true_false", "choices": [{"id": "true", "correct": key}, {"id": "false", "correct": not key}]}
        for key in true_keys
    ]
    pool += [
        {"kind": "multiple", "choices": [{"text": str(i), "correct": i < n} for i in range(n + 1)]}
        for n in multi_counts
    ]
    course = {"slug": "fixture", "modules": [{"slug": "m", "quiz": {"questions": pool, "questions_per_attempt": 1}}]}
    problems = quality.pool_report(course).cue_problems()
    assert len(problems) == len(expected)
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem


def test_every_question_has_the_right_number_of_correct_answers_and_an_explanation():
    problems = []
    for where, question in questions():
        kind = question.get("type")
        explanation = question.get("explanation")
        if not isinstance(explanation, str) or not explanation.strip():
            problems.append(f"{where}: needs a non-empty explanation")
        if kind == "true_false":
            if "choices" in question or not isinstance(question.get("answer"), bool):
                problems.append(f"{where}: true_false needs `answer: true|false` and no choices")
            continue
        choices = question.get("choices") or []
        correct = sum(1 for c in choices if c.get("correct") is True)
        wrong = len(choices) - correct
        if kind == "single" and correct != 1:
            problems.append(f"{where}: single choice has {correct} correct choices, expected exactly 1")
        elif kind == "multiple" and (correct < 2 or wrong < 1):
            problems.append(f"{where}: multiple choice has {correct} correct and {wrong} wrong choices")
        elif kind not in ("single", "multiple"):
            problems.append(f"{where}: unknown type {kind!r}")
    assert problems == []


def test_question_ids_are_unique_across_all_files():
    ids = Counter(question["id"] for _, question in questions())
    duplicates = {key: [where for where, q in questions() if q["id"] == key] for key, n in ids.items() if n > 1}
    assert duplicates == {}


def test_no_question_has_empty_or_duplicated_choices():
    problems = []
    for where, question in questions():
        seen: set[str] = set()
        for c, choice in enumerate(question.get("choices") or []):
            text = choice.get("text")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}.choices[{c}]: empty choice")
                continue
            norm = " ".join(text.lower().split())
            if norm in seen:
                problems.append(f"{where}.choices[{c}]: duplicate choice {text!r}")
            seen.add(norm)
    assert problems == []


# --------------------------------------------------------------------------------------------- no compliance claims

_QUOTE = "[\"'\u2018\u2019\u201c\u201d]?"
_WHO = (
    r"(?:you|anyone|everyone|someone|staff|learners|people|employees|them|us"
    r"|(?:you\s+(?:and|or)\s+)?(?:your|an?|the|their)\s+(?:organi[sz]ation|team|company|employer|staff))"
)
AFFIRMATIVE_CLAIMS = [
    re.compile(rf"\bmakes?\s+{_WHO}\s+(?:\w+\s+){{0,3}}?{_QUOTE}(?:compliant|certified)\b", re.IGNORECASE),
    re.compile(
        rf"\b(?:you|we|they|your\s+organi[sz]ation|the\s+organi[sz]ation)\s+(?:are|is|will\s+be|become)\s+"
        rf"(?:now\s+|fully\s+|then\s+)?{_QUOTE}(?:compliant|certified)\b",
        re.IGNORECASE,
    ),
    re.compile(rf"\bbecom(?:e|es|ing)\s+(?:fully\s+)?{_QUOTE}compliant\b", re.IGNORECASE),
    re.compile(r"\bcertified\s+as\b", re.IGNORECASE),
    re.compile(r"\b(?:guarantee|ensure|prove)[sd]?\s+(?:\w+\s+){0,3}?compliance\b", re.IGNORECASE),
]
# A claim is denied when its clause (since the last sentence break) says so before the matched phrase.
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|neither|nor|without)\b|n't\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.;:!?]")


def compliance_claims(text: str) -> list[str]:
    """Phrases that affirmatively claim compliance or certification; denials ("does not make anyone compliant")
    are not claims."""
    text = " ".join(text.split())
    found = []
    for pattern in AFFIRMATIVE_CLAIMS:
        for match in pattern.finditer(text):
            before = text[: match.start()]
            breaks = list(_CLAUSE_BREAK.finditer(before))
            clause = before[breaks[-1].end() :] if breaks else before
            if not _NEGATION.search(clause):
                found.append(match.group(0))
    return found


def asserted_texts() -> Iterator[tuple[str, str]]:
    """Every text the curriculum presents as true. Wrong choices and the statements of `answer: false`
    questions are excluded: they are misconceptions the quiz marks as wrong, not claims."""
    for name, course in courses():
        for key in ("title", "summary", "audience"):
            yield f"{name}: {key}", course[key]
    for where, module in modules():
        yield f"{where}.title", module["title"]
    for where, lesson in lessons():
        yield f"{where}.title", lesson["title"]
        yield f"{where}.body", lesson["body"]
        for key in ("objectives", "key_points"):
            for i, item in enumerate(lesson[key]):
                yield f"{where}.{key}[{i}]", item
        for s, source in enumerate(lesson["sources"]):
            yield f"{where}.sources[{s}].citation", source["citation"]
    for where, question in questions():
        if question["type"] != "true_false" or question["answer"] is True:
            yield f"{where}.prompt", question["prompt"]
        yield f"{where}.explanation", question["explanation"]
        for c, choice in enumerate(question.get("choices") or []):
            if choice.get("correct") is True:
                yield f"{where}.choices[{c}]", choice["text"]
    for p, path in enumerate(_parse(SEED_DIR / PATHS_FILE)["paths"]):
        yield f"{PATHS_FILE}: paths[{p}].title", path["title"]
        yield f"{PATHS_FILE}: paths[{p}].description", path.get("description") or ""


@pytest.mark.parametrize(
    "claim",
    [
        "Completing this course makes you compliant with the EU AI Act.",
        "Finishing the training makes your organisation fully compliant.",
        "Once you pass the quiz, you are compliant.",
        "Your organisation will be compliant after everyone finishes.",
        "Take the course and become compliant in a day.",
        "You will be certified as an AI literacy expert.",
        "This certificate guarantees compliance with Article 4.",
        "Our course guarantees full compliance.",
        "The record proves AI Act compliance.",
    ],
)
def test_claim_scanner_finds_affirmative_claims(claim):
    assert compliance_claims(claim)


@pytest.mark.parametrize(
    "denial",
    [
        "Completing a course does not make anyone compliant.",
        'It does not make you or your organisation "compliant" or "certified" under the AI Act.',
        "Neither documentation nor a training course makes an organisation compliant on its own.",
        "A certificate is not proof of compliance, and it does not guarantee compliance.",
        "Certification covers the management system; it does not prove AI Act compliance.",
        "ISO/IEC 42001 is a management system standard that can be certified.",
    ],
)
def test_claim_scanner_accepts_denials(denial):
    assert compliance_claims(denial) == []


def test_no_text_claims_that_a_course_makes_anyone_compliant_or_certified():
    claims = [(where, compliance_claims(text)) for where, text in asserted_texts()]
    assert [(where, found) for where, found in claims if found] == []


def test_the_scan_covers_the_whole_curriculum():
    """Guard against a scan that silently looks at nothing: the bodies of every lesson are included."""
    scanned = [where for where, _ in asserted_texts()]
    assert sum(1 for where in scanned if where.endswith(".body")) == curriculum_totals()["lessons"]
    assert sum(1 for where in scanned if where.endswith(".explanation")) == curriculum_totals()["questions"]


# --------------------------------------------------------------------------------------------- paths


def test_learning_paths_bundle_the_expected_courses_in_order():
    data = _parse(SEED_DIR / PATHS_FILE)
    assert {path["slug"]: path["courses"] for path in data["paths"]} == EXPECTED_PATHS
    assert len(data["paths"]) == len(EXPECTED_PATHS)
    for path in data["paths"]:
        assert isinstance(path["title"], str) and path["title"].strip()
        assert isinstance(path.get("description"), str) and path["description"].strip()


# --------------------------------------------------------------------------------------------- totals


def test_curriculum_totals_match_what_the_loader_stores(app):
    totals = curriculum_totals()
    assert totals["courses"] == 12
    assert totals["modules"] >= 6 and totals["lessons"] >= totals["modules"]
    assert totals["questions"] >= 10 * totals["modules"]
    assert MIN_MODULE_WORDS * totals["modules"] <= totals["words"] <= MAX_MODULE_WORDS * totals["modules"]

    loader.load_directory(SEED_DIR)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Module)) == totals["modules"]
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == totals["lessons"]
    assert db.session.scalar(select(func.sum(Lesson.word_count))) == totals["words"]
    assert db.session.scalar(select(func.count()).select_from(Question)) == totals["questions"]


# --------------------------------------------------------------------------------------------- translations


def test_course_1_ships_complete_in_german_and_french():
    assert [path.name for path in translation_files()] == [
        "ai-capabilities-and-limits.de.yaml",
        "ai-capabilities-and-limits.fr.yaml",
    ]
    source = validate_course(_parse(SEED_DIR / "ai-capabilities-and-limits.yaml"))[0]
    for path in translation_files():
        translation, problems = validate_translation(source, _parse(path))
        assert [str(p) for p in problems] == [], path.name
        assert status(source, translation).complete


def test_translations_keep_the_numbers_of_the_course():
    """A translation is faithful to the facts: every number of a lesson appears in its translation too."""
    source = _parse(SEED_DIR / "ai-capabilities-and-limits.yaml")
    problems = []
    for path in translation_files():
        translated = {m["slug"]: m for m in _parse(path)["modules"]}
        for module in source["modules"]:
            lessons = {lesson["slug"]: lesson for lesson in translated[module["slug"]]["lessons"]}
            for lesson in module["lessons"]:
                numbers = set(re.findall(r"\d+", lesson["body"]))
                there = set(re.findall(r"\d+", lessons[lesson["slug"]]["body"].replace(".", "").replace(" ", "")))
                there |= set(re.findall(r"\d+", lessons[lesson["slug"]]["body"]))
                missing = sorted(numbers - there)
                if missing:
                    problems.append(f"{path.name}: {module['slug']}/{lesson['slug']}: {missing}")
    assert problems == []
