"""Versioned schema migrations, applied in order at start-up; each runs once per file."""

from __future__ import annotations

import logging

import duckdb

_LOGGER = logging.getLogger(__name__)

#: (version, what it does, statements). Never edit a released migration: add a new one.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "calls, turns, analytics, tool executions",
        [
            """
            CREATE TABLE voice_calls (
                session_id       VARCHAR PRIMARY KEY,
                channel          VARCHAR NOT NULL,
                caller_id        VARCHAR,
                direction        VARCHAR NOT NULL DEFAULT 'inbound',
                language         VARCHAR,
                start_time       TIMESTAMPTZ NOT NULL,
                end_time         TIMESTAMPTZ,
                duration_seconds DOUBLE,
                status           VARCHAR NOT NULL,
                error_code       VARCHAR,
                recording_url    VARCHAR,
                transcription    VARCHAR,
                sentiment_score  DOUBLE,
                tools_executed   VARCHAR[] NOT NULL DEFAULT [],
                lead_id          VARCHAR,
                reservation_id   VARCHAR
            )
            """,
            """
            CREATE TABLE conversation_turns (
                session_id  VARCHAR NOT NULL,
                turn_number INTEGER NOT NULL,
                role        VARCHAR NOT NULL,
                content     VARCHAR NOT NULL,
                audio_url   VARCHAR,
                latency_ms  DOUBLE,
                timestamp   TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (session_id, turn_number)
            )
            """,
            """
            CREATE SEQUENCE voice_analytics_id
            """,
            """
            CREATE TABLE voice_analytics (
                id           BIGINT PRIMARY KEY DEFAULT nextval('voice_analytics_id'),
                session_id   VARCHAR,
                metric_name  VARCHAR NOT NULL,
                metric_value DOUBLE NOT NULL,
                timestamp    TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE tool_executions (
                session_id  VARCHAR,
                tool        VARCHAR NOT NULL,
                arguments   VARCHAR NOT NULL,
                result      VARCHAR NOT NULL,
                ok          BOOLEAN NOT NULL,
                duration_ms DOUBLE NOT NULL,
                timestamp   TIMESTAMPTZ NOT NULL
            )
            """,
        ],
    ),
    (
        2,
        "reservations, callbacks, voice notes",
        [
            """
            CREATE TABLE reservations (
                code          VARCHAR PRIMARY KEY,
                room_type     VARCHAR NOT NULL,
                check_in      DATE NOT NULL,
                check_out     DATE NOT NULL,
                guests        INTEGER NOT NULL,
                guest_name    VARCHAR NOT NULL,
                phone         VARCHAR,
                nightly_rate  DECIMAL(10, 2) NOT NULL,
                total         DECIMAL(10, 2) NOT NULL,
                status        VARCHAR NOT NULL,
                session_id    VARCHAR,
                created_at    TIMESTAMPTZ NOT NULL,
                cancelled_at  TIMESTAMPTZ
            )
            """,
            """
            CREATE TABLE callbacks (
                id            VARCHAR PRIMARY KEY,
                session_id    VARCHAR,
                phone         VARCHAR NOT NULL,
                requested_for VARCHAR NOT NULL,
                reason        VARCHAR NOT NULL,
                status        VARCHAR NOT NULL,
                created_at    TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE voice_notes (
                id          VARCHAR PRIMARY KEY,
                session_id  VARCHAR,
                caller_id   VARCHAR,
                note        VARCHAR NOT NULL,
                audio_url   VARCHAR,
                created_at  TIMESTAMPTZ NOT NULL
            )
            """,
        ],
    ),
    (
        3,
        "flagged calls, cloud sync batches, the recordings access log",
        [
            # Why a call was flagged for a person to look at (the caller's mood fell, or they
            # asked the same thing twice); NULL when it was not.
            "ALTER TABLE voice_calls ADD COLUMN flag_reason VARCHAR",
            """
            CREATE TABLE sync_batches (
                destination   VARCHAR NOT NULL,
                batch_key     VARCHAR NOT NULL,
                period_start  TIMESTAMPTZ NOT NULL,
                period_end    TIMESTAMPTZ NOT NULL,
                status        VARCHAR NOT NULL,
                rows          INTEGER,
                attempts      INTEGER NOT NULL DEFAULT 0,
                last_error    VARCHAR,
                created_at    TIMESTAMPTZ NOT NULL,
                sent_at       TIMESTAMPTZ,
                PRIMARY KEY (destination, batch_key)
            )
            """,
            """
            CREATE TABLE sync_state (
                destination      VARCHAR PRIMARY KEY,
                watermark        TIMESTAMPTZ NOT NULL,
                last_success_at  TIMESTAMPTZ,
                last_attempt_at  TIMESTAMPTZ,
                last_error       VARCHAR,
                failures         INTEGER NOT NULL DEFAULT 0,
                next_attempt_at  TIMESTAMPTZ
            )
            """,
            """
            CREATE TABLE access_log (
                accessed_at TIMESTAMPTZ NOT NULL,
                who         VARCHAR NOT NULL,
                action      VARCHAR NOT NULL,
                session_id  VARCHAR,
                remote      VARCHAR
            )
            """,
        ],
    ),
]


def migrate(connection: duckdb.DuckDBPyConnection) -> int:
    """Bring the file up to the newest schema; returns the version it is at."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    row = connection.execute("SELECT max(version) FROM schema_migrations").fetchone()
    current = int(row[0]) if row and row[0] is not None else 0
    for version, description, statements in MIGRATIONS:
        if version <= current:
            continue
        connection.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())", [version, description]
            )
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
        _LOGGER.info("database migrated to version %d: %s", version, description)
        current = version
    return current
