"""What the agent remembers of one call, as typed values, and the commands of one turn."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, TypeVar

from appliance.analytics.sentiment import MoodWatch
from appliance.hotel.reservations import Reservation
from appliance.llm.base import ChatMessage
from appliance.understanding import commands as c

T = TypeVar("T")

#: The booking's details in the order the flow asks for them.
Slot = Literal["check_in", "nights", "guests", "room_type", "name", "phone"]
SLOTS: tuple[Slot, ...] = ("check_in", "nights", "guests", "room_type", "name", "phone")
#: What a confirmation code is asked for.
CodePurpose = Literal["find", "change", "cancel"]


@dataclass
class Booking:
    """A booking being put together, detail by detail."""

    check_in: date | None = None
    nights: int | None = None
    guests: int | None = None
    room_type: str | None = None
    name: str | None = None
    phone: str | None = None

    def missing(self) -> Slot | None:
        for slot in SLOTS:
            if getattr(self, slot) is None:
                return slot
        return None

    @classmethod
    def of(cls, reservation: Reservation) -> Booking:
        """The details of a reservation, to change some of them."""
        return cls(
            check_in=reservation.check_in, nights=reservation.nights, guests=reservation.guests,
            room_type=reservation.room_type, name=reservation.guest_name, phone=reservation.phone,
        )  # fmt: skip


@dataclass(frozen=True)
class YesNo:
    """A yes/no question the agent asked and waits on, with what it is about."""

    about: c.Pending
    #: The reservation a cancellation is about.
    code: str | None = None
    #: The room a fact answer offered to book.
    room: str | None = None
    #: The booking details being read back because they were not heard clearly.
    slots: tuple[Slot, ...] = ()


@dataclass
class CallbackRequest:
    """A callback being arranged: the time and number heard so far."""

    time: str | None = None
    phone: str | None = None


@dataclass
class DialogueState:
    """What the agent remembers of one call."""

    booking: Booking | None = None
    #: The question the agent is waiting on, so that a bare answer ("three") lands.
    expecting: c.Expecting | None = None
    #: A yes/no question waiting for its answer.
    pending: YesNo | None = None
    #: What the confirmation code being asked for is for.
    code_for: CodePurpose = "find"
    #: The reservation made or found in this call.
    reservation: Reservation | None = None
    callback: CallbackRequest | None = None
    last_reply: str = ""
    misunderstood: int = 0
    #: Misses per question asked (the booking's details): a second offers the keypad, a
    #: third a person.
    misses: dict[str, int] = field(default_factory=dict)
    history: list[ChatMessage] = field(default_factory=list)
    #: The caller's mood and questions so far, when escalation is on.
    mood: MoodWatch | None = None
    #: Why a person should be offered, waiting for a turn that leaves no question open.
    offer_person: str | None = None
    #: Caller turns answered so far.
    turns: int = 0
    #: A goodbye came halfway through a booking and was asked about: the next one ends the call.
    leaving: bool = False

    def ask(
        self,
        about: c.Pending,
        code: str | None = None,
        room: str | None = None,
        slots: tuple[Slot, ...] = (),
    ) -> None:
        self.pending = YesNo(about, code, room, slots)

    def context(self) -> c.Context:
        """What understanding is told of the conversation."""
        return c.Context(
            expecting=self.expecting,
            pending=self.pending.about if self.pending else None,
            in_booking=self.booking is not None and self.reservation is None,
            has_reservation=self.reservation is not None,
            last_reply=self.last_reply,
        )


@dataclass(frozen=True)
class Heard:
    """The commands of one turn, with the questions the flows ask of them."""

    commands: tuple[c.Command, ...]
    #: The speech-to-text was unsure of the words (its own confidence was low): what they
    #: set is read back before it is relied on.
    doubtful: bool = False

    def first(self, kind: type[T]) -> T | None:
        return next((x for x in self.commands if isinstance(x, kind)), None)

    def has(self, *kinds: type) -> bool:
        return any(isinstance(x, kinds) for x in self.commands)

    def only(self, *kinds: type) -> bool:
        return all(isinstance(x, kinds) for x in self.commands)

    @property
    def slots(self) -> c.SetSlots:
        merged = c.SetSlots()
        for command in self.commands:
            if isinstance(command, c.SetSlots):
                merged = replace(merged, **command.given())  # type: ignore[arg-type]
        return merged

    @property
    def facts(self) -> list[c.AskFact]:
        return [x for x in self.commands if isinstance(x, c.AskFact)]

    @property
    def has_booking_details(self) -> bool:
        s = self.slots
        return any(
            v is not None for v in (s.check_in, s.check_out, s.nights, s.guests, s.room_type)
        )

    def without(self, *kinds: type) -> Heard:
        return replace(self, commands=tuple(x for x in self.commands if not isinstance(x, kinds)))
