"""The changes the flows may ask of the hotel, each with the type of what comes back. Only a
confirmed turn has them performed (``FrontDesk``), never a reply still being prepared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, Literal, TypeVar

from appliance.hotel.model import DepartmentId
from appliance.hotel.reservations import Reservation

T = TypeVar("T")


class Effect(Generic[T]):
    """A change in the world; ``T`` is what comes back."""


@dataclass(frozen=True)
class BookingRefused:
    """Why a booking was not made: the room went while the caller confirmed, or the room
    cannot take the guests."""

    reason: Literal["taken", "too-many-guests", "unknown-room", "date-in-past"]


@dataclass(frozen=True)
class Book(Effect[Reservation | BookingRefused]):
    check_in: date
    nights: int
    guests: int
    room_type: str
    name: str
    phone: str | None


@dataclass(frozen=True)
class CancelBooking(Effect[Reservation | None]):
    """Cancel a confirmed reservation; None when it was not (any longer) confirmed."""

    code: str


@dataclass(frozen=True)
class Transfer(Effect["Transferred"]):
    department: DepartmentId
    reason: str


@dataclass(frozen=True)
class Transferred:
    """``ok`` when the call is being put through; otherwise ``problem`` says why not in words
    the agent can say (None: the department has no number)."""

    ok: bool
    problem: str | None = None


@dataclass(frozen=True)
class ScheduleCallback(Effect["CallbackScheduled"]):
    time: str
    reason: str
    #: None: the number the caller phones from.
    phone: str | None = None


@dataclass(frozen=True)
class CallbackScheduled:
    phone: str


@dataclass(frozen=True)
class SendText(Effect["str | None"]):
    """A text message to the guest; what comes back is the provider's message id, None when
    texts cannot be sent (no account set up)."""

    phone: str
    message: str


