"""One call as a session: its whole conversation, written to the store as it happens."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from appliance.analytics.sentiment import TURN_METRIC, MoodJudge, SentimentScorer
from appliance.audio.frames import AudioFrame
from appliance.audio.recording import AGENT, CALLER, CallRecorder
from appliance.errors import SessionError
from appliance.privacy import Span, apply, card_spans, redact
from appliance.sessions.admission import Seat
from appliance.sessions.control import CallControl
from appliance.store import calls
from appliance.store.database import Store

_LOGGER = logging.getLogger(__name__)

#: "cli" is IT staff trying the agent with `appliance talk` and `appliance chat`.
CHANNELS = ("phone", "webrtc", "kiosk", "sip", "cli")
ROLES = ("user", "assistant", "system", "tool")
#: Who drives a session: "line", a call admitted on one of the hotel's lines (phone, browser,
#: kiosk); "api", a client of the HTTP API (it ends when left idle); "local", the loop on this box.
Origin = Literal["line", "api", "local"]
#: How long the end of a call waits for mood judgments still being made.
JUDGE_WAIT_S = 3.0


class CallStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Message:
    turn_number: int
    role: str
    content: str
    timestamp: datetime
    latency_ms: float | None = None
    audio_url: str | None = None


@dataclass
class _Heard:
    """One caller turn as said, kept in memory only: the rule looks across consecutive turns."""

    message_index: int
    said: str
    #: Where the turn lies on the caller's side of the recording (ms), if it is recorded.
    audio: tuple[float, float] | None
    removed: list[Span] = field(default_factory=list)


#: How many of the caller's latest turns the card rule looks across.
HEARD_TURNS = 8


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
    origin: Origin = "local"
    #: The call's place on its line (given back when it ends); None for API and local calls.
    seat: Seat | None = field(default=None, repr=False)
    #: Scores each caller turn (voice_analytics caller_sentiment); None scores nothing.
    sentiment: SentimentScorer | None = field(default=None, repr=False)
    #: The language model's judgment, which replaces each first score when it comes.
    judge: MoodJudge | None = field(default=None, repr=False)
    #: The judgments so far, by the caller's words as kept.
    judged: dict[str, float] = field(default_factory=dict, repr=False)
    _judging: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    #: Why the call was flagged for a person to look at, if it was.
    flag_reason: str | None = None
    #: When the session last had a turn (monotonic seconds): idle API sessions expire.
    last_active: float = field(default_factory=time.monotonic, repr=False)
    _started_monotonic: float = field(default_factory=time.monotonic, repr=False)
    _heard: list[_Heard] = field(default_factory=list, repr=False)

    @property
    def active(self) -> bool:
        return self.status is CallStatus.ACTIVE

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
        ``heard_until_ms`` on the recording's clock (by default, all the audio so far; 0 for a
        turn with no audio of its own, a key press the channel translated); if the rule
        removes anything from its words, that audio is silenced. The agent's words are held to
        the same rule: if it changes them, their audio (``spoken_ms``) is silenced too."""
        if role not in ROLES:
            raise SessionError(
                "bad-role", f"unknown message role {role!r}; use one of {', '.join(ROLES)}"
            )
        if not self.active:
            raise SessionError("session-ended", f"session {self.id} has ended ({self.status})")
        if role == "user":
            kept = self._caller_turn(content, heard_until_ms)
        else:
            kept = redact(content)
            if kept != content and spoken_ms is not None and self.recorder is not None:
                self.recorder.blank(AGENT, *spoken_ms)
                _LOGGER.info(
                    "the agent read out digits the rule removes; silenced in the recording"
                )
        message = Message(
            turn_number=len(self.messages) + 1,
            role=role,
            content=kept,
            timestamp=datetime.now(UTC),
            latency_ms=latency_ms,
            audio_url=audio_url,
        )
        self.messages.append(message)
        self.last_active = time.monotonic()
        if role == "user" and self.sentiment is not None and kept.strip():
            # The words as kept: a removed card number is no part of the mood.
            scored_at = self.add_metric(TURN_METRIC, self.sentiment.score(kept))
            if self.judge is not None:
                task = asyncio.get_running_loop().create_task(self._judge(kept, scored_at))
                self._judging.add(task)
                task.add_done_callback(self._judging.discard)
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

    def caller_audio_checked(self, until_ms: float) -> None:
        """The caller's audio up to ``until_ms`` held no words to keep out (noise)."""
        if self.recorder is not None:
            self.recorder.checked(until_ms)

    def redact_in_context(self, text: str) -> str:
        """``text`` (a tool's argument) as if the caller had said it after their latest turns."""
        window = [h.said for h in self._heard]
        return apply(text, card_spans([*window, text])[-1])

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self._started_monotonic) * 1000

    def _caller_turn(self, said: str, until_ms: float | None) -> str:
        """The caller's words as kept, by the one rule over their latest turns; the audio of
        every turn the rule changes is silenced."""
        audio = None
        if self.recorder is not None:
            start = self.recorder.checked_ms
            end = self.recorder.position_ms(CALLER) if until_ms is None else until_ms
            audio = (start, max(start, end))
        heard = _Heard(len(self.messages), said, audio)
        self._heard = [*self._heard[-(HEARD_TURNS - 1) :], heard]
        for turn, spans in zip(self._heard, card_spans([h.said for h in self._heard]), strict=True):
            grown = [s for s in spans if s not in turn.removed]
            if not grown:
                continue
            turn.removed += grown
            if turn.audio is not None and self.recorder is not None:
                self.recorder.blank(CALLER, *turn.audio)
                _LOGGER.info("caller gave card digits; that turn is silenced in the recording")
            if turn is not heard:  # an earlier turn turned out to hold part of a card
                earlier = self.messages[turn.message_index]
                content = apply(turn.said, turn.removed)
                self.messages[turn.message_index] = replace(earlier, content=content)
                self.store.submit(
                    calls.update_turn_content, self.id, earlier.turn_number, content,
                    what=f"turn {earlier.turn_number} of {self.id}",
                )  # fmt: skip
        if audio is not None and self.recorder is not None:
            self.recorder.checked(audio[1])
        return apply(said, heard.removed)

    async def flush(self) -> None:
        """Wait until everything queued for this call is in the file."""
        await self.store.drain()

    def add_metric(self, name: str, value: float) -> datetime:
        """Record one measurement of this call (voice_analytics); returns its time."""
        self.metrics[name] = value
        at = datetime.now(UTC)
        self.store.submit(
            calls.insert_metric, self.id, name, float(value), at, what=f"metric {name}"
        )
        return at

    async def _judge(self, said: str, scored_at: datetime) -> None:
        """The model's judgment of one caller turn, in place of its first score."""
        assert self.judge is not None
        score = await self.judge.judge(said)
        if score is None:
            return  # the first score stands
        self.judged[said] = score
        self.store.submit(
            calls.revise_metric, self.id, TURN_METRIC, scored_at, score,
            what=f"judged mood of {self.id}",
        )  # fmt: skip

    async def settle(self, timeout_s: float = JUDGE_WAIT_S) -> None:
        """Wait a little for the judgments still being made; those not in by then keep
        their first score."""
        if not self._judging:
            return
        _, late = await asyncio.wait(set(self._judging), timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            _LOGGER.info("%d mood judgment(s) not in by the end of the call", len(late))

    def flag(self, reason: str) -> None:
        """Mark the call for a person to look at (the first reason stays)."""
        if self.flag_reason is not None:
            return
        self.flag_reason = reason
        self.store.submit(calls.update_call, self.id, {"flag_reason": reason}, what="call flag")

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
