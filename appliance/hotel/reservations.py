"""Rooms and reservations. ``PropertySystem`` is the seam where a hotel's property-management
system can replace the local tables; ``LocalReservations`` keeps them in the appliance's DuckDB.

Every booking runs on the database's single writer thread, check and insert in one
transaction, so two calls can never both take the last room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from appliance.errors import ToolError
from appliance.hotel.model import Hotel, RoomType
from appliance.store import reservations as rows
from appliance.store.database import Connection, Store


@dataclass(frozen=True)
class Availability:
    room_type: RoomType
    check_in: date
    check_out: date
    available: int

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days


@dataclass(frozen=True)
class Reservation:
    code: str
    room_type: str
    room_name: str
    check_in: date
    check_out: date
    guests: int
    guest_name: str
    phone: str | None
    nightly_rate: Decimal
    total: Decimal
    status: str
    session_id: str | None
    created_at: datetime

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "room_type": self.room_type, "room_name": self.room_name,
            "check_in": self.check_in.isoformat(), "check_out": self.check_out.isoformat(),
            "nights": self.nights, "guests": self.guests, "guest_name": self.guest_name,
            "phone": self.phone, "nightly_rate": str(self.nightly_rate), "total": str(self.total),
            "status": self.status, "session_id": self.session_id, "created_at": self.created_at.isoformat(),
        }  # fmt: skip


class NoRoomAvailable(ToolError):
    """The room type is full for those nights."""


class PropertySystem(Protocol):
    """Where rooms and reservations live."""

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None
    ) -> list[Availability]: ...

    async def book(
        self, room_type: str, check_in: date, check_out: date, guests: int, guest_name: str,
        phone: str | None, session_id: str | None,
    ) -> Reservation: ...  # fmt: skip

    async def find(self, code: str) -> Reservation | None: ...

    async def find_by_phone(self, phone: str) -> list[Reservation]: ...

    async def cancel(self, code: str) -> Reservation | None: ...

    async def all(self, include_cancelled: bool = True) -> list[Reservation]: ...


class LocalReservations:
    """Reservations in the appliance's own DuckDB file."""

    def __init__(self, store: Store, hotel: Hotel) -> None:
        self._store = store
        self._hotel = hotel

    def _room(self, room_type: str) -> RoomType:
        room = self._hotel.room_type(room_type)
        if room is None:
            names = ", ".join(r.name for r in self._hotel.room_types)
            raise ToolError(
                "unknown-room-type", f"there is no room type {room_type!r}; the hotel has {names}"
            )
        return room

    def _reservation(self, row: tuple[Any, ...]) -> Reservation:
        room = self._hotel.room_type(row[1])
        return Reservation(
            code=row[0], room_type=row[1], room_name=room.name if room else row[1], check_in=row[2],
            check_out=row[3], guests=row[4], guest_name=row[5], phone=row[6], nightly_rate=row[7],
            total=row[8], status=row[9], session_id=row[10], created_at=row[11],
        )  # fmt: skip

    async def availability(
        self, check_in: date, check_out: date, guests: int, room_type: str | None
    ) -> list[Availability]:
        rooms = [self._room(room_type)] if room_type else list(self._hotel.room_types)
        rooms = [r for r in rooms if r.capacity >= guests]

        def count(db: Connection) -> list[Availability]:
            return [
                Availability(r, check_in, check_out,
                             max(0, r.count - rows.booked_on_busiest_night(db, r.id, check_in, check_out)))
                for r in rooms
            ]  # fmt: skip

        return await self._store.read(count)

    async def book(
        self, room_type: str, check_in: date, check_out: date, guests: int, guest_name: str,
        phone: str | None, session_id: str | None,
    ) -> Reservation:  # fmt: skip
        room = self._room(room_type)
        if guests > room.capacity:
            raise ToolError(
                "too-many-guests", f"a {room.name} sleeps {room.capacity}, not {guests}"
            )
        try:
            row = await self._store.write(
                rows.book, room.id, room.count, check_in, check_out, guests, guest_name, phone,
                room.nightly_rate, session_id,
            )  # fmt: skip
        except rows.RoomTaken:
            raise NoRoomAvailable(
                "no-availability", f"no {room.name} is free from {check_in} to {check_out}"
            ) from None
        return self._reservation(row)

    async def find(self, code: str) -> Reservation | None:
        row = await self._store.read(rows.find, normalize_code(code))
        return self._reservation(row) if row else None

    async def find_by_phone(self, phone: str) -> list[Reservation]:
        return [self._reservation(r) for r in await self._store.read(rows.find_by_phone, phone)]

    async def cancel(self, code: str) -> Reservation | None:
        row = await self._store.write(rows.cancel, normalize_code(code))
        return self._reservation(row) if row else None

    async def all(self, include_cancelled: bool = True) -> list[Reservation]:
        return [self._reservation(r) for r in await self._store.read(rows.every, include_cancelled)]


def normalize_code(code: str) -> str:
    """Codes as callers say them: 'k 7 m-2 q x' -> 'K7M2QX'."""
    return "".join(ch for ch in code.upper() if ch.isalnum())
