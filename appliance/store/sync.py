"""The cloud sync's tables: the batches planned and sent, the watermark, and the rows a batch
carries. Plain functions of a DuckDB connection, for the server's writer and for the CLI."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Batch:
    """One delivery: a dataset over a period within one UTC date."""

    key: str
    dataset: str
    period_start: datetime
    period_end: datetime


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _stamp(moment: datetime, day: datetime) -> str:
    minutes = int((moment - day).total_seconds() // 60)
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def batch_key(dataset: str, property_id: str, start: datetime, end: datetime) -> str:
    """The key a batch is sent under, fixed by its period: a retry sends the same key. Hours
    are whole (``hourly_0000-1300``) unless an operator sent the current hour early
    (``hourly_1300-1342``, then ``hourly_1342-1500``): every call is in one batch."""
    day = start.replace(hour=0, minute=0)
    return (
        f"{dataset}/property={property_id}/date={day:%Y-%m-%d}/"
        f"{dataset}_{_stamp(start, day)}-{_stamp(end, day)}.parquet"
    )


def plan_periods(watermark: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[watermark, until) cut at each UTC midnight: one batch per date."""
    periods = []
    start = watermark
    while start < until:
        midnight = start.replace(hour=0, minute=0) + timedelta(days=1)
        end = min(midnight, until)
        periods.append((start, end))
        start = end
    return periods


def earliest_open_call(db: Connection) -> datetime | None:
    """When the earliest call still open (``active``) started: nothing from then on is final."""
    row = db.execute("SELECT min(start_time) FROM voice_calls WHERE status = 'active'").fetchone()
    return row[0].astimezone(UTC) if row and row[0] is not None else None


def plan(
    db: Connection,
    destination: str,
    property_id: str,
    datasets: tuple[str, ...],
    until: datetime,
) -> int:
    """Store the batches for [watermark, until) and ``until`` as the new watermark, in one
    transaction; returns how many batches were planned. The caller has made sure no call
    that started before ``until`` is still open."""
    row = db.execute(
        "SELECT watermark FROM sync_state WHERE destination = ?", [destination]
    ).fetchone()
    if row is None:
        first = db.execute("SELECT min(start_time) FROM voice_calls").fetchone()
        start = floor_hour(first[0]) if first and first[0] is not None else until
        start = start.replace(hour=0, minute=0)
    else:
        start = row[0].astimezone(UTC)
    periods = plan_periods(start, until)
    db.execute("BEGIN TRANSACTION")
    try:
        for period_start, period_end in periods:
            for dataset in datasets:
                db.execute(
                    "INSERT INTO sync_batches (destination, batch_key, period_start, period_end,"
                    " status, created_at) VALUES (?, ?, ?, ?, 'pending', now()) ON CONFLICT DO NOTHING",
                    [destination, batch_key(dataset, property_id, period_start, period_end),
                     period_start, period_end],
                )  # fmt: skip
        db.execute(
            "INSERT INTO sync_state (destination, watermark) VALUES (?, ?)"
            " ON CONFLICT (destination) DO UPDATE SET watermark = excluded.watermark",
            [destination, max(start, until)],
        )
        db.execute("COMMIT")
    except Exception:
        db.execute("ROLLBACK")
        raise
    return len(periods) * len(datasets)


def pending(db: Connection, destination: str) -> list[Batch]:
    rows = db.execute(
        "SELECT batch_key, period_start, period_end FROM sync_batches"
        " WHERE destination = ? AND status = 'pending' ORDER BY period_start, batch_key",
        [destination],
    ).fetchall()
    return [
        Batch(key, key.split("/", 1)[0], start.astimezone(UTC), end.astimezone(UTC))
        for key, start, end in rows
    ]


def mark_sent(db: Connection, destination: str, key: str, rows: int) -> None:
    """Delivered: ``rows`` > 0. A batch with no rows is marked ``empty``: nothing was sent."""
    db.execute(
        "UPDATE sync_batches SET status = ?, rows = ?, attempts = attempts + 1,"
        " last_error = NULL, sent_at = now() WHERE destination = ? AND batch_key = ?",
        ["sent" if rows else "empty", rows, destination, key],
    )


