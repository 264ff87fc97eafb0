"""Digits that are not ASCII ("²", "٣") pass `str.isdigit` but are no id, page number or code."""

import pytest

from tracker.inputs import bounded_int, database_id, is_digits


@pytest.mark.parametrize("text", ["²", "٣", "1²", "①", "１２"])
def test_only_ascii_digits_count(text):
    assert not is_digits(text)
    assert database_id(text) is None
    assert bounded_int(text, 7) == 7


def test_ascii_digits_still_read():
    assert is_digits("042") and database_id("42") == 42 and bounded_int("-3", 1, low=-5) == -3
