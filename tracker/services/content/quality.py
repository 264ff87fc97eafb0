"""Checks of a course's quiz pool that no single question shows: cues that let someone pass without reading.

Measured per course on the normalised content (services/content/schema.py):

- the correct option is the longest option (ties count) in more than 40 % of single-choice questions;
- true/false questions keyed True less than 40 % or more than 60 % of the time;
- more than half of the multiple-choice questions sharing one number of correct options.

Also the shape of the pools: the share of scenario questions and the pool size against the questions drawn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ...enums import QuestionKind

LONGEST_CORRECT_MAX = 0.40
TRUE_SHARE_RANGE = (0.40, 0.60)
MULTI_COUNT_MAX = 0.50
SCENARIO_SHARE_MIN = 0.60
POOL_FACTOR_MIN = 3


@dataclass
class PoolReport:
    course: str
    single: int = 0
    single_longest_correct: int = 0
    true_false: int = 0
    true_false_true: int = 0
    multiple: int = 0
    multiple_counts: Counter = field(default_factory=Counter)
    questions: int = 0
    scenarios: int = 0
    small_pools: list[str] = field(default_factory=list)  # "module: pool N for M drawn"

    @property
    def longest_share(self) -> float:
        return self.single_longest_correct / self.single if self.single else 0.0

    @property
    def true_share(self) -> float:
        return self.true_false_true / self.true_false if self.true_false else 0.5

    @property
    def multi_mode_share(self) -> float:
        return max(self.multiple_counts.values()) / self.multiple if self.multiple else 0.0

    @property
    def scenario_share(self) -> float:
        return self.scenarios / self.questions if self.questions else 0.0

    def cue_problems(self) -> list[str]:
        problems = []
        if self.longest_share > LONGEST_CORRECT_MAX:
            problems.append(
                f"{self.course}: the correct option is the longest in {self.single_longest_correct} of {self.single} "
                f"single-choice questions ({self.longest_share:.0%}; at most {LONGEST_CORRECT_MAX:.0%})"
            )
        low, high = TRUE_SHARE_RANGE
        if self.true_false and not low <= self.true_share <= high:
            problems.append(
                f"{self.course}: {self.true_false_true} of {self.true_false} true/false questions are keyed True "
                f"({self.true_share:.0%}; keep between {low:.0%} and {high:.0%})"
            )
        if self.multi_mode_share > MULTI_COUNT_MAX:
            count, items = self.multiple_counts.most_common(1)[0]
            problems.append(
                f"{self.course}: {items} of {self.multiple} multiple-choice questions have exactly {count} correct "
                f"options ({self.multi_mode_share:.0%}; at most {MULTI_COUNT_MAX:.0%} may share one count)"
            )
        return problems

    def shape_problems(self) -> list[str]:
        problems = [f"{self.course}: {pool}" for pool in self.small_pools]
        if self.scenario_share < SCENARIO_SHARE_MIN:
            problems.append(
                f"{self.course}: {self.scenarios} of {self.questions} questions are workplace scenarios "
                f"({self.scenario_share:.0%}; at least {SCENARIO_SHARE_MIN:.0%})"
            )
        return problems


def pool_report(course: dict[str, Any]) -> PoolReport:
    report = PoolReport(course["slug"])
    for module in course["modules"]:
        quiz = module.get("quiz")
        if not quiz:
            continue
        pool = quiz["questions"]
        if len(pool) < POOL_FACTOR_MIN * quiz["questions_per_attempt"]:
            report.small_pools.append(
                f"{module['slug']}: a pool of {len(pool)} for {quiz['questions_per_attempt']} drawn "
                f"(at least {POOL_FACTOR_MIN} times as many)"
            )
        for question in pool:
            report.questions += 1
            report.scenarios += bool(question.get("scenario"))
            choices = question["choices"]
            correct = [c for c in choices if c["correct"]]
            if question["kind"] == QuestionKind.SINGLE:
                report.single += 1
                longest = max(len(c["text"]) for c in choices)
                report.single_longest_correct += len(correct[0]["text"]) == longest
            elif question["kind"] == QuestionKind.TRUE_FALSE:
                report.true_false += 1
                report.true_false_true += correct[0]["id"] == "true"
            else:
                report.multiple += 1
                report.multiple_counts[len(correct)] += 1
    return report