def mark_failed(
    db: Connection, destination: str, key: str | None, error: str, retry_at: datetime
) -> None:
    if key is not None:
        db.execute(
            "UPDATE sync_batches SET attempts = attempts + 1, last_error = ?"
            " WHERE destination = ? AND batch_key = ?",
            [error, destination, key],
        )
    db.execute(
        "UPDATE sync_state SET failures = failures + 1, last_error = ?, last_attempt_at = now(),"
        " next_attempt_at = ? WHERE destination = ?",
        [error, retry_at, destination],
    )


def mark_success(db: Connection, destination: str) -> None:
    db.execute(
        "UPDATE sync_state SET failures = 0, last_error = NULL, last_attempt_at = now(),"
        " last_success_at = now(), next_attempt_at = NULL WHERE destination = ?",
        [destination],
    )


def failures(db: Connection, destination: str) -> int:
    row = db.execute("SELECT failures FROM sync_state WHERE destination = ?", [destination]).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class SyncState:
    watermark: datetime | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    failures: int
    next_attempt_at: datetime | None
    pending: tuple[str, ...]
    sent: int


def state(db: Connection, destination: str) -> SyncState:
    row = db.execute(
        "SELECT watermark, last_success_at, last_attempt_at, last_error, failures, next_attempt_at"
        " FROM sync_state WHERE destination = ?",
        [destination],
    ).fetchone()
    waiting = db.execute(
        "SELECT batch_key FROM sync_batches WHERE destination = ? AND status = 'pending'"
        " ORDER BY period_start, batch_key",
        [destination],
    ).fetchall()
    sent = db.execute(
        "SELECT count(*) FROM sync_batches WHERE destination = ? AND status = 'sent'", [destination]
    ).fetchone()
    values = row or (None, None, None, None, 0, None)
    return SyncState(
        watermark=values[0],
        last_success_at=values[1],
        last_attempt_at=values[2],
        last_error=values[3],
        failures=int(values[4]),
        next_attempt_at=values[5],
        pending=tuple(r[0] for r in waiting),
        sent=int(sent[0]) if sent else 0,
    )


def calls_sql(facts_sql: str, salt: str, include_transcripts: bool) -> str:
    """The per-call dataset's columns (opt-in): no caller number, only its salted hash."""
    quoted_salt = salt.replace("'", "''")
    transcript = "transcription" if include_transcripts else "NULL::VARCHAR"
    return f"""
    SELECT session_id, channel, language, start_time, duration_seconds, outcome, turns,
           caller_turns, tool_runs, department, sentiment, flag_reason, after_hours,
           CASE WHEN caller_id IS NULL THEN NULL ELSE sha256('{quoted_salt}' || caller_id) END AS caller_hash,
           {transcript} AS transcript
    FROM ({facts_sql}) WHERE outcome <> 'active' ORDER BY start_time
    """


def rows(db: Connection, query: str, batch: Batch) -> list[dict[str, Any]]:
    """A batch's rows: ``query`` over its period."""
    cursor = db.execute(query, [batch.period_start, batch.period_end])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def write_parquet(
    db: Connection, query: str, batch: Batch, records: list[dict[str, Any]], target: Path
) -> None:
    """``records`` (``query``'s rows, changed where the caller had to) as Parquet at
    ``target``, with ``query``'s column types (DuckDB's writer)."""
    table = f"sync_{uuid.uuid4().hex}"
    db.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM ({query}) LIMIT 0",
               [batch.period_start, batch.period_end])  # fmt: skip
    try:
        if records:
            marks = ", ".join("?" for _ in records[0])
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(r.values()) for r in records])
        quoted = str(target).replace("'", "''")
        db.execute(f"COPY {table} TO '{quoted}' (FORMAT parquet)")
    finally:
        db.execute(f"DROP TABLE IF EXISTS {table}")
