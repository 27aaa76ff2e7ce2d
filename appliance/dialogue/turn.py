"""One caller turn as the flows see it: the call's state, the commands heard, the hotel port's
reading side and the sentence catalogue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date

from appliance.dialogue.ports import HotelReader
from appliance.dialogue.state import DialogueState, Heard
from appliance.dialogue.steps import Step
from appliance.hotel.model import Hotel
from appliance.sentences import Catalogue


@dataclass(frozen=True)
class Turn:
    state: DialogueState
    heard: Heard
    desk: HotelReader
    lines: Catalogue
    caller_id: str | None
    today: date
    #: The caller is on card data now (the call's card rule says so): never to be taken.
    card_talk: bool = False
    #: The hotel's secure payment page ({code}: the reservation's), empty when it has none.
    payment_link: str = ""
    #: The caller has a keypad (a phone, or the guest page's): numbers can be typed.
    keypad: bool = False
    #: Marks the call for a person to look at, with why.
    flag: Callable[[str], None] = field(default=lambda reason: None, repr=False)

    @property
    def hotel(self) -> Hotel:
        return self.desk.hotel

    def hearing(self, heard: Heard) -> Turn:
        """The same turn, with only some of its commands (the rest answered apart)."""
        return replace(self, heard=heard)

    def say(self, key: str, /, **slots: object) -> str:
        return self.lines.say(key, **slots)

    def price(self, amount: object) -> str:
        return self.lines.price(amount, self.hotel.currency)


#: A route: the step for this turn if it is this flow's business, else None.
Route = Callable[[Turn], Awaitable[Step | None]]
