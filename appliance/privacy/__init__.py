"""Card numbers never reach the disk: one rule for transcripts, tool runs, logs and recordings.

A call feeds its caller's turns to a ``CardRule`` in order; the rule looks across them, because
callers give a card in pieces, with "hold on" between, and over a noisy line the speech-to-text
writes "for one, one, one" for 4111. What it removes, and why, is told in ``judge``; how numbers
are read, in ``numbers``. Phone numbers are labelled, not removed as cards, and ordinary numbers
("room 204", "for two nights", "149 dollars") are kept. The functions here serve the callers
that hold no ``CardRule``: a few of the caller's turns with no call around them (the same rule,
over just those turns), a text on its own (a log line, a message, a synced transcript: the same
rule, but card words alone do not make its numbers card data) and the screens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from appliance.privacy.judge import CARD_DIGITS, GROUP_DIGITS, Asked, Heard, judge
from appliance.privacy.marks import CARD_MARK, DETAIL_MARK, PHONE_MARK, Span, apply
from appliance.privacy.numbers import read_numbers
from appliance.privacy.rule import HEARD_TURNS, CardRule, Revision

__all__ = [
    "CARD_DIGITS",
    "CARD_MARK",
    "DETAIL_MARK",
    "GROUP_DIGITS",
    "HEARD_TURNS",
    "PHONE_MARK",
    "Asked",
    "CardRule",
    "Revision",
    "Span",
    "apply",
    "card_spans",
    "contains_card_number",
    "held",
    "mask_for_display",
    "redact",
    "redact_turns",
]


def card_spans(said: Sequence[str]) -> list[list[Span]]:
    """The rule: for consecutive things the caller said (turns, then perhaps a tool's
    arguments), the stretches of each that it removes."""
    return [sorted(verdict.spans) for verdict in judge([Heard(text) for text in said])]


def redact_turns(said: Sequence[str]) -> list[str]:
    """Each of consecutive things the caller said, with what the rule removes replaced."""
    return [apply(text, spans) for text, spans in zip(said, card_spans(said), strict=True)]


def redact(text: str) -> str:
    """``text`` on its own (a log line, a message, a synced transcript), with what the rule
    removes replaced. Card words in it do not make its numbers card data: it is no caller
    reading a card ("a deposit of 149 dollars"), but digits enough for a card still go."""
    return apply(text, _alone(text))


def contains_card_number(text: str) -> bool:
    """Whether ``text`` on its own holds card data (a phone number is not card data)."""
    return any(span.card for span in _alone(text))


def _alone(text: str) -> frozenset[Span]:
    return judge([Heard(text)], cues=False)[0].spans


def held(value: Any, rule: Callable[[str], str] | None = None) -> Any:
    """``value`` (text, or a mapping or list of them: a tool's arguments, a log line's data)
    with every text in it held to ``rule`` (by default the rule for a text on its own)."""
    rule = rule or redact
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, Mapping):
        return {k: held(v, rule) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [held(v, rule) for v in value]
    return value


def mask_for_display(text: str) -> str:
    """The caller's words as a screen may show them while the call goes on: every run of
    ``GROUP_DIGITS`` or more digits (spoken or written) is blotted out, whatever comes next.
    The stored turn follows the card rule across turns, which may only know later that this
    run was part of a card; a screen cannot take back what it showed."""
    runs = read_numbers(text)
    return apply(
        text,
        [Span(run.start, run.end, DETAIL_MARK) for run in runs if len(run.digits) >= GROUP_DIGITS],
    )
