"""What understanding hands the flows: typed commands, several per utterance.

The flows (booking, lookup, cancel, callback, handoff, facts) act on these alone and never
read the caller's raw words, so a better understander changes what is heard, not what the
appliance does with it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

from appliance.hotel.model import DepartmentId

#: Where a handoff goes.
Department = DepartmentId
#: The question the agent is waiting on, so that a bare answer ("three", "yes") lands.
Expecting = Literal[
    "check_in", "nights", "guests", "room_type", "name", "phone", "code", "callback_time",
    "anything_else", "change", "department",
]  # fmt: skip
#: A yes/no question the agent asked: book, rebook, cancel, callback, book_offer, lookup.
#: "check": booking details heard unclearly, read back.
Pending = Literal[
    "book", "rebook", "cancel", "callback", "book_offer", "lookup", "handoff", "pay_link", "check"
]


@dataclass(frozen=True)
class Context:
    """What the flows tell understanding about the conversation, and nothing else."""

    expecting: Expecting | None = None
    pending: Pending | None = None
    in_booking: bool = False
    #: A reservation was made or found earlier in the call (so "instead" means a change).
    has_reservation: bool = False
    #: The agent's last reply, for an understander that reads the conversation (the LLM).
    last_reply: str = ""


@dataclass(frozen=True)
class StartBooking:
    """The caller wants a room (or asks whether one is free)."""


@dataclass(frozen=True)
class SetSlots:
    """Booking details the caller gave; None where they said nothing about it."""

    check_in: date | None = None
    check_out: date | None = None
    nights: int | None = None
    guests: int | None = None
    room_type: str | None = None
    name: str | None = None
    phone: str | None = None
    #: "the number I'm calling from".
    use_caller_number: bool = False

    def given(self) -> dict[str, object]:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) not in (None, False)}


@dataclass(frozen=True)
class Affirm:
    pass


@dataclass(frozen=True)
class Deny:
    pass


@dataclass(frozen=True)
class AskFact:
    """A question about the hotel. ``topic`` is a key of the hotel's facts: check_in,
    late_check_out, breakfast, parking, faq:<n>, room:<room type id>, rooms, ..."""

    topic: str


@dataclass(frozen=True)
class Handoff:
    """Put the caller through to people: they asked, or it is a job for staff (repairs,
    towels)."""

    department: Department = "front_desk"
    reason: str = ""


@dataclass(frozen=True)
class Callback:
    """Someone should call the caller back, ``time`` as they said it."""

    time: str | None = None


@dataclass(frozen=True)
class FindReservation:
    """Look up an existing reservation, by its code when the caller gave one."""

    code: str | None = None


@dataclass(frozen=True)
class ChangeReservation:
    """Change an existing reservation (the new details come as SetSlots)."""


@dataclass(frozen=True)
class Cancel:
    """Cancel a reservation, by its code when the caller gave one."""

    code: str | None = None


@dataclass(frozen=True)
class Repeat:
    pass


@dataclass(frozen=True)
class Goodbye:
    pass


@dataclass(frozen=True)
class Thanks:
    pass


@dataclass(frozen=True)
class Greeting:
    pass


@dataclass(frozen=True)
class Pay:
    """The caller wants to pay, give a deposit, or starts on card details: the appliance
    never takes them by voice."""


@dataclass(frozen=True)
class Unclear:
    """Nothing the appliance can act on. ``question``: it was a question (an unknown fact)."""

    question: bool = False


Command = (
    StartBooking | SetSlots | Affirm | Deny | AskFact | Handoff | Callback | FindReservation
    | ChangeReservation | Cancel | Repeat | Goodbye | Thanks | Greeting | Pay | Unclear
)  # fmt: skip

_KINDS: dict[type, str] = {
    StartBooking: "book", SetSlots: "slots", Affirm: "affirm", Deny: "deny", AskFact: "ask",
    Handoff: "handoff", Callback: "callback", FindReservation: "find",
    ChangeReservation: "change", Cancel: "cancel", Repeat: "repeat", Goodbye: "goodbye",
    Thanks: "thanks", Greeting: "greeting", Pay: "pay", Unclear: "unclear",
}  # fmt: skip
KINDS = tuple(_KINDS.values())


def kind(command: Command) -> str:
    """The command's short name: book, slots, affirm, ask, handoff, ..."""
    return _KINDS[type(command)]


def label(command: Command) -> str:
    """A short, comparable label: ``ask:check_out``, ``handoff:maintenance``,
    ``slots:guests=2,nights=3``, ``book``. The evaluation set is written in these."""
    name = kind(command)
    if isinstance(command, AskFact):
        return f"ask:{command.topic}"
    if isinstance(command, Handoff):
        return f"handoff:{command.department}"
    if isinstance(command, SetSlots):
        given = command.given()
        parts = [f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in sorted(given.items())]
        return f"slots:{','.join(parts)}"
    if isinstance(command, FindReservation | Cancel) and command.code:
        return f"{name}:{command.code}"
    return name
