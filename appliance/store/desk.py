"""The front desk's own records: callbacks to make, notes for the staff, a caller's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from appliance.store.database import Connection


def insert_callback(
    db: Connection,
    callback_id: str,
    session_id: str | None,
    phone: str,
    time: str,
    reason: str,
    at: datetime,
) -> None:
    db.execute(
        "INSERT INTO callbacks VALUES (?, ?, ?, ?, ?, 'pending', ?)",
        [callback_id, session_id, phone, time, reason, at],
    )


def insert_note(
    db: Connection,
    note_id: str,
    session_id: str,
    caller_id: str | None,
    note: str,
    audio_url: str | None,
    at: datetime,
) -> None:
    db.execute(
        "INSERT INTO voice_notes VALUES (?, ?, ?, ?, ?, ?)",
        [note_id, session_id, caller_id, note, audio_url, at],
    )


def caller_history(
    db: Connection, caller_id: str
) -> tuple[int, datetime | None, list[tuple[str, date, str]]]:
    """How many calls a caller made before, the last one's start, and their reservations
    (code, arrival, status), latest arrival first."""
    row: Any = db.execute(
        "SELECT count(*), max(start_time) FROM voice_calls WHERE caller_id = ? AND status <> 'active'",
        [caller_id],
    ).fetchone()
    reservations = db.execute(
        "SELECT code, check_in, status FROM reservations WHERE phone = ? ORDER BY check_in DESC",
        [caller_id],
    ).fetchall()
    return int(row[0]), row[1], [(r[0], r[1], r[2]) for r in reservations]
