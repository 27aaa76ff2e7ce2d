"""Sessions: one per call, holding its whole conversation, written to the store as it happens.

The API is the one the hotel's earlier voice module documented::

    manager = SessionManager(store)
    session = await manager.create_session(channel="phone", caller_id="+15551234567", language="en-US")
    session.add_message(role="user", content="I'd like to book a room")
    session.add_message(role="assistant", content="I'd be happy to help you with that", latency_ms=250)
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from appliance.audio.frames import AudioFrame
from appliance.audio.recording import CALLER, CallRecorder
from appliance.errors import ApplianceError, StoreError
from appliance.privacy import reads_out_card_digits, redact
from appliance.store import calls
from appliance.store.database import Store
from appliance.store.recordings import Recordings

_LOGGER = logging.getLogger(__name__)

#: "cli" is IT staff trying the agent with `appliance talk` and `appliance chat`.
CHANNELS = ("phone", "webrtc", "kiosk", "sip", "cli")
ROLES = ("user", "assistant", "system", "tool")


class CallStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"


class SessionError(ApplianceError):
    """A session operation named something that does not exist or is not allowed."""


class CallControl(Protocol):
    """What a channel can do to its live call. Channels that cannot do a thing say so in
    words the agent can speak, and the tools offer the alternative."""

    channel: str

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        """Hand the call to ``number``; None when done, else why it cannot."""
        ...

    async def play_hold_music(self) -> str | None: ...

    async def announce(self, message: str) -> str | None: ...

    async def hang_up(self) -> None: ...


@dataclass
class NoCallControl:
    """A channel with no way to act on the call beyond talking (a browser, the kiosk, text)."""

    channel: str

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        return f"I can't transfer a {_channel_words(self.channel)} to another line"

    async def play_hold_music(self) -> str | None:
        return f"I can't play hold music on a {_channel_words(self.channel)}"

    async def announce(self, message: str) -> str | None:
        return f"I can't make announcements on a {_channel_words(self.channel)}"

    async def hang_up(self) -> None:
        return None


def _channel_words(channel: str) -> str:
    return {
        "webrtc": "browser call",
        "kiosk": "lobby kiosk conversation",
        "phone": "phone call",
    }.get(channel, f"{channel} call")


@dataclass(frozen=True)
class Message:
    turn_number: int
    role: str
    content: str
    timestamp: datetime
    latency_ms: float | None = None
    audio_url: str | None = None


@dataclass(frozen=True)
class ToolRun:
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    ok: bool
    duration_ms: float
    timestamp: datetime


@dataclass
class Session:
    """One live call. Every message is redacted, kept, and queued for the file at once."""

    id: str
    channel: str
    caller_id: str | None
    language: str
    direction: str
    started_at: datetime
    store: Store = field(repr=False)
    control: CallControl = field(repr=False)
    status: CallStatus = CallStatus.ACTIVE
    ended_at: datetime | None = None
    error_code: str | None = None
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolRun] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    reservation_id: str | None = None
    recorder: CallRecorder | None = field(default=None, repr=False)
    recording_url: str | None = None
    _started_monotonic: float = field(default_factory=time.monotonic, repr=False)
    _last_user_turn_ms: float = field(default=0.0, repr=False)

    @property
    def active(self) -> bool:
        return self.status is CallStatus.ACTIVE

    def add_message(
        self,
        role: str,
        content: str,
        latency_ms: float | None = None,
        audio_url: str | None = None,
    ) -> Message:
        """Add a turn; it is written to the database now, not at the end of the call."""
        if role not in ROLES:
            raise SessionError(
                "bad-role", f"unknown message role {role!r}; use one of {', '.join(ROLES)}"
            )
        if not self.active:
            raise SessionError("session-ended", f"session {self.id} has ended ({self.status})")
        if role == "user":
            self._keep_card_out_of_the_recording(content)
        message = Message(
            turn_number=len(self.messages) + 1,
            role=role,
            content=redact(content),
            timestamp=datetime.now(UTC),
            latency_ms=latency_ms,
            audio_url=audio_url,
        )
        self.messages.append(message)
        self.store.submit(
            calls.insert_turn,
            self.id, message.turn_number, message.role, message.content,
            message.timestamp, message.latency_ms, message.audio_url,
            what=f"turn {message.turn_number} of {self.id}",
        )  # fmt: skip
        return message

    def record(self, side: int, frame: AudioFrame, at_ms: float | None = None) -> None:
        """Add audio to the call's recording, if it is recorded (side: CALLER or AGENT)."""
        if self.recorder is not None:
            self.recorder.add(side, frame, at_ms)

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self._started_monotonic) * 1000

    def _keep_card_out_of_the_recording(self, said: str) -> None:
        # The words arrive after the audio, so the pause is applied backwards: the caller's
        # side is silenced from where it stood at their previous turn, which holds the utterance.
        if self.recorder is None:
            return
        now = self.recorder.position_ms(CALLER)
        if reads_out_card_digits(said):
            self.recorder.blank(CALLER, self._last_user_turn_ms, now)
            _LOGGER.info("caller gave card digits; that stretch of the recording is silenced")
        self._last_user_turn_ms = now

    async def flush(self) -> None:
        """Wait until everything queued for this call is in the file."""
        await self.store.drain()

    def add_metric(self, name: str, value: float) -> None:
        """Record one measurement of this call (voice_analytics)."""
        self.metrics[name] = value
        self.store.submit(
            calls.insert_metric,
            self.id,
            name,
            float(value),
            datetime.now(UTC),
            what=f"metric {name}",
        )

    def record_tool(self, run: ToolRun) -> None:
        self.tools.append(run)
        self.store.submit(
            calls.insert_tool_run,
            self.id, run.name, run.arguments, run.result, run.ok, run.duration_ms, run.timestamp,
            what=f"tool run {run.name}",
        )  # fmt: skip

    def set_reservation(self, code: str) -> None:
        self.reservation_id = code
        self.store.submit(
            calls.update_call, self.id, {"reservation_id": code}, what="reservation id"
        )

    @property
    def duration_s(self) -> float:
        return time.monotonic() - self._started_monotonic

    def to_dict(self, with_messages: bool = True) -> dict[str, Any]:
        view: dict[str, Any] = {
            "session_id": self.id,
            "channel": self.channel,
            "caller_id": self.caller_id,
            "language": self.language,
            "direction": self.direction,
            "status": str(self.status),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": round(self.duration_s, 1),
            "turns": len(self.messages),
            "tools_executed": [t.name for t in self.tools],
            "reservation_id": self.reservation_id,
            "metrics": self.metrics,
        }
        if with_messages:
            view["messages"] = [
                {**asdict(m), "timestamp": m.timestamp.isoformat()} for m in self.messages
            ]
            view["tools"] = [
                {**asdict(t), "timestamp": t.timestamp.isoformat()} for t in self.tools
            ]
        return view


