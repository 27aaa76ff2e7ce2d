"""Rooms and reservations. ``PropertySystem`` is the seam where a hotel's property-management
system can replace the local tables; ``LocalReservations`` keeps them in the appliance's DuckDB.

Every booking runs on the database's single writer thread, check and insert in one
transaction, so two calls can never both take the last room.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

import duckdb

from appliance.errors import ToolError
from appliance.hotel.model import Hotel, RoomType
from appliance.store.database import Store

Connection = duckdb.DuckDBPyConnection

_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: they sound and look alike
CODE_LENGTH = 6


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


def booked_on_busiest_night(db: Connection, room_type: str, check_in: date, check_out: date) -> int:
    row = db.execute(
        """
        SELECT coalesce(max(booked), 0) FROM (
            SELECT night, count(r.code) AS booked
            FROM (SELECT unnest(generate_series(?::DATE, ?::DATE - INTERVAL 1 DAY, INTERVAL 1 DAY))::DATE AS night) n
            LEFT JOIN reservations r
              ON r.room_type = ? AND r.status = 'confirmed' AND r.check_in <= n.night AND n.night < r.check_out
            GROUP BY night
        )
        """,
        [check_in, check_out, room_type],
    ).fetchone()
    return int(row[0]) if row else 0


_COLUMNS = (
    "code, room_type, check_in, check_out, guests, guest_name, phone, nightly_rate, total, status,"
    " session_id, created_at"
)


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

    def _row(self, row: tuple[Any, ...]) -> Reservation:
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
                Availability(
                    r,
                    check_in,
                    check_out,
                    max(0, r.count - booked_on_busiest_night(db, r.id, check_in, check_out)),
                )
                for r in rooms
            ]

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
        nights = (check_out - check_in).days
        total = room.nightly_rate * nights

        def book_in_transaction(db: Connection) -> Reservation:
            db.execute("BEGIN TRANSACTION")
            try:
                if booked_on_busiest_night(db, room.id, check_in, check_out) >= room.count:
                    raise NoRoomAvailable(
                        "no-availability", f"no {room.name} is free from {check_in} to {check_out}"
                    )
                code = _new_code(db)
                created = datetime.now(UTC)
                db.execute(
                    f"INSERT INTO reservations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'confirmed', ?, ?)",
                    [
                        code,
                        room.id,
                        check_in,
                        check_out,
                        guests,
                        guest_name,
                        phone,
                        room.nightly_rate,
                        total,
                        session_id,
                        created,
                    ],
                )
                db.execute("COMMIT")
            except Exception:
                db.execute("ROLLBACK")
                raise
            return Reservation(
                code, room.id, room.name, check_in, check_out, guests, guest_name, phone,
                room.nightly_rate, total, "confirmed", session_id, created,
            )  # fmt: skip

        return await self._store.write(book_in_transaction)

    async def find(self, code: str) -> Reservation | None:
        rows = await self._store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM reservations WHERE code = ?", [normalize_code(code)]
            ).fetchall()
        )
        return self._row(rows[0]) if rows else None

    async def find_by_phone(self, phone: str) -> list[Reservation]:
        rows = await self._store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM reservations WHERE phone = ? ORDER BY check_in DESC",
                [phone],
            ).fetchall()
        )
        return [self._row(r) for r in rows]

    async def cancel(self, code: str) -> Reservation | None:
        def cancel_row(db: Connection) -> list[tuple[Any, ...]]:
            return db.execute(
                f"UPDATE reservations SET status = 'cancelled', cancelled_at = now() WHERE code = ?"
                f" AND status = 'confirmed' RETURNING {_COLUMNS}",
                [normalize_code(code)],
            ).fetchall()

        rows = await self._store.write(cancel_row)
        return self._row(rows[0]) if rows else None

    async def all(self, include_cancelled: bool = True) -> list[Reservation]:
        where = "" if include_cancelled else "WHERE status = 'confirmed'"
        rows = await self._store.read(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM reservations {where} ORDER BY check_in"
            ).fetchall()
        )
        return [self._row(r) for r in rows]


def normalize_code(code: str) -> str:
    """Codes as callers say them: 'k 7 m-2 q x' -> 'K7M2QX'."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code(db: Connection) -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not db.execute("SELECT 1 FROM reservations WHERE code = ?", [code]).fetchone():
            return code
