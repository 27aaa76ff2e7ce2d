"""The switchboard: where every channel opens its calls, and the narrow handle it gets back.

A channel (a phone line, a browser, the lobby kiosk) sees only a ``LiveCall``: it feeds the
caller's audio and keys in, can say something or close the call, and hears what happens as
events. The models, the agent, the store and the tools stay behind the switchboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from appliance.audio.frames import AudioFrame
from appliance.clock import SYSTEM_CLOCK, Clock
from appliance.config import DialogueSettings, VadSettings, VoiceSettings
from appliance.dialogue.agent import Agent
from appliance.dialogue.loop import AudioSink, Conversation, TurnResult
from appliance.engines import Engines
from appliance.errors import ToolError
from appliance.hotel.model import DEPARTMENTS, Hotel
from appliance.hotel.phones import normalize_phone
from appliance.sentences import Catalogue
from appliance.sessions import (
    CallControl,
    CallRefused,
    CallStatus,
    Seat,
    Session,
    SessionError,
    SessionManager,
    ToolRun,
)
from appliance.sessions.events import CallEvent
from appliance.understanding import commands as c

_LOGGER = logging.getLogger(__name__)

#: Keys closer together than this are one run: a number being keyed, not a menu choice.
KEY_RUN_GAP_S = 1.2


class LiveCall:
    """One call as its channel sees it: audio and keys in, events out, say, close."""

    def __init__(
        self,
        conversation: Conversation,
        ivr: dict[str, str],
        max_call_s: float,
        lines: Catalogue,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._conversation = conversation
        self._session = conversation.session
        self._journal = conversation.session.journal
        self._ivr = ivr
        self._max_call_s = max_call_s
        self._lines = lines
        self._clock = clock
        self._keys: list[str] = []
        self._key_wait: asyncio.Task[None] | None = None
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
    def idle(self) -> bool:
        return self._conversation.idle

    @property
    def thinking(self) -> bool:
        return self._conversation.thinking

    @property
    def caller_spoke(self) -> bool:
        return any(m.role == "user" for m in self._session.messages)

    def listen(self, callback: Callable[[CallEvent], None]) -> Callable[[], None]:
        """Hear the call's events from now on (already held to the card rule); returns the
        way to stop."""
        return self._journal.listen(callback)

    async def start(self, greet: bool) -> None:
        await self._conversation.start(greet=greet)
        self._journal.spawn(self._time_limit(), "time limit")
        self.done_callback(self._forget_keys)

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
        """A key the caller pressed. When the agent has asked for a number the keypad can
        give (guests, nights, a phone number), the keys are that answer, ended by a pause or
        #. Otherwise one key on its own is a menu choice, and a run of keys (a card, say) is
        never stored or logged and chooses nothing."""
        if self.done.is_set():
            return
        if self._key_wait is not None:
            self._key_wait.cancel()
        if digit == "#":
            self._key_wait = self._journal.spawn(self._keys_done(), "keys")
            return
        self._keys.append(digit)
        self._key_wait = self._journal.spawn(self._keys_after_gap(), "keys")

    async def _keys_after_gap(self) -> None:
        await self._clock.sleep(KEY_RUN_GAP_S)
        await self._keys_done()

    def greet(self) -> None:
        """Play the greeting now (for a channel whose audio path came up after it opened)."""
        self._conversation.greet()

    def measure(self, name: str, value: float) -> None:
        """Store a measurement the channel made of this call (connection quality)."""
        if self._session.active:
            self._journal.measure(name, value)

    async def say(self, text: str) -> None:
        """Say something the caller did not ask for (an announcement)."""
        await self._conversation.say(text)

    async def close(self, status: CallStatus | None = None, error_code: str | None = None) -> None:
        """End the call. Without a status: completed if the caller said anything, else abandoned."""
        if status is None:
            status = CallStatus.COMPLETED if self.caller_spoke else CallStatus.ABANDONED
        self._forget_keys()
        await self._conversation.close(status, error_code)

    def _forget_keys(self) -> None:
        self._keys.clear()  # keys pressed as the call ended may be card digits: not kept

    async def _keys_done(self) -> None:
        keys, self._keys = self._keys, []
        if not keys or self.done.is_set():
            return
        slot = self._conversation.agent.keypad_slot(self._session)
        if slot is not None:
            answer = keyed_answer(slot, keys, self._conversation.agent.today())
            if answer is not None:
                self._conversation.keyed(f"[keyed the {slot.replace('_', ' ')}]", (answer,))
                return
        if len(keys) > 1:
            _LOGGER.info("ignored %d keys pressed as a number", len(keys))
            return
        digit = keys[0]
        choice = self._ivr.get(digit)
        commands = menu_commands(digit, choice)
        self._session.record_tool(ToolRun(
            "handle_ivr_menu", {"session_id": self.session_id, "digit": digit},
            {"ok": commands is not None, "intent": choice}, commands is not None, 0.0, datetime.now(UTC),
        ))  # fmt: skip
        if commands is None:
            options = self._lines.listing(
                [self._lines.say("call.key_option", key=d, choice=t.replace("_", " "))
                 for d, t in sorted(self._ivr.items())], "or",
            )  # fmt: skip
            await self.say(self._lines.say("call.key_not_an_option", key=digit, options=options[0].upper() + options[1:]))
            return
        self._conversation.keyed(f"[key {digit}]", commands)

    async def _time_limit(self) -> None:
        await self._clock.sleep(max(0.0, self._max_call_s - 60))
        await self.say(self._lines.say("call.time_warning"))
        await self._clock.sleep(min(60.0, self._max_call_s))
        await self.say(self._lines.say("call.time_up"))
        await self.close(CallStatus.COMPLETED)


def keyed_answer(slot: str, keys: list[str], today: date) -> c.SetSlots | None:
    """Keys as the answer to the question asked: a count of guests or nights (one or two
    digits), a date of arrival (month then day, four digits: the next such date), or a phone
    number. None when they are no such answer (a card, say)."""
    digits = "".join(k for k in keys if k.isdigit())
    if slot in ("guests", "nights") and 1 <= len(digits) <= 2 and int(digits) > 0:
        return c.SetSlots(**{slot: int(digits)})  # type: ignore[arg-type]
    if slot == "check_in" and len(digits) == 4:
        for year in (today.year, today.year + 1):
            try:
                day = date(year, int(digits[:2]), int(digits[2:]))
            except ValueError:
                return None
            if day >= today:
                return c.SetSlots(check_in=day)
        return None
    if slot == "phone" and len(digits) in (10, 11):
        try:
            return c.SetSlots(phone=normalize_phone(digits))
        except ToolError:
            return None
    return None


def menu_commands(digit: str, choice: str | None) -> tuple[c.Command, ...] | None:
    """What a key of the hotel's menu asks for: a department is a handoff, "reservations" a
    booking, anything else a question about that part of the hotel. None: no such option."""
    if choice is None:
        return None
    if choice in DEPARTMENTS:
        return (c.Handoff(choice, f"menu option {digit}"),)
    if choice == "reservations":
        return (c.StartBooking(),)
    return (c.AskFact(choice),)


@dataclass
class Switchboard:
    """Opens calls for the channels: a seat, a session, its turn loop, and the handle. The
    channels reach the rest of the appliance through nothing else."""

    engines: Engines
    agent: Agent
    sessions: SessionManager
    hotel: Hotel
    vad: VadSettings
    dialogue: DialogueSettings
    voice: VoiceSettings
    lines: Catalogue
    #: Real time on every line; a test may move one by hand.
    clock: Clock = SYSTEM_CLOCK
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
        return self.hotel.name

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
        fails on the way (a full disk), StoreError."""
        return await self.sessions.create_session(
            channel=channel, caller_id=caller_id, direction=direction, session_id=session_id,
            language=self.voice.default_language, origin="line", seat=seat,
        )  # fmt: skip

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
        conversation = Conversation(
            self.engines, self.agent, self.sessions, session, sink, self.vad, self.dialogue,
            self.lines, clock=self.clock,
        )  # fmt: skip
        call = LiveCall(
            conversation, self.hotel.ivr, self.voice.max_call_duration_minutes * 60.0,
            self.lines, self.clock,
        )  # fmt: skip
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