class SessionManager:
    """Creates, finds and ends sessions; the single owner of the live-session table."""

    def __init__(self, store: Store | None = None, recordings: Recordings | None = None) -> None:
        self._open_store = store is None
        if store is None:
            # As the earlier module allowed: no store given, sessions live in memory only.
            _LOGGER.warning(
                "SessionManager() was given no store: sessions are kept in an in-memory database "
                "and are lost when the process ends; pass Store(config.paths.database_file) to keep them"
            )
            store = Store(Path(":memory:"))
        self.store = store
        self.recordings = recordings
        self._sessions: dict[str, Session] = {}
        #: False once the server is stopping: new calls are turned away.
        self.accepting = True

    async def create_session(
        self,
        channel: str,
        caller_id: str | None = None,
        language: str = "en-US",
        direction: str = "inbound",
        session_id: str | None = None,
        control: CallControl | None = None,
    ) -> Session:
        """Start a call; its row is in the file before this returns."""
        if self._open_store:
            self._open_store = False
            await self.store.open()
        if not self.accepting:
            raise SessionError(
                "not-accepting", "the appliance is shutting down and takes no new calls"
            )
        if channel not in CHANNELS:
            raise SessionError(
                "bad-channel", f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}"
            )
        if direction not in ("inbound", "outbound"):
            raise SessionError(
                "bad-direction", f"direction must be inbound or outbound, not {direction!r}"
            )
        session_id = session_id or f"VS{uuid.uuid4().hex}"
        if session_id in self._sessions:
            raise SessionError("duplicate-session", f"session {session_id} already exists")
        session = Session(
            id=session_id,
            channel=channel,
            caller_id=caller_id,
            language=language,
            direction=direction,
            started_at=datetime.now(UTC),
            store=self.store,
            control=control or NoCallControl(channel),
        )
        await self.store.write(
            calls.insert_call,
            calls.CallRow(session_id, channel, caller_id, direction, language, session.started_at),
        )
        if self.recordings is not None:
            session.recorder, session.recording_url = self.recordings.start(
                session_id, session.started_at
            )
            await self.store.write(
                calls.update_call, session_id, {"recording_url": session.recording_url}
            )
        self._sessions[session_id] = session
        _LOGGER.info("session started on %s", channel, extra={"session_id": session_id})
        return session

    def get(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise SessionError("unknown-session", f"no live session {session_id!r}") from None

    def find(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def active(self) -> list[Session]:
        return [s for s in self._sessions.values() if s.active]

    def count(self) -> int:
        return len(self._sessions)

    async def end_session(
        self,
        session_id: str,
        status: CallStatus = CallStatus.COMPLETED,
        error_code: str | None = None,
    ) -> Session:
        """Close the call: the row gets its end, duration, status and transcript."""
        session = self.get(session_id)
        if status is CallStatus.ACTIVE:
            raise SessionError("bad-status", "a session cannot end as active")
        session.status = status
        session.error_code = error_code
        session.ended_at = datetime.now(UTC)
        del self._sessions[session_id]
        session.store.submit(
            calls.insert_metric,
            session_id,
            "call_duration_seconds",
            session.duration_s,
            session.ended_at,
        )
        await self.store.write(
            calls.finish_call, session_id, str(status), session.ended_at, error_code
        )
        await self._finish_recording(session)
        _LOGGER.info(
            "session ended %s after %.1f s and %d turns", status, session.duration_s, len(session.messages),
            extra={"session_id": session_id},
        )  # fmt: skip
        return session

    async def _finish_recording(self, session: Session) -> None:
        recorder, session.recorder = session.recorder, None
        if recorder is None or self.recordings is None or session.recording_url is None:
            return
        try:
            await asyncio.to_thread(self.recordings.finish, recorder, session.recording_url)
        except StoreError as err:
            # The call row stays; the raw file stays for the next start to finish and retry.
            _LOGGER.error("recording of %s not stored: %s", session.id, err.message)

    async def end_all(self, status: CallStatus, error_code: str | None = None) -> int:
        ended = 0
        for session_id in list(self._sessions):
            session = self._sessions.get(session_id)
            if session is None:
                continue
            await session.control.hang_up()
            # The call's own loop may have closed it while the line was being hung up.
            if session_id in self._sessions:
                await self.end_session(session_id, status, error_code)
                ended += 1
        return ended
