"""Card numbers never reach the disk: one rule for transcripts, tool runs, logs and recordings.

The rule looks at what the caller said over consecutive turns, because callers give a card in
pieces ("4111 1111" then "1111 1111", or twelve digits and then "1111, the code is 737").
Numbers are read however they arrive: keyed ("4111111111111111"), grouped with spaces or
dashes, or spoken and written out by the speech-to-text ("four one one one ..."), with "oh"
for zero and "double five" for 55. A stretch of consecutive turns that each hold a number of
three digits or more, and that together hold eight digits or more, is card data: every number
in it goes, with the expiry dates and spoken security codes in it and in the turns either side.
The rule errs towards removal: a phone number read out goes too (the agent still hears it;
only what is kept loses it). The recording silences exactly the turns whose text it changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
#: ISO dates and times (tool arguments and results carry them): a date, not a number read out.
_ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
#: A number this long may be a group of a card, or its security code.
GROUP_DIGITS = 3
#: Consecutive turns whose numbers hold this many digits are card data (a card, or enough of one).
CARD_DIGITS = 8

Span = tuple[int, int, bool]  # start, end, and whether it is card digits (else a detail near them)


def _digits_of(units: list[re.Match[str]]) -> int:
    count, repeat = 0, 1
    for unit in units:
        word = unit.group(0).lower()
        if word in _REPEATS:
            repeat = _REPEATS[word]
            continue
        digits = word if word.isdigit() else _WORD_DIGITS[word]
        count += len(digits) * repeat if len(digits) == 1 else len(digits)
        repeat = 1
    return count


def _masked(text: str) -> str:
    """``text`` with its ISO dates blotted out, every other character where it was."""
    return _ISO_TIME.sub(lambda m: "#" * len(m.group(0)), text)


def _numbers(text: str) -> list[tuple[int, int, int]]:
    """The runs of digits in ``text``: (start, end, how many digits), dates left out."""
    runs = []
    for run in _RUN_RE.finditer(_masked(text)):
        digits = _digits_of(list(_UNIT_RE.finditer(run.group(0))))
        if digits:
            runs.append((run.start(), run.end(), digits))
    return runs


def card_spans(said: Sequence[str]) -> list[list[Span]]:
    """The rule: for consecutive things the caller said (turns, then perhaps a tool's
    arguments), the stretches of each that are card data."""
    numbers = [_numbers(text) for text in said]
    spans: list[list[Span]] = [[] for _ in said]
    index = 0
    while index < len(said):
        if not any(d >= GROUP_DIGITS for _, _, d in numbers[index]):
            index += 1
            continue
        chain_end = index
        while chain_end + 1 < len(said) and any(
            d >= GROUP_DIGITS for _, _, d in numbers[chain_end + 1]
        ):
            chain_end += 1
        chain = range(index, chain_end + 1)
        if sum(d for turn in chain for _, _, d in numbers[turn]) >= CARD_DIGITS:
            for turn in chain:
                spans[turn] += [(s, e, True) for s, e, d in numbers[turn] if d >= GROUP_DIGITS]
            for turn in range(max(0, index - 1), min(len(said), chain_end + 2)):
                spans[turn] += [
                    (m.start(), m.end(), False)
                    for m in _NEAR_CARD.finditer(_masked(said[turn]))
                    if m.group(0).strip()
                ]
        index = chain_end + 1
    return spans


def apply(text: str, spans: Sequence[Span]) -> str:
    """``text`` with ``spans`` replaced by their marks."""
    merged: list[list[int]] = []
    for start, end, card in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] |= card
        else:
            merged.append([start, end, card])
    out, cursor = [], 0
    for start, end, holds_card in merged:
        # Keep the spacing and punctuation the span swallowed at its edges.
        chunk = text[start:end]
        stripped = chunk.rstrip(" ,.-")
        mark = CARD_MARK if holds_card else DETAIL_MARK
        out.append(text[cursor:start] + mark + chunk[len(stripped) :])
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def redact_turns(said: Sequence[str]) -> list[str]:
    """Each of consecutive things the caller said, with the card data the rule finds removed."""
    return [apply(text, spans) for text, spans in zip(said, card_spans(said), strict=True)]


def redact(text: str) -> str:
    """``text`` on its own, with the card data the rule finds removed."""
    return redact_turns([text])[0]


def contains_card_number(text: str) -> bool:
    return bool(card_spans([text])[0])


def mask_for_display(text: str) -> str:
    """The caller's words as a screen may show them while the call goes on: every run of
    ``GROUP_DIGITS`` or more digits (spoken or written) is blotted out, whatever comes next.
    The stored turn follows the card rule across turns, which may only know later that this
    run was part of a card; a screen cannot take back what it showed."""
    spans = [(start, end, False) for start, end, digits in _numbers(text) if digits >= GROUP_DIGITS]
    return apply(text, spans)
