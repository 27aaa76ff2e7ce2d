"""The rule over consecutive caller turns: which stretches of each are card data or a phone
number, and whether the caller is on card data after each.

Card talk: a turn that mentions a card, a payment or a deposit, and the turns after it until the
caller clearly moves on (a turn with no number that is not "hold on" or "okay"). In card talk
every run of digits is card data, however few its digits, and a turn that held card digits
keeps the next turn in card talk. Outside it, consecutive turns that each hold a number of
three digits or more and together eight or more are card data (a card read without saying so),
with the expiry dates and security codes in them and the turns either side; "hold on" between
them does not break the chain. A phone number is labelled as one, not removed as a card, when
the agent asked for it or the caller said it was one, and only outside card talk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from appliance.privacy.marks import CARD_MARK, DETAIL_MARK, PHONE_MARK, Span
from appliance.privacy.numbers import Run, masked, read_numbers
from appliance.privacy.words import (
    CARD_CUE,
    DIGIT_WORDS,
    MONTH_BEFORE,
    MONTHS,
    PHONE_CUE,
    QUANTITY_AFTER,
    REPEATS,
    ROOM_BEFORE,
    ZERO_WORDS,
    is_filler,
)

#: A number this long may be a group of a card, or its security code.
GROUP_DIGITS = 3
#: Consecutive turns whose numbers hold this many digits are card data (a card, or enough of one).
CARD_DIGITS = 8

#: A room number or a price is never longer than this.
_BOOKING_DIGITS = 4

Asked = Literal["phone", "code"]

_SPOKEN = "|".join(sorted([*DIGIT_WORDS, *ZERO_WORDS, *REPEATS], key=len, reverse=True))
#: Next to a card read outside card talk: an expiry or a security code, keyed or spoken.
_NEAR_CARD = re.compile(
    rf"\b(?:{MONTHS})\b\s*(?:of\s+)?(?:20)?\d{{2}}\b"  # "March 2027", "march of 27"
    rf"|\b\d{{1,2}}\s*[/\-]\s*\d{{2,4}}\b"  # "03/27"
    r"|\b\d{3,4}\b"  # a security code, keyed
    rf"|(?:\b(?:{_SPOKEN})\b[\s,.\-]*){{3,4}}",  # a security code, spoken
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Heard:
    """One caller turn as said (held in memory only), and what the agent had just asked for."""

    said: str
    asked_for: Asked | None = None


@dataclass(frozen=True)
class Verdict:
    """What the rule makes of one turn."""

    spans: frozenset[Span]
    #: Whether the caller is on card data after this turn.
    context: bool
    #: The digits of the card data in it, in the order said (memory only: the agent's words
    #: are checked against them).
    card_digits: str


@dataclass
class _Turn:
    """One turn while the rule goes over the turns: what it holds so far."""

    heard: Heard
    on_card: bool
    runs: list[Run]
    #: The runs that count towards a card: not phone numbers, not "2 nights" in card talk.
    counted: list[Run]
    spans: set[Span] = field(default_factory=set)
    #: Whether the caller is on card data after it: as far as known so far.
    after: bool = False


def judge(turns: Sequence[Heard], context: bool = False, cues: bool = True) -> list[Verdict]:
    """The rule over consecutive turns; ``context``: the caller was on card data before them.
    ``cues``: card words open card talk; off for text that is not the caller's turns (the
    agent's words, a message), where "deposit" before a price is no caller reading a card."""
    work: list[_Turn] = []
    phones: set[str] = set()
    chain: list[int] = []
    chain_digits = 0
    for heard in turns:
        cue = cues and CARD_CUE.search(heard.said) is not None
        turn = _read(heard, context or cue, phones)
        work.append(turn)
        filler = not turn.runs and is_filler(heard.said)
        long_enough = any(len(run.digits) >= GROUP_DIGITS for run in turn.counted)
        if turn.counted and (turn.on_card or long_enough):
            chain.append(len(work) - 1)
            chain_digits += sum(len(run.digits) for run in turn.counted)
        elif not filler:
            chain, chain_digits = [], 0
        if chain and chain_digits >= CARD_DIGITS:
            _mark_chain(work, chain)
        moves_on = not turn.counted and not cue and not filler
        turn.after = turn.after or (turn.on_card and not moves_on)
        context = turn.after
    return [Verdict(frozenset(turn.spans), turn.after, _card_digits(turn)) for turn in work]


