"""What takes the place of the words the rule removes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CARD_MARK = "[card number removed]"
DETAIL_MARK = "[removed]"  # an expiry or security code next to a card
PHONE_MARK = "[phone number]"

#: Where two marks overlap, the stronger stands: card data is never shown as a phone number.
_STRENGTH = {PHONE_MARK: 0, DETAIL_MARK: 1, CARD_MARK: 2}


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of a text the rule removes, and the mark that takes its place."""

    start: int
    end: int
    mark: str = CARD_MARK

    def __post_init__(self) -> None:
        if self.mark not in _STRENGTH:
            raise ValueError(
                f"a span's mark must be one of {', '.join(_STRENGTH)}, not {self.mark!r}"
            )

    @property
    def card(self) -> bool:
        """Whether it is card data (a card's digits, expiry or code), whose audio is silenced."""
        return self.mark != PHONE_MARK


def apply(text: str, spans: Iterable[Span]) -> str:
    """``text`` with ``spans`` replaced by their marks."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            mark = max(last.mark, span.mark, key=_STRENGTH.__getitem__)
            merged[-1] = Span(last.start, max(last.end, span.end), mark)
        else:
            merged.append(span)
    out, cursor = [], 0
    for span in merged:
        # Keep the spacing and punctuation the span swallowed at its edges.
        chunk = text[span.start : span.end]
        stripped = chunk.rstrip(" ,.-")
        out.append(text[cursor : span.start] + span.mark + chunk[len(stripped) :])
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)
