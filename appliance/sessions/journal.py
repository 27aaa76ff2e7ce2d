"""The call journal: everything that happens in one call, in order, through one consumer.

The loop, the flows' front desk, the channels and the API tell the journal what happened
(the caller said this, the agent is saying that, a tool ran, a measurement, a flag, the
end). The journal applies the card rule once for every route: the caller's turns (earlier
ones revised when a later one shows they held part of a card), the agent's words (only what
repeats the caller's card data goes; the hotel's prices and codes stay), tool arguments and
results, log lines, what screens are shown, and both sides of the recording. Then it keeps
the words in the session, queues the rows for the database, and hands what may be shown to
the call's listeners. Background work of a call is started here too, so that its failure is
an event with a traceback, not a task that vanished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from appliance.audio.recording import AGENT, CALLER, CallRecorder
from appliance.privacy import Asked, CardRule, held, mask_for_display
from appliance.sessions.events import AgentHeard, AgentSays, CallerSaid, CallEvent, ToolUsed
from appliance.sessions.records import Message, ToolRun
from appliance.store import calls
from appliance.store.database import Store

_LOGGER = logging.getLogger(__name__)



class Record(Protocol):
    """The call the journal keeps: its session, as the journal sees it."""

    id: str
    store: Store
    recorder: CallRecorder | None
    messages: list[Message]
    tools: list[ToolRun]
    metrics: dict[str, float]

    @property
    def active(self) -> bool: ...


Listener = Callable[[CallEvent], None]
#: Told each caller turn as kept (the mood is scored from it): the call, the words, and when.
TurnWatcher = Callable[[Any, str, datetime], None]
#: Metric name under which a call counts its background failures.
BACKGROUND_FAILURES = "background_failures"


class CallJournal:
    """One call's record, written from one place."""

    def __init__(self, session: Record) -> None:
        self._session = session
        self._rule = CardRule()
        #: For each caller turn, in the order heard: its message and its audio on the recording.
        self._turns: list[tuple[int, tuple[float, float] | None]] = []
        self._listeners: list[Listener] = []
        self._watchers: list[TurnWatcher] = []
        self._tasks: dict[asyncio.Task[Any], bool] = {}

    # --- who hears what ------------------------------------------------------------------

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Hear the call's events (already held to the card rule); returns the way to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def watch_turns(self, watcher: TurnWatcher) -> None:
        self._watchers.append(watcher)

    def show(self, event: CallEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one listener failing must not stop the call or the others
                _LOGGER.exception("a listener of call %s failed on %s", self._session.id, event)

    # --- the caller ----------------------------------------------------------------------

    def caller_partial(self, said: str) -> None:
        """An early guess at the caller's words (the turn may go on): shown, never kept."""
        self.show(CallerSaid(mask_for_display(self._rule.argument(said)), final=False))

    def caller_turn(
        self, said: str, until_ms: float | None = None, asked_for: Asked | None = None
    ) -> Message:
        """The caller's turn, kept as the rule allows. It covers their audio from the end of
        the previous turn up to ``until_ms`` (all of it so far by default; 0 for a turn with
        no audio, a key pressed)."""
        session, recorder = self._session, self._session.recorder
        audio = None
        if recorder is not None:
            start = recorder.checked_ms
            end = recorder.position_ms(CALLER) if until_ms is None else until_ms
            audio = (start, max(start, end))
        self._append("user", said)
        self._turns.append((len(session.messages) - 1, audio))
        for revision in self._rule.hear(said, asked_for):
            index, turn_audio = self._turns[revision.index]
            if revision.card and turn_audio is not None and recorder is not None:
                recorder.blank(CALLER, *turn_audio)
                _LOGGER.info("caller gave card digits; that turn is silenced in the recording")
            before = session.messages[index]
            session.messages[index] = replace(before, content=revision.kept)
            if index != len(session.messages) - 1:  # an earlier turn held part of a card
                session.store.submit(
                    calls.update_turn_content, session.id, before.turn_number, revision.kept,
                    what=f"turn {before.turn_number} of {session.id}",
                )  # fmt: skip
        if self._rule.card_context and audio is not None and recorder is not None:
            # From the moment the talk turns to paying or a card until it turns away, the
            # caller's side is silent, whatever the speech-to-text made of the digits.
            recorder.blank(CALLER, *audio)
        if audio is not None and recorder is not None:
            recorder.checked(audio[1])
        kept = self._store_turn(session.messages[-1])
        self.show(CallerSaid(mask_for_display(kept.content), final=True))
        if kept.content.strip():
            for watcher in self._watchers:
                watcher(session, kept.content, kept.timestamp)
        return kept

    def caller_noise(self, until_ms: float) -> None:
        """The caller's audio up to ``until_ms`` held no words (noise): nothing to keep out."""
        if self._session.recorder is not None:
            self._session.recorder.checked(until_ms)

    @property
    def card_context(self) -> bool:
        """The caller is on card data or paying now, by the card rule over their turns."""
        return self._rule.card_context

    # --- the agent -----------------------------------------------------------------------

    def agent_says(self, text: str) -> None:
        """A reply is starting to play."""
        self.show(AgentSays(self._rule.agent(text)))

    def agent_heard(
        self,
        text: str,
        interrupted: bool = False,
        latency_ms: float | None = None,
        spoken_ms: tuple[float, float] | None = None,
    ) -> Message:
        """What of a reply the caller heard (``spoken_ms``: where it lies on the recording)."""
        kept = self._rule.agent(text)
        recorder = self._session.recorder
        if kept != text and spoken_ms is not None and recorder is not None:
            recorder.blank(AGENT, *spoken_ms)
            _LOGGER.info("the agent repeated the caller's card data; silenced in the recording")
        message = self._store_turn(self._append("assistant", kept, latency_ms))
        self.show(AgentHeard(message.content, interrupted))
        return message

    def message(
        self, role: str, content: str, latency_ms: float | None = None, audio_url: str | None = None
    ) -> Message:
        """A turn given whole (the HTTP API, `appliance chat`)."""
        if role == "user":
            return self.caller_turn(content, until_ms=0.0)
        kept = self._rule.agent(content)
        return self._store_turn(self._append(role, kept, latency_ms, audio_url))

    def _append(
        self, role: str, content: str, latency_ms: float | None = None, audio_url: str | None = None
    ) -> Message:
        session = self._session
        message = Message(
            turn_number=len(session.messages) + 1, role=role, content=content,
            timestamp=datetime.now(UTC), latency_ms=latency_ms, audio_url=audio_url,
        )  # fmt: skip
        session.messages.append(message)
        return message

    def _store_turn(self, message: Message) -> Message:
        session = self._session
        message = session.messages[message.turn_number - 1]
        session.store.submit(
            calls.insert_turn,
            session.id, message.turn_number, message.role, message.content,
            message.timestamp, message.latency_ms, message.audio_url,
            what=f"turn {message.turn_number} of {session.id}",
        )  # fmt: skip
        return message

    # --- what else happens -----------------------------------------------------------------

    def argument(self, text: str) -> str:
        """A value taken from the caller (a tool's argument, a note) as it may be kept."""
        return self._rule.argument(text)

    def tool(self, run: ToolRun) -> ToolRun:
        """A tool ran for this call: its arguments and result held to the rule, logged, kept."""
        kept = replace(
            run,
            arguments=held(run.arguments, self._rule.argument),
            result=held(run.result, self._rule.agent),
        )
        _LOGGER.info(
            "tool %s %s in %.0f ms", kept.name,
            "ok" if kept.ok else f"failed ({kept.result.get('error')})", kept.duration_ms,
            extra={"tool": kept.name, "arguments": kept.arguments, "session_id": self._session.id},
        )  # fmt: skip
        self._session.tools.append(kept)
        self._session.store.submit(
            calls.insert_tool_run,
            self._session.id, kept.name, kept.arguments, kept.result, kept.ok,
            kept.duration_ms, kept.timestamp, what=f"tool run {kept.name}",
        )  # fmt: skip
        self.show(ToolUsed(kept.name, kept.ok))
        return kept

    def measure(self, name: str, value: float) -> datetime:
        """One measurement of the call (voice_analytics); returns its time."""
        session, at = self._session, datetime.now(UTC)
        session.metrics[name] = value
        session.store.submit(
            calls.insert_metric, session.id, name, float(value), at, what=f"metric {name}"
        )
        return at

    def revise(self, name: str, at: datetime, value: float) -> None:
        """A measurement replaced by a better one (the model's judgment of a mood)."""
        session = self._session
        session.store.submit(
            calls.revise_metric, session.id, name, at, value, what=f"revised {name} of {session.id}"
        )

    def update(self, **columns: Any) -> None:
        """Columns of the call's row: flag_reason, reservation_id, recording_url."""
        self._session.store.submit(
            calls.update_call, self._session.id, columns, what=f"call {', '.join(columns)}"
        )

    # --- background work -----------------------------------------------------------------

    def spawn(
        self, work: Coroutine[Any, Any, Any], what: str, settle: bool = False
    ) -> asyncio.Task[Any]:
        """Run ``work`` beside the call. Its failure is logged with the traceback and counted
        on the call; ``settle``: the end of the call waits a little for it (``settle``)."""
        task = asyncio.get_running_loop().create_task(work, name=f"{what} {self._session.id}")
        self._tasks[task] = settle
        task.add_done_callback(lambda done: self._finished(done, what))
        return task

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.pop(task, None)
        if task.cancelled() or (err := task.exception()) is None:
            return
        _LOGGER.error(
            "%s of call %s failed", what, self._session.id, exc_info=err,
            extra={"session_id": self._session.id},
        )  # fmt: skip
        if self._session.active:
            failures = self._session.metrics.get(BACKGROUND_FAILURES, 0.0) + 1
            self.measure(BACKGROUND_FAILURES, failures)

    async def settle(self, timeout_s: float) -> None:
        """Wait a little for the work the end of the call waits on; what is not done by then
        is cancelled."""
        waiting = [task for task, settle in self._tasks.items() if settle]
        if not waiting:
            return
        _, late = await asyncio.wait(waiting, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            _LOGGER.info("%d task(s) of call %s not done by its end", len(late), self._session.id)

    def stop(self) -> None:
        """The call is over: its remaining background work is cancelled."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
