"""Sessions and the DuckDB file: every turn is in the file when it is spoken."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from appliance import SessionManager
from appliance.app import Appliance, build_appliance
from appliance.config import Config
from appliance.engines import build_engines
from appliance.sessions import CallStatus, SessionError
from appliance.sessions.admission import CallRefused
from appliance.store import calls
from appliance.store.schema import MIGRATIONS


def read(
    config: Config, query: str, params: list[object] | None = None
) -> list[tuple[object, ...]]:
    """Read the file as another process would, after the server let go of it."""
    with duckdb.connect(str(config.paths.database_file), read_only=True) as db:
        return db.execute(query, params or []).fetchall()


async def test_the_old_module_api_writes_each_turn_as_it_is_added(state: Appliance) -> None:
    manager: SessionManager = state.sessions
    session = await manager.create_session(
        channel="phone", caller_id="+15551234567", language="en-US"
    )
    session.add_message(role="user", content="I'd like to book a room")
    session.add_message(
        role="assistant", content="I'd be happy to help you with that", latency_ms=250
    )
    await session.flush()
    # The earlier module's code names the call's id session.session_id.
    assert session.session_id == session.id and session.session_id.startswith("VS")
    turns = await state.store.read(
        lambda db: db.execute(
            "SELECT turn_number, role, content, latency_ms FROM conversation_turns WHERE session_id = ? ORDER BY 1",
            [session.session_id],
        ).fetchall()
    )
    assert turns == [
        (1, "user", "I'd like to book a room", None),
        (2, "assistant", "I'd be happy to help you with that", 250.0),
    ]
    row = await state.store.read(
        lambda db: db.execute("SELECT status, channel, caller_id FROM voice_calls").fetchall()
    )
    assert row == [("active", "phone", "+15551234567")]


async def test_ending_a_call_closes_its_row_with_transcript_and_duration(
    state: Appliance,
) -> None:
    session = await state.sessions.create_session(channel="webrtc")
    session.add_message("user", "What time is breakfast?")
    session.add_message("assistant", "Breakfast is served from 6:30 AM.")
    await state.sessions.end_session(session.id, CallStatus.COMPLETED)
    call = await state.store.read(calls.get_call, session.id)
    assert call["status"] == "completed"
    assert call["end_time"] >= call["start_time"] and call["duration_seconds"] >= 0
    assert (
        call["transcription"]
        == "user: What time is breakfast?\nassistant: Breakfast is served from 6:30 AM."
    )
    # The caller's one turn was scored for sentiment; a plain question scores neutral.
    assert [m["metric_name"] for m in call["metrics"]] == [
        "caller_sentiment",
        "call_duration_seconds",
    ]
    assert call["sentiment_score"] == call["metrics"][0]["metric_value"] == 0.0
    assert state.sessions.active() == []


async def test_card_numbers_are_redacted_before_the_turn_is_kept(state: Appliance) -> None:
    session = await state.sessions.create_session(channel="kiosk")
    message = session.add_message("user", "my card is 4111 1111 1111 1111 expiry 03/27")
    await session.flush()
    stored = await state.store.read(
        lambda db: db.execute("SELECT content FROM conversation_turns").fetchall()
    )
    assert "4111" not in message.content and "4111" not in stored[0][0]
    assert "03/27" not in stored[0][0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("It's four one one one, one one one one.", "Then one one one one, one one one one."),
        ("4111 1111 1111", "1111, and the code is 737"),
    ],
)
async def test_a_card_read_over_two_turns_is_kept_out_of_both(
    state: Appliance, first: str, second: str
) -> None:
    session = await state.sessions.create_session(channel="phone")
    session.add_message("user", first)
    session.add_message("assistant", "And the rest?")
    session.add_message("user", second)
    await state.sessions.end_session(session.id)
    stored = await state.store.read(
        lambda db: db.execute(
            "SELECT content FROM conversation_turns WHERE role = 'user' ORDER BY turn_number"
        ).fetchall()
    )
    transcript = (await state.store.read(calls.get_call, session.id))["transcription"]
    spoken = ("one", "seven", "three")
    for text in [*(row[0] for row in stored), transcript]:
        assert not any(ch.isdigit() for ch in text), text
        assert not any(w.strip(",.").lower() in spoken for w in text.split()), text
    assert [m.content for m in session.messages if m.role == "user"] == [r[0] for r in stored]


async def test_the_database_its_log_and_its_folder_are_private(config: Config) -> None:
    engines = build_engines(config)
    state = await build_appliance(config, engines)
    session = await state.sessions.create_session(channel="phone")
    session.add_message("user", "Hello?")
    await session.flush()
    database = config.paths.database_file
    wal = database.with_name(database.name + ".wal")
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (database, wal) if p.exists()}
    folder = stat.S_IMODE(database.parent.stat().st_mode)
    await state.close()
    engines.close()
    assert wal in modes and modes == dict.fromkeys(modes, 0o600)
    assert folder == 0o700


async def test_bad_channel_role_or_ended_session_are_named(state: Appliance) -> None:
    with pytest.raises(SessionError, match="unknown channel 'fax'"):
        await state.sessions.create_session(channel="fax")
    session = await state.sessions.create_session(channel="phone")
    with pytest.raises(SessionError, match="unknown message role 'robot'"):
        session.add_message("robot", "beep")
    await state.sessions.end_session(session.id, CallStatus.ABANDONED)
    with pytest.raises(SessionError, match="has ended"):
        session.add_message("user", "hello?")
    with pytest.raises(SessionError, match="no live session"):
        state.sessions.get(session.id)


async def test_shutdown_ends_live_calls_as_interrupted_and_refuses_new_ones(config: Config) -> None:
    engines = build_engines(config)
    state = await build_appliance(config, engines)
    session = await state.sessions.create_session(channel="phone", caller_id="+15550001111")
    session.add_message("user", "hello")
    await state.close()
    engines.close()
    assert read(config, "SELECT status, error_code FROM voice_calls") == [
        ("interrupted", "server-shutdown")
    ]
    with pytest.raises(SessionError, match="shutting down"):
        await state.sessions.create_session(channel="phone")


async def test_calls_left_active_by_a_dead_process_are_marked_interrupted_at_start(
    config: Config,
) -> None:
    engines = build_engines(config)
    first = await build_appliance(config, engines)
    session = await first.sessions.create_session(channel="phone")
    session.add_message("user", "I need a room")
    await session.flush()
    # Simulate the crash: close the file without ending the session.
    first.sessions._sessions.clear()
    await first.close()
    second = await build_appliance(config, engines)
    call = await second.store.read(calls.get_call, session.id)
    await second.close()
    engines.close()
    assert call["status"] == "interrupted" and call["error_code"] == "process-died"
    assert call["end_time"] == call["turns"][-1]["timestamp"]
    assert call["transcription"] == "user: I need a room"


async def test_migrations_are_versioned_and_applied_once(state: Appliance, config: Config) -> None:
    versions = await state.store.read(
        lambda db: db.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    )
    assert [v for (v,) in versions] == [m[0] for m in MIGRATIONS]
    await state.close()
    reopened = await build_appliance(config, state.engines)  # a second start applies nothing again
    again = await reopened.store.read(
        lambda db: db.execute("SELECT count(*) FROM schema_migrations").fetchone()
    )
    await reopened.close()
    assert again == (len(MIGRATIONS),)


async def test_purge_and_erase_report_what_they_removed(state: Appliance, config: Config) -> None:
    old = await state.sessions.create_session(channel="phone", caller_id="+15550002222")
    old.add_message("user", "old call")
    await state.sessions.end_session(old.id)
    recording = config.paths.data_dir / "recordings" / f"{old.id}.wav"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"RIFF")
    await state.store.write(calls.update_call, old.id, {"recording_url": str(recording)})
    await state.store.write(
        lambda db: db.execute(
            "UPDATE voice_calls SET start_time = ? WHERE session_id = ?",
            [datetime.now(UTC) - timedelta(days=120), old.id],
        )
    )
    recent = await state.sessions.create_session(channel="phone", caller_id="+15550002222")
    recent.add_message("user", "recent call")
    await state.toolbox.execute(
        "record_voice_note", session_id=recent.id, note="wants a quiet room"
    )
    await state.sessions.end_session(recent.id)

    report = await state.records.purge(datetime.now(UTC) - timedelta(days=90))
    assert report["calls"] == 1 and report["turns"] == 1 and report["recordings"] == 1
    assert not recording.exists()

    report = await state.records.erase("+15550002222")
    assert report["calls"] == 1 and report["turns"] == 1 and report["notes"] == 1
    left = await state.store.read(
        lambda db: db.execute("SELECT count(*) FROM voice_calls").fetchone()
    )
    assert left == (0,)


async def test_a_line_is_free_the_moment_its_call_ends_while_the_record_is_finished(
    state: Appliance,
) -> None:
    manager: SessionManager = state.sessions
    state.open_for_calls()
    capacity = manager.admission._lanes["phone"].capacity
    sessions = [
        await manager.create_session(channel="phone", origin="line") for _ in range(capacity)
    ]
    with pytest.raises(CallRefused):
        manager.admission.take("phone")
    # The end of a call waits a little for its last judgments (a mood being scored)...
    judging = asyncio.Event()
    sessions[0].journal.spawn(judging.wait(), "judging", settle=True)
    ending = asyncio.create_task(manager.end_session(sessions[0].id))
    await asyncio.sleep(0.05)
    assert not ending.done()
    # ...but the line it held takes the next caller at once.
    manager.admission.take("phone").release()
    judging.set()
    await ending
    assert (await state.store.read(calls.get_call, sessions[0].id))["end_time"] is not None