def _read(heard: Heard, on_card: bool, phones: set[str]) -> _Turn:
    """One turn's runs, with what can be told from the turn alone already marked."""
    text = heard.said
    runs = read_numbers(text, card_talk=on_card)
    if on_card:  # every number is card data, but "for two nights"
        counted = [run for run in runs if not _quantity(text, run)]
        return _Turn(heard, True, runs, counted, {_card_span(text, run) for run in counted})
    found, rest = _phones(heard, runs, phones)
    phones.update(_national(run.digits) for run in found)
    spans = {Span(_opened(text, run.start), run.end, PHONE_MARK) for run in found}
    counted = [run for run in rest if not _booking(text, run)]
    return _Turn(heard, False, [*found, *rest], counted, spans)


def _opened(text: str, start: int) -> int:
    """Back over the "(" or "+" a phone number opens with: "(555) 234-5678", "+1 555..."."""
    while start and text[start - 1] in "(+":
        start -= 1
    return start


def _quantity(text: str, run: Run) -> bool:
    """ "for two nights" in card talk: a short number of something that is no card."""
    return len(run.digits) < GROUP_DIGITS and QUANTITY_AFTER.match(text, run.end) is not None


def _booking(text: str, run: Run) -> bool:
    """ "under 200 dollars", "room 1208": outside card talk, no group of a card."""
    if len(run.digits) > _BOOKING_DIGITS:  # as long as a card: a card, whatever follows
        return False
    return bool(ROOM_BEFORE.search(text[: run.start]) or QUANTITY_AFTER.match(text, run.end))


def _card_span(text: str, run: Run) -> Span:
    """A number in card talk; a month before it is an expiry's ("march 2028") and goes too."""
    month = MONTH_BEFORE.search(text[: run.start])
    return Span(month.start() if month else run.start, run.end, CARD_MARK)


def _phones(heard: Heard, runs: list[Run], known: set[str]) -> tuple[list[Run], list[Run]]:
    """The runs that are phone numbers, and the rest. A phone number has a phone's shape and
    was asked for, said after a phone cue, or given before in this call."""
    if heard.asked_for == "code":
        return [], runs
    cue_end: int | None = 0 if heard.asked_for == "phone" else None
    if cue_end is None and (cue := PHONE_CUE.search(heard.said)):
        cue_end = cue.end()
    found, rest = [], []
    for run in runs:
        cued = cue_end is not None and run.start >= cue_end
        head = _phone_head(run, cued, known)
        if head is None:
            rest.append(run)
            continue
        found.append(head)
        if len(head.chunks) < len(run.chunks):
            rest.append(Run(run.chunks[len(head.chunks) :]))
    return found, rest


def _phone_head(run: Run, cued: bool, known: set[str]) -> Run | None:
    """The longest start of ``run`` that is a phone number ("555 123 4567, 2 nights"); none
    where more digits follow it than a short number's: sixteen digits are a card."""
    for size in range(len(run.chunks), 0, -1):
        head = Run(run.chunks[:size])
        if len(run.digits) - len(head.digits) >= GROUP_DIGITS:
            break
        if phone_shaped(head.digits) and (cued or _national(head.digits) in known):
            return head
    return None


def phone_shaped(digits: str) -> bool:
    """Whether ``digits`` can be a North American phone number: 7, 10, or 11 starting with 1."""
    national = _national(digits)
    return len(national) in (7, 10) and national[0] in "23456789"


def _national(digits: str) -> str:
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _mark_chain(work: list[_Turn], chain: list[int]) -> None:
    """A card read without card talk: its groups go, and expiries and codes beside them."""
    for index in range(chain[0], chain[-1] + 1):  # in hindsight, all on card data
        work[index].after = True
    for index in chain:
        turn = work[index]
        if not turn.on_card:  # card talk has marked all its numbers already
            turn.spans.update(
                Span(run.start, run.end, CARD_MARK)
                for run in turn.counted
                if len(run.digits) >= GROUP_DIGITS
            )
    for index in {*chain, chain[0] - 1} - {-1}:
        turn = work[index]
        turn.spans.update(
            Span(m.start(), m.end(), DETAIL_MARK)
            for m in _NEAR_CARD.finditer(masked(turn.heard.said, card_talk=True))
            if m.group(0).strip() and not _inside_phone(turn, m.start(), m.end())
        )


def _inside_phone(turn: _Turn, start: int, end: int) -> bool:
    return any(
        span.mark == PHONE_MARK and span.start <= start and end <= span.end for span in turn.spans
    )


def _card_digits(turn: _Turn) -> str:
    card = [span for span in turn.spans if span.card]
    return "".join(
        run.digits
        for run in turn.runs
        if any(span.start < run.end and run.start < span.end for span in card)
    )
