"""The hotel as the flows see it: a typed port. Reading is open to every flow, a reply
being prepared included; changing anything is an effect only a confirmed turn performs."""

from __future__ import annotations

from datetime import date
from typing import Protocol, TypeVar

from appliance.hotel.effects import Effect
from appliance.hotel.model import Hotel
from appliance.hotel.reservations import Availability, Reservation

T = TypeVar("T")


class HotelReader(Protocol):
    """What the flows may look up; nothing here changes anything."""

    @property
    def hotel(self) -> Hotel: ...

    async def availability(
        self, check_in: date, nights: int, guests: int, room_type: str | None = None
    ) -> list[Availability]:
        """The room types that sleep ``guests``, each with how many are free every night."""
        ...

    async def find(self, code: str) -> Reservation | None: ...

    async def reservations_of(self, phone: str) -> list[Reservation]:
        """The reservations under a phone number, latest arrival first."""
        ...

    async def fact(self, topic: str) -> str | None:
        """The spoken answer about ``topic`` (a fact key or words), None if the hotel file
        does not say."""
        ...


class HotelDesk(HotelReader, Protocol):
    """The port with its writing side: effects, performed for a confirmed turn."""

    async def perform(self, effect: Effect[T]) -> T: ...
