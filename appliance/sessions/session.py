"""One call as a session: its whole conversation, written to the store as it happens."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from appliance.audio.frames import AudioFrame
from appliance.audio.recording import CallRecorder
from appliance.errors import SessionError
from appliance.sessions.admission import Seat
from appliance.sessions.control import CallControl
from appliance.sessions.journal import CallJournal
from appliance.sessions.records import CallStatus, Message, ToolRun
from appliance.store.database import Store

_LOGGER = logging.getLogger(__name__)

#: "cli" is IT staff trying the agent with `appliance talk` and `appliance chat`.
CHANNELS = ("phone", "webrtc", "kiosk", "sip", "cli")
ROLES = ("user", "assistant", "system", "tool")
#: Who drives a session: "line", a call admitted on one of the hotel's lines (phone, browser,
#: kiosk); "api", a client of the HTTP API (it ends when left idle); "local", the loop on this box.
Origin = Literal["line", "api", "local"]
#: How long the end of a call waits for work it waits on (mood judgments still being made).
SETTLE_S = 3.0


@dataclass
class Session:
    """One live call: what it is, and what has happened in it so far. Everything that happens
    goes through its journal, which keeps it here and queues it for the file at once."""

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
    origin: Origin = "local"
    #: The call's place on its line (given back when it ends); None for API and local calls.
    seat: Seat | None = field(default=None, repr=False)
    #: The language model's judgments of the caller's moods so far, by their words as kept.
    judged: dict[str, float] = field(default_factory=dict, repr=False)
    #: Why the call was flagged for a person to look at, if it was.
    flag_reason: str | None = None
    #: When the session last had a turn (monotonic seconds): idle API sessions expire.
    last_active: float = field(default_factory=time.monotonic, repr=False)
    _started_monotonic: float = field(default_factory=time.monotonic, repr=False)
    journal: CallJournal = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.journal = CallJournal(self)

    @property
    def active(self) -> bool:
        return self.status is CallStatus.ACTIVE

    @property
    def session_id(self) -> str:
        """The call's id, by the name the hotel's earlier module gave it."""
        return self.id

    def add_message(
        self,
        role: str,
        content: str,
        latency_ms: float | None = None,
        audio_url: str | None = None,
        heard_until_ms: float | None = None,
        spoken_ms: tuple[float, float] | None = None,
    ) -> Message:
        """Add a turn; it is written to the database now, not at the end of the call.

        A caller's turn covers their audio from the end of the previous turn up to
        ``heard_until_ms`` on the recording's clock (by default, all the audio so far); if the
        card rule removes anything from its words, that audio is silenced. The agent's words
        are held to the same rule: if it changes them, their audio (``spoken_ms``) is
        silenced too."""
        if role not in ROLES:
            raise SessionError(
                "bad-role", f"unknown message role {role!r}; use one of {', '.join(ROLES)}"
            )
        if not self.active:
            raise SessionError("session-ended", f"session {self.id} has ended ({self.status})")
        self.last_active = time.monotonic()
        if role == "user":
            return self.journal.caller_turn(content, heard_until_ms)
        if role == "assistant":
            return self.journal.agent_heard(content, latency_ms=latency_ms, spoken_ms=spoken_ms)
        return self.journal.message(role, content, latency_ms, audio_url)

    def record(self, side: int, frame: AudioFrame, at_ms: float | None = None) -> None:
        """Add audio to the call's recording, if it is recorded (side: CALLER or AGENT)."""
        if self.recorder is not None:
            self.recorder.add(side, frame, at_ms)

    def redact_in_context(self, text: str) -> str:
        """``text`` (a tool's argument) as if the caller had said it after their latest turns."""
        return self.journal.argument(text)

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self._started_monotonic) * 1000

    async def flush(self) -> None:
        """Wait until everything queued for this call is in the file."""
        await self.store.drain()

    def add_metric(self, name: str, value: float) -> datetime:
        """Record one measurement of this call (voice_analytics); returns its time."""
        return self.journal.measure(name, value)

    def flag(self, reason: str) -> None:
        """Mark the call for a person to look at (the first reason stays)."""
        if self.flag_reason is None:
            self.flag_reason = reason
            self.journal.update(flag_reason=reason)

    def record_tool(self, run: ToolRun) -> None:
        self.journal.tool(run)

    def set_reservation(self, code: str) -> None:
        self.reservation_id = code
        self.journal.update(reservation_id=code)

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
            "flag_reason": self.flag_reason,
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
