"""Queries on calls, turns, tool runs and metrics. Plain functions of a DuckDB connection, so
the server (through its writer and readers) and the CLI (on the file directly) share them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class CallRow:
    session_id: str
    channel: str
    caller_id: str | None
    direction: str
    language: str
    start_time: datetime


def insert_call(db: Connection, call: CallRow) -> None:
    db.execute(
        "INSERT INTO voice_calls (session_id, channel, caller_id, direction, language, start_time,"
        " status) VALUES (?, ?, ?, ?, ?, ?, 'active')",
        [
            call.session_id,
            call.channel,
            call.caller_id,
            call.direction,
            call.language,
            call.start_time,
        ],
    )


def insert_turn(
    db: Connection,
    session_id: str,
    turn_number: int,
    role: str,
    content: str,
    timestamp: datetime,
    latency_ms: float | None,
    audio_url: str | None,
) -> None:
    db.execute(
        "INSERT INTO conversation_turns VALUES (?, ?, ?, ?, ?, ?, ?)",
        [session_id, turn_number, role, content, audio_url, latency_ms, timestamp],
    )


def update_turn_content(db: Connection, session_id: str, turn_number: int, content: str) -> None:
    """Replace a turn's words (a later turn showed it held part of a card number)."""
    db.execute(
        "UPDATE conversation_turns SET content = ? WHERE session_id = ? AND turn_number = ?",
        [content, session_id, turn_number],
    )


def insert_metric(
    db: Connection, session_id: str | None, name: str, value: float, timestamp: datetime
) -> None:
    db.execute(
        "INSERT INTO voice_analytics (session_id, metric_name, metric_value, timestamp) VALUES (?, ?, ?, ?)",
        [session_id, name, value, timestamp],
    )


def revise_metric(
    db: Connection, session_id: str, name: str, timestamp: datetime, value: float
) -> None:
    """Replace the value of one measurement (a first mood score, once the model judged it)."""
    db.execute(
        "UPDATE voice_analytics SET metric_value = ?"
        " WHERE session_id = ? AND metric_name = ? AND timestamp = ?",
        [value, session_id, name, timestamp],
    )


def insert_tool_run(
    db: Connection,
    session_id: str | None,
    tool: str,
    arguments: dict[str, Any],
    result: dict[str, Any],
    ok: bool,
    duration_ms: float,
    timestamp: datetime,
) -> None:
    db.execute(
        "INSERT INTO tool_executions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            session_id,
            tool,
            json.dumps(arguments, default=str),
            json.dumps(result, default=str),
            ok,
            duration_ms,
            timestamp,
        ],
    )
    if session_id is not None:
        db.execute(
            "UPDATE voice_calls SET tools_executed = list_append(tools_executed, ?) WHERE session_id = ?",
            [tool, session_id],
        )


