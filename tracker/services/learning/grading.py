"""Scoring an attempt: pure functions over the served snapshot and the answers given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Grade:
    results: dict[str, bool]
    correct: int
    total: int
    score: int
    passed: bool


def correct_choice_ids(question: Mapping[str, Any]) -> set[str]:
    return {choice["id"] for choice in question["choices"] if choice["correct"]}


def is_answer_correct(question: Mapping[str, Any], selected: Sequence[str]) -> bool:
    # Multiple choice needs every correct choice and nothing else; single and true/false reduce to the same rule.
    return set(selected) == correct_choice_ids(question)


def grade(served: Sequence[Mapping[str, Any]], answers: Mapping[str, Sequence[str]], pass_mark: int) -> Grade:
    if not served:
        raise ValueError("an attempt without questions cannot be graded")
    results = {q["key"]: is_answer_correct(q, answers.get(q["key"], ())) for q in served}
    correct = sum(results.values())
    total = len(served)
    # Integer arithmetic: 4 of 5 against a pass mark of 80 passes, without float rounding surprises.
    return Grade(
        results=results,
        correct=correct,
        total=total,
        score=round(100 * correct / total),
        passed=correct * 100 >= pass_mark * total,
    )
