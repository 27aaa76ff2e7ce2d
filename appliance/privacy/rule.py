"""One call's card rule: the caller's turns in order, each kept as the rule allows, earlier
ones revised when a later turn shows they held part of a card."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.privacy.judge import Asked, Heard, Verdict, judge
from appliance.privacy.marks import CARD_MARK, Span, apply
from appliance.privacy.numbers import read_numbers

#: How many of the caller's latest turns the rule looks across.
HEARD_TURNS = 8
#: The agent's words lose any run of this many digits: a whole card, whoever said it first.
FULL_CARD_DIGITS = 13
#: The agent's words lose a run of digits that has this many, in order, in common with the
#: card data the caller gave ("under the code 4, 5, 3, 9, 1, 4" after a card 4539 14...).
ECHO_DIGITS = 3

_ASKED = ("phone", "code")


@dataclass(frozen=True)
class Revision:
    """A caller turn's text as it is to be kept now."""

    index: int  # which caller turn, 0-based, in the order heard
    kept: str
    card: bool  # the turn holds card data: its audio must be silenced


class CardRule:
    """One call's card rule, fed every caller turn in order."""

    def __init__(self, window: int = HEARD_TURNS) -> None:
        if window < 1:
            raise ValueError(f"the card rule must look at one turn or more, not {window}")
        self._window = window
        # The latest turns as said: memory only, and only while the rule may still need them.
        self._heard: list[Heard] = []
        self._removed: list[frozenset[Span]] = []  # what each of them has lost so far
        self._verdicts: list[Verdict] = []
        self._first = 0  # the index of self._heard[0]
        self._context_before = False  # on card data before self._heard[0]
        self._kept: list[str] = []  # every turn of the call, as kept

    def hear(self, said: str, asked_for: Asked | None = None) -> list[Revision]:
        """Take the caller's next turn. Returns every turn whose kept text changed, this one
        included, oldest first (an earlier turn changes when it turns out to hold part of a
        card). A turn that needs no change is not in the list."""
        if asked_for is not None and asked_for not in _ASKED:
            raise ValueError(f"asked_for must be 'phone', 'code' or None, not {asked_for!r}")
        self._heard.append(Heard(said, asked_for))
        self._removed.append(frozenset())
        self._kept.append(said)
        if len(self._heard) > self._window:
            self._context_before = self._verdicts[0].context
            del self._heard[0], self._removed[0]
            self._first += 1
        self._verdicts = judge(self._heard, self._context_before)
        revisions = []
        for offset, (heard, verdict) in enumerate(zip(self._heard, self._verdicts, strict=True)):
            # Only ever more: what was removed stays removed, whatever the window now shows.
            removed = self._removed[offset] | verdict.spans
            if removed == self._removed[offset]:
                continue
            self._removed[offset] = removed
            index = self._first + offset
            kept = apply(heard.said, removed)
            if kept != self._kept[index]:
                self._kept[index] = kept
                revisions.append(Revision(index, kept, any(span.card for span in removed)))
        return revisions

    def kept(self, index: int) -> str:
        """Caller turn ``index`` (0-based) as it is to be kept now."""
        if not 0 <= index < len(self._kept):
            raise IndexError(f"no caller turn {index}: {len(self._kept)} heard so far")
        return self._kept[index]

    @property
    def card_context(self) -> bool:
        """Whether the caller is on card data now."""
        return self._verdicts[-1].context if self._verdicts else self._context_before

    def agent(self, text: str) -> str:
        """The agent's words as they are to be kept: as spoken, but for the digits that repeat
        the caller's card data, and any whole card."""
        return apply(text, self._echoes(text))

    def argument(self, text: str) -> str:
        """A tool argument or a log value, judged as if the caller had said it right after
        their latest turns (and losing any echo of their card data)."""
        verdict = judge([*self._heard, Heard(text)], self._context_before)[-1]
        return apply(text, verdict.spans | self._echoes(text))

    def _echoes(self, text: str) -> frozenset[Span]:
        card = "".join(verdict.card_digits for verdict in self._verdicts)
        return frozenset(
            Span(run.start, run.end, CARD_MARK)
            for run in read_numbers(text)
            if len(run.digits) >= FULL_CARD_DIGITS or _shares(run.digits, card)
        )


def _shares(digits: str, card: str) -> bool:
    """Whether ``digits`` has ``ECHO_DIGITS`` digits in a row that ``card`` has too."""
    return any(digits[i : i + ECHO_DIGITS] in card for i in range(len(digits) - ECHO_DIGITS + 1))
