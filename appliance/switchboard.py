"""The switchboard: where every channel opens its calls, and the narrow handle it gets back.

A channel (a phone line, a browser, the lobby kiosk) sees only a ``LiveCall``: it feeds the
caller's audio and keys in, can say something or close the call, and hears what happens as
events. The models, the agent, the store and the tools stay behind the switchboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from appliance.audio.frames import AudioFrame
from appliance.config import DialogueSettings, VadSettings, VoiceSettings
from appliance.dialogue.agent import Agent
from appliance.dialogue.events import CallEvent
from appliance.dialogue.loop import AudioSink, Conversation, TurnResult
from appliance.engines import Engines
from appliance.errors import StoreError
from appliance.sessions import (
    CallControl,
    CallRefused,
    CallStatus,
    Seat,
    Session,
    SessionError,
    SessionManager,
)
from appliance.store import calls
from appliance.store.health import STORAGE_CODES
from appliance.tools.registry import Toolbox

_LOGGER = logging.getLogger(__name__)

#: Keys closer together than this are one run: a number being keyed, not a menu choice.
KEY_RUN_GAP_S = 1.2
TIME_WARNING = "We have about one minute left on this call."
TIME_UP = "I'm sorry, we've reached the time limit for this call. Thank you for calling. Goodbye!"


class LiveCall:
    """One call as its channel sees it: audio and keys in, events out, say, close."""

    def __init__(
        self, conversation: Conversation, toolbox: Toolbox, ivr: dict[str, str], max_call_s: float
    ) -> None:
        self._conversation = conversation
        self._session = conversation.session
        self._toolbox = toolbox
        self._ivr = ivr
        self._max_call_s = max_call_s
        self._listeners: list[Callable[[CallEvent], None]] = []
        self._keys: list[str] = []
        self._key_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiters: set[asyncio.Task[None]] = set()

    @property
    def session_id(self) -> str:
        return self._session.id

    @property
    def channel(self) -> str:
        return self._session.channel

    @property
    def done(self) -> asyncio.Event:
        """Set once the call has ended and its row is closed."""
        return self._conversation.done

    @property
    def outcome(self) -> CallStatus | None:
        return self._conversation.outcome

    @property
    def results(self) -> list[TurnResult]:
        """The turns taken so far, with their timings."""
        return self._conversation.results

    @property
    def caller_spoke(self) -> bool:
        return any(m.role == "user" for m in self._session.messages)

    def listen(self, callback: Callable[[CallEvent], None]) -> Callable[[], None]:
        """Hear the call's events from now on; returns the way to stop."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _dispatch(self, event: CallEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one listener failing must not stop the call or the others
                _LOGGER.exception("a listener of call %s failed on %s", self.session_id, event)

    async def start(self, greet: bool) -> None:
        await self._conversation.start(greet=greet)
        self._background(self._time_limit())
        self.done_callback(self._stop_tasks)

    def done_callback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the call has ended."""

        async def wait() -> None:
            await self.done.wait()
            callback()

        task = asyncio.create_task(wait())
        self._waiters.add(task)
        task.add_done_callback(self._waiters.discard)

    def feed(self, frame: AudioFrame) -> None:
        """Caller audio at real time, any frame size and sample rate."""
        self._conversation.feed(frame)

    def key(self, digit: str) -> None:
        """A key the caller pressed. One key on its own is a menu choice; a run of keys is a
        number being keyed in (a card, a phone number): never stored or logged, and it
        chooses nothing."""
        if self.done.is_set():
            return
        self._keys.append(digit)
        if self._key_timer is not None:
            self._key_timer.cancel()
        self._key_timer = asyncio.get_running_loop().call_later(
            KEY_RUN_GAP_S, lambda: self._background(self._keys_done())
        )

    def greet(self) -> None:
        """Play the greeting now (for a channel whose audio path came up after it opened)."""
        self._conversation.greet()

    def measure(self, name: str, value: float) -> None:
        """Store a measurement the channel made of this call (connection quality)."""
        if self._session.active:
            self._session.add_metric(name, value)

    async def say(self, text: str) -> None:
        """Say something the caller did not ask for (an announcement)."""
        await self._conversation.say(text)

    def respond_to(self, text: str) -> None:
        """A turn from text: what the channel knows the caller wants without speech."""
        self._conversation.respond_to(text)

    async def close(self, status: CallStatus | None = None, error_code: str | None = None) -> None:
        """End the call. Without a status: completed if the caller said anything, else abandoned."""
        if status is None:
            status = CallStatus.COMPLETED if self.caller_spoke else CallStatus.ABANDONED
        self._stop_tasks()
        await self._conversation.close(status, error_code)

    # --- inside ----------------------------------------------------------------------------

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop_tasks(self) -> None:
        if self._key_timer is not None:
            self._key_timer.cancel()
        self._keys.clear()  # keys pressed as the call ended may be card digits: not kept
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def _keys_done(self) -> None:
        keys, self._keys = self._keys, []
        if len(keys) > 1:
            _LOGGER.info("ignored %d keys pressed as a number", len(keys))
            return
        if not keys or keys[0] not in self._ivr or self.done.is_set():
            return
        result = await self._toolbox.execute(
            "handle_ivr_menu", session_id=self.session_id, digit=keys[0]
        )
        if result.get("intent") == "transfer" and result.get("ok"):
            await self.say(str(result["say"]))
            await self.close(CallStatus.TRANSFERRED)
        elif result.get("intent") == "reservations":
            self.respond_to("I'd like to book a room")
        elif result.get("intent"):
            self.respond_to(str(result["intent"]).replace("_", " "))
        elif result.get("say"):
            await self.say(str(result["say"]))

    async def _time_limit(self) -> None:
        await asyncio.sleep(max(0.0, self._max_call_s - 60))
        await self.say(TIME_WARNING)
        await asyncio.sleep(min(60.0, self._max_call_s))
        await self.say(TIME_UP)
        await self.close(CallStatus.COMPLETED)


@dataclass
class Switchboard:
    """Opens calls for the channels: a seat, a session, its turn loop, and the handle. The
    channels reach the rest of the appliance through nothing else."""

    engines: Engines
    agent: Agent
    sessions: SessionManager
    toolbox: Toolbox
    vad: VadSettings
    dialogue: DialogueSettings
    voice: VoiceSettings
    _live: set[LiveCall] = field(default_factory=set, repr=False)

    @property
    def taking_calls(self) -> bool:
        return self.sessions.admission.accepting

    @property
    def closed_reason(self) -> str:
        """Why calls are not taken, when they are not (starting, stopping)."""
        return self.sessions.admission.not_accepting_reason

    @property
    def hotel_name(self) -> str:
        return self.toolbox.context.hotel.name

    def admit(self, channel: str) -> Seat:
        """A place for a new call on ``channel`` (``CallRefused`` when its lines are full, the
        appliance is not taking calls, or the disk cannot keep the call); give it to ``open``
        or ``register``."""
        if (problem := self.sessions.store.health.problem()) is not None:
            raise CallRefused(problem.code, problem.message)
        return self.sessions.admission.take(channel)

    async def register(
        self,
        channel: str,
        seat: Seat,
        *,
        caller_id: str | None = None,
        direction: str = "inbound",
        session_id: str | None = None,
    ) -> Session:
        """A call known before its audio comes (a phone call at its webhook): its row is
        written now, and ``attach`` gives it its loop once the audio path is up. When storage
        fails on the way (a full disk), StoreError, and the row, if written, is closed."""
        session_id = session_id or f"VS{uuid.uuid4().hex}"
        try:
            return await self.sessions.create_session(
                channel=channel, caller_id=caller_id, direction=direction, session_id=session_id,
                language=self.voice.default_language, origin="line", seat=seat,
            )  # fmt: skip
        except StoreError as err:
            store = self.sessions.store
            if err.code in STORAGE_CODES:
                store.health.record(err)
            with contextlib.suppress(StoreError):  # the disk may take this small update, or not
                await store.write(
                    calls.finish_call, session_id, str(CallStatus.FAILED), datetime.now(UTC), err.code
                )
            raise

    def find(self, session_id: str) -> Session | None:
        return self.sessions.find(session_id)

    async def end(
        self, session_id: str, status: CallStatus, error_code: str | None = None
    ) -> None:
        """End a registered call that never got its loop (the caller hung up first)."""
        await self.sessions.end_session(session_id, status, error_code)

    async def open(
        self,
        channel: str,
        sink: AudioSink,
        *,
        seat: Seat | None = None,
        caller_id: str | None = None,
        control: CallControl | None = None,
        greet: bool = True,
    ) -> LiveCall:
        """A new call on ``channel``, in the seat the channel took (or one taken now)."""
        session = await self.sessions.create_session(
            channel=channel, caller_id=caller_id, control=control, origin="line", seat=seat,
            language=self.voice.default_language,
        )  # fmt: skip
        return await self.attach(session, sink, greet=greet)

    async def attach(
        self,
        session: Session,
        sink: AudioSink,
        greet: bool = True,
        control: CallControl | None = None,
    ) -> LiveCall:
        """The handle for a registered session, now that its audio path is up."""
        if control is not None:
            session.control = control
        holder: list[LiveCall] = []
        conversation = Conversation(
            self.engines, self.agent, self.sessions, session, sink, self.vad, self.dialogue,
            on_event=lambda event: holder[0]._dispatch(event) if holder else None,
        )  # fmt: skip
        call = LiveCall(
            conversation,
            self.toolbox,
            self.toolbox.context.hotel.ivr,
            self.voice.max_call_duration_minutes * 60.0,
        )
        holder.append(call)
        self._live.add(call)
        await call.start(greet)
        call.done_callback(lambda: self._live.discard(call))
        return call

    async def close_all(self, status: CallStatus, error_code: str | None = None) -> int:
        """End every live call (shutdown); returns how many there were."""
        calls = [c for c in self._live if not c.done.is_set()]
        for call in calls:
            with contextlib.suppress(SessionError):
                await call.close(status, error_code)
        return len(calls)
