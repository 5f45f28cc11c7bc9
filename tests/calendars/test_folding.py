"""How events.ical folds long content lines: at most 75 octets a line, never inside a UTF-8 character, never
between a backslash and what it escapes, and unfolding gives the line back."""

from __future__ import annotations

import random

import pytest

from events.ical import _fold, _text

ALPHABET = "ab\\,;\n 中文🚀é"


def _unfold(text: str) -> str:
    return text.replace("\r\n ", "")


def _lines():
    rng = random.Random(5545)  # the same lines on every run
    for _ in range(2000):
        yield "DESCRIPTION:" + _text("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 300))))


def test_every_folded_line_is_at_most_75_octets_and_unfolds_to_the_original():
    for line in _lines():
        folded = _fold(line)
        assert _unfold(folded) == line
        for n, physical in enumerate(folded.split("\r\n")):
            octets = physical.encode()
            assert len(octets) <= 75, (line, physical)
            assert n == 0 or physical.startswith(" ")


def test_a_fold_never_separates_an_escape_from_what_it_escapes():
    for line in _lines():
        for physical in _fold(line).split("\r\n")[:-1]:
            backslashes = len(physical) - len(physical.rstrip("\\"))
            assert backslashes % 2 == 0, (line, physical)


@pytest.mark.parametrize("line", ["", "SUMMARY:short", "X" * 74])
def test_a_line_below_75_octets_is_left_alone(line):
    assert _fold(line) == line


def test_a_line_of_75_octets_is_folded_and_chinese_is_cut_between_characters():
    assert _fold("X" * 75) == "X" * 74 + "\r\n X"
    folded = _fold("DESCRIPTION:" + "中" * 30)  # 12 + 90 octets
    first, rest = folded.split("\r\n")
    assert first == "DESCRIPTION:" + "中" * 20 and rest == " " + "中" * 10
