"""The reservations table: free rooms per night, booking in one transaction, look-ups."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from appliance.store.database import Connection

#: A reservation's columns, in the order the rows below come back.
COLUMNS = (
    "code, room_type, check_in, check_out, guests, guest_name, phone, nightly_rate, total, status,"
    " session_id, created_at"
)
Row = tuple[Any, ...]
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: they sound and look alike
CODE_LENGTH = 6


class RoomTaken(Exception):
    """Every room of the type is booked on one of the nights asked for."""


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


def book(
    db: Connection,
    room_type: str,
    rooms_of_type: int,
    check_in: date,
    check_out: date,
    guests: int,
    guest_name: str,
    phone: str | None,
    nightly_rate: Decimal,
    session_id: str | None,
) -> Row:
    """Check and insert in one transaction, so two calls can never both take the last room;
    ``RoomTaken`` when none is left. Returns the new row."""
    db.execute("BEGIN TRANSACTION")
    try:
        if booked_on_busiest_night(db, room_type, check_in, check_out) >= rooms_of_type:
            raise RoomTaken(room_type)
        code = _new_code(db)
        total = nightly_rate * (check_out - check_in).days
        row = (code, room_type, check_in, check_out, guests, guest_name, phone, nightly_rate,
               total, "confirmed", session_id, datetime.now(UTC))  # fmt: skip
        db.execute(f"INSERT INTO reservations ({COLUMNS}) VALUES ({', '.join('?' * len(row))})", list(row))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return row


def find(db: Connection, code: str) -> Row | None:
    rows = db.execute(f"SELECT {COLUMNS} FROM reservations WHERE code = ?", [code]).fetchall()
    return rows[0] if rows else None


def find_by_phone(db: Connection, phone: str) -> list[Row]:
    return db.execute(
        f"SELECT {COLUMNS} FROM reservations WHERE phone = ? ORDER BY check_in DESC", [phone]
    ).fetchall()


def cancel(db: Connection, code: str) -> Row | None:
    """Cancel a confirmed reservation; None when there is none under ``code`` to cancel."""
    rows = db.execute(
        "UPDATE reservations SET status = 'cancelled', cancelled_at = now() WHERE code = ?"
        f" AND status = 'confirmed' RETURNING {COLUMNS}",
        [code],
    ).fetchall()
    return rows[0] if rows else None


def every(db: Connection, include_cancelled: bool = True) -> list[Row]:
    where = "" if include_cancelled else "WHERE status = 'confirmed'"
    return db.execute(f"SELECT {COLUMNS} FROM reservations {where} ORDER BY check_in").fetchall()


def _new_code(db: Connection) -> str:
    """A code no reservation has, with a letter in it: digits alone are never taken for a
    code when a caller reads them out (they may be a card)."""
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code.isdigit():
            continue
        if not db.execute("SELECT 1 FROM reservations WHERE code = ?", [code]).fetchone():
            return code
