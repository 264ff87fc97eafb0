"""Item analysis of a course's quizzes, from submitted attempts: how hard each question is, whether it separates
learners who know the material from those who do not, how often each choice is picked, and flags for questions an
author should look at.

Classical test theory, computed here because no maintained Python library takes this shape of data (pools drawn
per attempt, choices shuffled per attempt): difficulty is the share of correct answers; discrimination is the
point-biserial correlation between answering the item correctly and the rest of the attempt's score (the item
itself left out, as is usual for short tests). Flags need MIN_SAMPLE answers: on a handful of attempts every
statistic is noise.

One query reads the course's structure and one streams every submitted attempt of its quizzes in batches, so the
number of queries does not grow with the number of attempts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from ...enums import ItemFlag, QuestionKind
from ...extensions import db
from ...models import Attempt, Course

MIN_SAMPLE = 30  # answers to a question before any flag is raised
TOO_EASY = 0.95  # difficulty above: almost everyone is right, the item tells nothing
TOO_HARD = 0.30  # difficulty below: most are wrong (a wrong key, unclear wording, or a gap in the lesson)


@dataclass
class ChoiceStats:
    key: str
    text: str
    correct: bool
    picked: int = 0


@dataclass
class QuestionStats:
    key: str
    prompt: str
    kind: QuestionKind
    choices: list[ChoiceStats]
    served: int = 0
    right: int = 0
    discrimination: float | None = None
    flags: list[ItemFlag] = field(default_factory=list)
    # (answered correctly, rest score) per answer, for the discrimination; dropped once computed
    _pairs: list[tuple[bool, float]] = field(default_factory=list, repr=False)

    @property
    def difficulty(self) -> float | None:
        """The share answered correctly (a higher value is an easier question)."""
        return self.right / self.served if self.served else None


@dataclass
class ModuleStats:
    slug: str
    title: str
    attempts: int = 0
    passed: int = 0
    first_attempts: int = 0
    first_passed: int = 0
    questions: list[QuestionStats] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempts if self.attempts else None

    @property
    def first_attempt_pass_rate(self) -> float | None:
        return self.first_passed / self.first_attempts if self.first_attempts else None


def analyse(course: Course) -> list[ModuleStats]:
    """Statistics of every module's quiz of `course` (loaded with its content) over all submitted attempts."""
    modules: dict[int, ModuleStats] = {}
    questions: dict[tuple[int, str], QuestionStats] = {}
    for module in course.modules:
        if module.quiz is None:
            continue
        stats = ModuleStats(module.slug, module.title)
        for question in module.quiz.questions:
            item = QuestionStats(
                key=question.key,
                prompt=question.prompt,
                kind=QuestionKind(question.kind),
                choices=[ChoiceStats(c["id"], c["text"], bool(c["correct"])) for c in question.choices],
            )
            stats.questions.append(item)
            questions[module.quiz.id, question.key] = item
        modules[module.quiz.id] = stats
    for quiz_id, number, passed, served, answers, results in _attempts(list(modules)):
        stats = modules[quiz_id]
        stats.attempts += 1
        stats.passed += bool(passed)
        if number == 1:
            stats.first_attempts += 1
            stats.first_passed += bool(passed)
        _count_answers(questions, quiz_id, served or [], answers or {}, results or {})
    for item in questions.values():
        item.discrimination = point_biserial(item._pairs)
        item._pairs = []
        item.flags = flags(item)
    return list(modules.values())


def _attempts(quiz_ids: list[int]) -> Iterator[tuple]:
    if not quiz_ids:
        return iter(())
    query = (
        select(Attempt.quiz_id, Attempt.number, Attempt.passed, Attempt.served, Attempt.answers, Attempt.results)
        .where(Attempt.quiz_id.in_(quiz_ids), Attempt.submitted_at.is_not(None))
        .order_by(Attempt.id)
        .execution_options(yield_per=500)
    )
    return iter(db.session.execute(query))


def _count_answers(questions, quiz_id: int, served: list, answers: dict, results: dict) -> None:
    scored = [q["key"] for q in served if q["key"] in results]
    total_right = sum(bool(results[key]) for key in scored)
    for question in served:
        item = questions.get((quiz_id, question["key"]))
        if item is None or question["key"] not in results:
            continue  # a question removed from the pool since, or an attempt whose details were anonymised
        right = bool(results[question["key"]])
        item.served += 1
        item.right += right
        if len(scored) > 1:
            item._pairs.append((right, (total_right - right) / (len(scored) - 1)))
        # Choice ids are random per attempt; `key` is the file's id (older attempts used the file's id directly).
        file_key = {c["id"]: c.get("key", c["id"]) for c in question["choices"]}
        by_key = {choice.key: choice for choice in item.choices}
        for chosen in answers.get(question["key"], []):
            choice = by_key.get(file_key.get(chosen, ""))
            if choice is not None:
                choice.picked += 1


def point_biserial(pairs: list[tuple[bool, float]]) -> float | None:
    """r_pb = (M1 - M0) / s * sqrt(p q): M1 and M0 the mean rest scores of those right and wrong, s their standard
    deviation over everyone, p the share right. None when it is undefined (everyone right, or no spread)."""
    n = len(pairs)
    right = [rest for correct, rest in pairs if correct]
    wrong = [rest for correct, rest in pairs if not correct]
    if not right or not wrong:
        return None
    scores = [rest for _correct, rest in pairs]
    mean = sum(scores) / n
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
    if spread == 0:
        return None
    p = len(right) / n
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / spread * math.sqrt(p * (1 - p))


def flags(item: QuestionStats) -> list[ItemFlag]:
    """What an author should look at; nothing below MIN_SAMPLE answers."""
    if item.served < MIN_SAMPLE:
        return []
    found = []
    difficulty = item.difficulty or 0.0
    if difficulty > TOO_EASY:
        found.append(ItemFlag.TOO_EASY)
    if difficulty < TOO_HARD:
        found.append(ItemFlag.TOO_HARD)
    if item.discrimination is not None and item.discrimination < 0:
        found.append(ItemFlag.NEGATIVE_DISCRIMINATION)
    wrong = [c for c in item.choices if not c.correct]
    right = [c for c in item.choices if c.correct]
    if item.kind != QuestionKind.TRUE_FALSE and any(c.picked == 0 for c in wrong):
        found.append(ItemFlag.UNUSED_DISTRACTOR)
    if right and any(c.picked > min(r.picked for r in right) for c in wrong):
        found.append(ItemFlag.POPULAR_DISTRACTOR)
    return found


CSV_HEADER = (
    "module",
    "question",
    "kind",
    "served",
    "difficulty",
    "discrimination",
    "flags",
    "choice",
    "choice_correct",
    "choice_picked",
    "prompt",
    "choice_text",
)


def csv_rows(modules: list[ModuleStats]) -> Iterator[tuple]:
    """One row per choice (question figures repeated), so a spreadsheet can filter and pivot."""
    for module in modules:
        for item in module.questions:
            for choice in item.choices:
                yield (
                    module.slug,
                    item.key,
                    item.kind.value,
                    item.served,
                    round(item.difficulty, 3) if item.difficulty is not None else None,
                    round(item.discrimination, 3) if item.discrimination is not None else None,
                    " ".join(flag.value for flag in item.flags),
                    choice.key,
                    choice.correct,
                    choice.picked,
                    item.prompt,
                    choice.text,
                )
