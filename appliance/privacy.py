"""Card numbers never reach the disk: redaction of transcripts, logs and analytics.

A card number is 13 to 19 digits that pass the Luhn check, however they arrive: keyed
("4111111111111111"), grouped with spaces or dashes, or spoken and written out by the
speech-to-text ("four one one one ..."), with "oh" for zero and "double five" for 55.
A security code or expiry date near a card number is removed with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CARD_MARK = "[card number removed]"
DETAIL_MARK = "[removed]"

_WORD_DIGITS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_REPEATS = {"double": 2, "triple": 3}
_UNIT = r"\d+|" + "|".join(sorted([*_WORD_DIGITS, *_REPEATS], key=len, reverse=True))
_SPOKEN = "|".join(sorted([*_WORD_DIGITS, *_REPEATS], key=len, reverse=True))
_UNIT_RE = re.compile(rf"\b(?:{_UNIT})\b", re.IGNORECASE)
_RUN_RE = re.compile(rf"\b(?:{_UNIT})\b(?:[\s,.\-/]*\b(?:{_UNIT})\b)*", re.IGNORECASE)

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_NEAR_CARD = re.compile(
    rf"\b(?:{_MONTHS})\b\s*(?:of\s+)?(?:20)?\d{{2}}\b"  # "March 2027", "march of 27"
    rf"|\b\d{{1,2}}\s*[/\-]\s*\d{{2,4}}\b"  # "03/27"
    r"|\b\d{3,4}\b"  # a security code, keyed
    rf"|(?:\b(?:{_SPOKEN})\b[\s,.\-]*){{3,4}}",  # a security code, spoken
    re.IGNORECASE,
)
_CONTEXT_AFTER = 90
_CONTEXT_BEFORE = 50


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    units: list[tuple[int, int, str]]  # (start, end, digits) of each unit


def _digits_of(units: list[re.Match[str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    repeat = 1
    for unit in units:
        word = unit.group(0).lower()
        if word in _REPEATS:
            repeat = _REPEATS[word]
            continue
        digits = word if word.isdigit() else _WORD_DIGITS[word]
        if repeat > 1 and len(digits) == 1:
            digits *= repeat
        repeat = 1
        out.append((unit.start(), unit.end(), digits))
    return out


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(units: list[tuple[int, int, str]]) -> bool:
    """Any window of whole units that holds 13 to 19 digits passing Luhn."""
    for first in range(len(units)):
        digits = ""
        for last in range(first, len(units)):
            digits += units[last][2]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_ok(digits):
                return True
    return False


def _card_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in _RUN_RE.finditer(text):
        units = _digits_of(list(_UNIT_RE.finditer(run.group(0))))
        if sum(len(u[2]) for u in units) >= 13 and _is_card(units):
            spans.append((run.start(), run.end()))
    return spans


def contains_card_number(text: str) -> bool:
    return bool(_card_spans(text))


def reads_out_card_digits(text: str) -> bool:
    """A whole card number, or a long run of digits that could be part of one (callers give
    card numbers in pieces)."""
    if _card_spans(text):
        return True
    for run in _RUN_RE.finditer(text):
        units = _digits_of(list(_UNIT_RE.finditer(run.group(0))))
        if sum(len(u[2]) for u in units) >= 8:
            return True
    return False


def redact(text: str) -> str:
    """``text`` with every card number, and a security code or expiry near one, removed."""
    spans = _card_spans(text)
    if not spans:
        return text
    removals = list(spans)
    for start, end in spans:
        window_start = max(0, start - _CONTEXT_BEFORE)
        for match in _NEAR_CARD.finditer(text, window_start, min(len(text), end + _CONTEXT_AFTER)):
            if match.group(0).strip() and not (start <= match.start() < end):
                removals.append((match.start(), match.end()))
    return _apply(text, spans, removals)


def _apply(text: str, cards: list[tuple[int, int]], removals: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(removals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        # Keep the spacing and punctuation the span swallowed at its edges.
        chunk = text[start:end]
        stripped = chunk.rstrip(" ,.-")
        mark = (
            CARD_MARK if any(s <= start < e or start <= s < end for s, e in cards) else DETAIL_MARK
        )
        out.append(text[cursor:start] + mark + chunk[len(stripped) :])
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