def update_call(db: Connection, session_id: str, fields: dict[str, Any]) -> None:
    """Set columns of one call (reservation_id, recording_url, lead_id, ...)."""
    allowed = {
        "reservation_id",
        "recording_url",
        "lead_id",
        "sentiment_score",
        "caller_id",
        "status",
        "error_code",
        "flag_reason",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update voice_calls columns {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(
        f"UPDATE voice_calls SET {assignments} WHERE session_id = ?", [*fields.values(), session_id]
    )


def finish_call(
    db: Connection, session_id: str, status: str, end_time: datetime, error_code: str | None
) -> None:
    """Close the call row: end time, duration, status, the transcript from its turns, and the
    sentiment as the mean of its caller turns' scores."""
    db.execute(
        """
        UPDATE voice_calls SET
            status = ?, error_code = ?, end_time = ?,
            duration_seconds = epoch(CAST(? AS TIMESTAMPTZ) - start_time),
            sentiment_score = coalesce(sentiment_score, (
                SELECT avg(metric_value) FROM voice_analytics a
                WHERE a.session_id = voice_calls.session_id AND a.metric_name = 'caller_sentiment'
            )),
            transcription = (
                SELECT string_agg(role || ': ' || content, chr(10) ORDER BY turn_number)
                FROM conversation_turns t WHERE t.session_id = voice_calls.session_id
            )
        WHERE session_id = ?
        """,
        [status, error_code, end_time, end_time, session_id],
    )


def mark_interrupted(db: Connection) -> list[str]:
    """Calls still 'active' in the file belonged to a process that died: close them as
    interrupted at their last spoken turn. Returns their ids."""
    rows = db.execute("SELECT session_id FROM voice_calls WHERE status = 'active'").fetchall()
    for (session_id,) in rows:
        last = db.execute(
            "SELECT coalesce(max(t.timestamp), any_value(c.start_time)) FROM voice_calls c"
            " LEFT JOIN conversation_turns t USING (session_id) WHERE c.session_id = ?",
            [session_id],
        ).fetchone()
        finish_call(
            db,
            session_id,
            "interrupted",
            last[0] if last else datetime.now().astimezone(),
            "process-died",
        )
    return [r[0] for r in rows]


CALL_COLUMNS = (
    "session_id, channel, caller_id, direction, language, start_time, end_time, duration_seconds,"
    " status, error_code, recording_url, transcription, sentiment_score, tools_executed, lead_id,"
    " reservation_id, flag_reason"
)


def _records(cursor: Connection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def list_calls(
    db: Connection,
    since: datetime | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if since is not None:
        where.append("start_time >= ?")
        params.append(since)
    if status:
        where.append("status = ?")
        params.append(status)
    if channel:
        where.append("channel = ?")
        params.append(channel)
    query = (
        f"SELECT {CALL_COLUMNS}, (SELECT count(*) FROM conversation_turns t WHERE t.session_id = c.session_id)"
        f" AS turns FROM voice_calls c WHERE {' AND '.join(where)} ORDER BY start_time DESC LIMIT ?"
    )
    return _records(db.execute(query, [*params, limit]))


def get_call(db: Connection, session_id: str) -> dict[str, Any] | None:
    """One call with its turns, tool runs and metrics; None if there is no such call."""
    calls = _records(
        db.execute(f"SELECT {CALL_COLUMNS} FROM voice_calls WHERE session_id = ?", [session_id])
    )
    if not calls:
        return None
    call = calls[0]
    call["turns"] = _records(
        db.execute(
            "SELECT turn_number, role, content, latency_ms, audio_url, timestamp FROM conversation_turns"
            " WHERE session_id = ? ORDER BY turn_number",
            [session_id],
        )
    )
    call["tools"] = [
        {**row, "arguments": json.loads(row["arguments"]), "result": json.loads(row["result"])}
        for row in _records(
            db.execute(
                "SELECT tool, arguments, result, ok, duration_ms, timestamp FROM tool_executions"
                " WHERE session_id = ? ORDER BY timestamp",
                [session_id],
            )
        )
    ]
    call["metrics"] = _records(
        db.execute(
            "SELECT metric_name, metric_value, timestamp FROM voice_analytics WHERE session_id = ? ORDER BY id",
            [session_id],
        )
    )
    return call


def _delete_calls(db: Connection, where: str, params: Sequence[Any]) -> dict[str, Any]:
    """Delete the calls matching ``where`` and everything hanging off them; report counts and
    the recording files the caller must remove."""
    ids = [
        r[0]
        for r in db.execute(f"SELECT session_id FROM voice_calls WHERE {where}", params).fetchall()
    ]
    report: dict[str, Any] = {
        "calls": len(ids),
        "turns": 0,
        "tool_runs": 0,
        "metrics": 0,
        "notes": 0,
        "callbacks": 0,
    }
    recordings = [
        r[0]
        for r in db.execute(
            f"SELECT recording_url FROM voice_calls WHERE {where} AND recording_url IS NOT NULL",
            params,
        ).fetchall()
    ]
    if ids:
        db.execute("BEGIN TRANSACTION")
        try:
            for table, key in (
                ("conversation_turns", "turns"),
                ("tool_executions", "tool_runs"),
                ("voice_analytics", "metrics"),
                ("voice_notes", "notes"),
                ("callbacks", "callbacks"),
            ):
                row = db.execute(
                    f"DELETE FROM {table} WHERE session_id IN (SELECT unnest(?::VARCHAR[])) RETURNING 1",
                    [ids],
                ).fetchall()
                report[key] += len(row)
            db.execute(
                "DELETE FROM voice_calls WHERE session_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
            )
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
    report["recordings"] = recordings
    return report


def purge_calls(db: Connection, older_than: datetime) -> dict[str, Any]:
    """Remove ended calls that started before ``older_than``."""
    return _delete_calls(db, "start_time < ? AND status <> 'active'", [older_than])


def erase_caller(db: Connection, numbers: list[str]) -> dict[str, Any]:
    """Remove every call of one caller, and the notes and callbacks filed under their number;
    ``numbers`` are the ways that number is written in the file."""
    report = _delete_calls(db, "caller_id IN (SELECT unnest(?::VARCHAR[]))", [numbers])
    notes = db.execute(
        "DELETE FROM voice_notes WHERE caller_id IN (SELECT unnest(?::VARCHAR[])) RETURNING 1",
        [numbers],
    ).fetchall()
    callbacks = db.execute(
        "DELETE FROM callbacks WHERE phone IN (SELECT unnest(?::VARCHAR[])) RETURNING 1", [numbers]
    ).fetchall()
    report["notes"] += len(notes)
    report["callbacks"] += len(callbacks)
    return report


def caller_numbers(db: Connection) -> list[str]:
    """Every phone number the file holds a record under, as written there."""
    rows = db.execute(
        "SELECT caller_id FROM voice_calls WHERE caller_id IS NOT NULL"
        " UNION SELECT caller_id FROM voice_notes WHERE caller_id IS NOT NULL"
        " UNION SELECT phone FROM callbacks WHERE phone IS NOT NULL"
    ).fetchall()
    return [str(r[0]) for r in rows]


EXPORT_FORMATS = ("csv", "json", "parquet")


def export_calls(db: Connection, target: str, fmt: str, since: datetime | None = None) -> int:
    """Write the call rows (with their transcripts) to ``target`` as csv, json (one object per
    line) or parquet; returns how many calls were written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    where, params = ("WHERE start_time >= ?", [since]) if since else ("", [])
    row = db.execute(f"SELECT count(*) FROM voice_calls {where}", params).fetchone()
    query = f"SELECT {CALL_COLUMNS} FROM voice_calls {where} ORDER BY start_time"
    if since is not None:
        # COPY takes no parameters: the bound value is rendered by DuckDB itself.
        query = query.replace("?", f"TIMESTAMPTZ '{since.isoformat()}'")
    quoted_target = target.replace("'", "''")
    options = {
        "csv": "FORMAT csv, HEADER true",
        "json": "FORMAT json",
        "parquet": "FORMAT parquet",
    }[fmt]
    db.execute(f"COPY ({query}) TO '{quoted_target}' ({options})")
    return int(row[0]) if row else 0


def recording_urls(db: Connection) -> dict[str, str]:
    """Every call's recording, by session id (crash recovery finishes those left raw)."""
    return dict(
        db.execute(
            "SELECT session_id, recording_url FROM voice_calls WHERE recording_url IS NOT NULL"
        ).fetchall()
    )
