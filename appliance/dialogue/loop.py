"""The turn loop: caller audio in, endpointing, speech-to-text, the agent, Piper, audio out.

Every channel feeds the same loop with audio frames at real time and plays the 20 ms frames
it is given. The loop does not know whether a frame came from Twilio, a browser or the
lobby microphone.

- Transcription starts speculatively on a short pause and is kept if the caller stays quiet
  until the endpoint; if they go on, it is redone on the whole utterance.
- Once that early transcript is in, the reply is prepared while the endpoint silence runs:
  the words understood, the flows run as far as they can without a tool that writes, and
  the first sentence synthesised. A confirmed turn with the same words sends it at once;
  words that go on drop it, having changed nothing.
- The reply is cut into sentences (a short first piece); Piper speaks each on its worker
  thread while the one before plays.
- Caller speech over the reply (long and loud enough not to be echo or a cough) stops the
  playback at once; the assistant turn is stored as what the caller actually heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from appliance.audio.frames import AudioFrame
from appliance.audio.recording import AGENT, CALLER
from appliance.audio.resample import StreamResampler
from appliance.audio.vad import VAD_RATE_HZ, Discarded, Endpoint, Endpointer, Pause, SpeechStarted
from appliance.config import DialogueSettings, VadSettings
from appliance.dialogue.agent import Agent, Prepared
from appliance.dialogue.chunker import chunk_reply, heard_text
from appliance.dialogue.events import (
    AgentHeard,
    AgentSays,
    CallEnded,
    CallerSaid,
    CallEvent,
    ToolUsed,
)
from appliance.engines import Engines
from appliance.errors import ApplianceError
from appliance.logs import CALL_ID
from appliance.privacy import mask_for_display, redact
from appliance.sentences import Catalogue
from appliance.sessions import CallStatus, Session, SessionManager
from appliance.understanding.commands import Command

_LOGGER = logging.getLogger(__name__)

OUT_FRAME_MS = 20
#: How far ahead of real time frames may be handed to the channel (its jitter buffer).
PLAYBACK_LEAD_MS = 60
#: How much reply audio is synthesised ahead of what has been played.
SYNTHESIS_LEAD_MS = 1200
#: A reply starts this long before its first sample this loud (16-bit).
HEAD_KEEP_MS = 10
HEAD_LEVEL = 300
#: Whisper's usual words for noise, breath or silence: not something the caller said.
_NOT_SPEECH = re.compile(
    r"^\W*(you|thank you\.?|thanks for watching!?|bye\.?|\[.*\]|\(.*\)|okay\.?|uh+|um+|hmm+|mm+)?\W*$",
    re.IGNORECASE,
)


_UNFINISHED = re.compile(
    r"\b(and|but|or|so|because|um|uh|er|the|a|an|to|for|with|from|of|my|is|at|in|on)\W*$",
    re.IGNORECASE,
)


def sounds_finished(text: str) -> bool:
    """Whisper ends a finished sentence with a full stop or a question mark; a trailing
    'and', 'um' or 'for' means more is coming."""
    text = text.strip()
    return (
        bool(re.search(r"[.?!]$", text))
        and not _UNFINISHED.search(text.rstrip(".?!"))
        and not _NOT_SPEECH.match(text)
    )


def trim_head(audio: AudioFrame) -> AudioFrame:
    """``audio`` from just before its first sound: the voice's lead-in silence (up to 60 ms of
    Piper's) only delays the first words the caller hears."""
    samples = audio.samples()
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= HEAD_LEVEL)
    if not len(loud):
        return audio
    keep_from = max(0, int(loud[0]) - audio.sample_rate_hz * HEAD_KEEP_MS // 1000)
    return AudioFrame(audio.pcm[2 * keep_from :], audio.sample_rate_hz)


class AudioSink(Protocol):
    """Where the reply goes: the channel's side of the loop."""

    sample_rate_hz: int

    async def play(self, frame: AudioFrame) -> None:
        """Send one frame (20 ms at ``sample_rate_hz``) towards the caller."""
        ...

    async def flush(self) -> None:
        """Drop whatever the channel still buffers (barge-in; Twilio's ``clear``)."""
        ...


@dataclass(frozen=True)
class TurnTimings:
    """Where the time of one turn went, in milliseconds."""

    endpoint_ms: float
    stt_ms: float
    agent_ms: float
    tts_first_audio_ms: float
    voice_to_voice_ms: float
    #: The part of agent_ms that understanding the words took.
    understand_ms: float = 0.0


@dataclass(frozen=True)
class Spoken:
    """What one reply came to: the words the caller heard, whether they cut it off, and where
    it lies on the agent's side of the recording (ms), if it is recorded."""

    heard: str
    interrupted: bool
    recorded_ms: tuple[float, float] | None = None


@dataclass(frozen=True)
class Ready:
    """A reply prepared during the endpoint silence: the agent's part, and the first
    sentence's audio when the whole reply could be worked out."""

    prepared: Prepared
    first_chunk: str | None = None
    first_audio: tuple[AudioFrame, ...] = ()


@dataclass(frozen=True)
class Keyed:
    """A turn from a key of the menu, its commands known without words."""

    digit: str
    commands: tuple[Command, ...]


@dataclass(frozen=True)
class TurnResult:
    transcript: str
    reply: str
    heard: str
    timings: TurnTimings | None
    interrupted: bool
    #: The reply was worked out (and its first words synthesised) before the turn was
    #: confirmed.
    prepared: bool = False


class Conversation:
    """One call's loop. ``feed`` takes caller audio; replies go to ``sink``."""

    def __init__(
        self,
        engines: Engines,
        agent: Agent,
        sessions: SessionManager,
        session: Session,
        sink: AudioSink,
        vad: VadSettings,
        dialogue: DialogueSettings,
        lines: Catalogue,
        on_turn: Callable[[TurnResult], None] | None = None,
        on_event: Callable[[CallEvent], None] | None = None,
    ) -> None:
        self.engines = engines
        self.agent = agent
        self.sessions = sessions
        self.session = session
        self.sink = sink
        self._dialogue = dialogue
        self._lines = lines
        self._vad = vad
        self._endpointer = Endpointer(vad)
        self._to_vad = StreamResampler(VAD_RATE_HZ)
        self._to_sink = StreamResampler(sink.sample_rate_hz)
        self._on_turn = on_turn
        self._on_event = on_event
        self._turns: asyncio.Queue[Endpoint | Keyed] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._speculative: tuple[float, asyncio.Task[str]] | None = None
        #: The reply being prepared for the speculative transcript: (speech end, its words).
        self._preparing: tuple[float, str, asyncio.Task[Ready]] | None = None
        self._speaking: asyncio.Task[Spoken] | None = None
        self._barged_in = asyncio.Event()
        #: Set by the player when the synthesised audio ahead of it runs low.
        self._room = asyncio.Event()
        self._turn_active = False
        #: One voice at a time: a silence prompt and a turn's reply never overlap.
        self._voice = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_activity_ms = 0.0
        self._prompted_silence = False
        self.done = asyncio.Event()
        self.outcome: CallStatus | None = None
        self.results: list[TurnResult] = []

    # --- the channel's side ------------------------------------------------------------

    async def start(self, greet: bool = True) -> None:
        """Start taking turns and, unless told not to, the greeting. Returns at once: the
        channel goes on feeding audio while the greeting plays (the caller may talk over it)."""
        CALL_ID.set(self.session.id)
        self._worker = asyncio.create_task(self._take_turns(), name=f"turns-{self.session.id}")
        if greet:
            self.greet()

    def greet(self) -> None:
        """Play the greeting (a channel that connects later than it starts greets then)."""
        self._background(self._say_unprompted(self.agent.greeting(self._dialogue.greeting)))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def feed(self, frame: AudioFrame) -> None:
        """Caller audio, at real time, in any frame size and sample rate."""
        if self.outcome is not None:
            return
        self.session.record(CALLER, frame)
        for event in self._endpointer.feed(self._to_vad(frame)):
            if isinstance(event, SpeechStarted):
                self._last_activity_ms = event.at_ms
                self._prompted_silence = False
            elif isinstance(event, Pause):
                self._start_speculative(event)
            elif isinstance(event, Endpoint):
                self._last_activity_ms = event.at_ms
                self._turns.put_nowait(event)
            elif isinstance(event, Discarded):
                _LOGGER.debug("ignored %.0f ms of noise", event.duration_ms)
        self._maybe_end_early()
        self._check_barge_in()
        self._check_silence()

    @property
    def idle(self) -> bool:
        """Nothing heard, thought about or said right now: the line is quiet."""
        return (
            self._speaking is None
            and not self._turn_active
            and self._turns.empty()
            and not self._endpointer.speaking
        )

    def keyed(self, digit: str, commands: tuple[Command, ...]) -> None:
        """A turn from a key of the menu: its commands are known without any words."""
        self._turns.put_nowait(Keyed(digit, commands))

    async def say(self, text: str) -> None:
        """Say something the caller did not ask for (an announcement, a time warning)."""
        await self._say_unprompted(text)

    async def close(
        self, status: CallStatus = CallStatus.COMPLETED, error_code: str | None = None
    ) -> None:
        """End the call from the channel's side (hang-up, stream stop, the carrier's word)."""
        await self._finish(status, error_code)

    # --- turns ---------------------------------------------------------------------------

    def _emit(self, event: CallEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _start_speculative(self, pause: Pause) -> None:
        if self._speculative is not None:
            self._speculative[1].cancel()
        self._drop_prepared()
        task = asyncio.create_task(self._transcribe(pause.audio))
        task.add_done_callback(lambda done: self._partial(pause.speech_end_ms, done))
        self._speculative = (pause.speech_end_ms, task)

    def _partial(self, speech_end_ms: float, task: asyncio.Task[str]) -> None:
        """The early transcript, shown as a guess (the turn may go on), under the card rule;
        and the reply to it prepared while the endpoint silence runs."""
        if task.cancelled() or task.exception() is not None or self.outcome is not None:
            return
        text = task.result().strip()
        if not text or _NOT_SPEECH.match(text):
            return
        self._emit(CallerSaid(mask_for_display(self.session.redact_in_context(text)), False))
        if self._speculative is not None and self._speculative[1] is task:
            # Prepared on the state the flows are in now: if a turn still in hand changes it
            # first, the agent drops this one.
            self._preparing = (speech_end_ms, text, asyncio.create_task(self._prepare(text)))

    async def _prepare(self, text: str) -> Ready:
        prepared = await self.agent.prepare(self.session, text)
        if prepared.reply is None or not prepared.reply.text:
            return Ready(prepared)
        first = chunk_reply(prepared.reply.text)[0]
        return Ready(prepared, first, tuple(await self._render(first)))

    def _drop_prepared(self) -> None:
        if self._preparing is not None:
            self._preparing[2].cancel()
            self._preparing = None

    async def _take_prepared(self, speech_end_ms: float, transcript: str) -> Ready | None:
        """The reply prepared for exactly these words of exactly this utterance, if any."""
        preparing, self._preparing = self._preparing, None
        if preparing is None:
            return None
        if abs(preparing[0] - speech_end_ms) >= 1 or preparing[1] != transcript:
            preparing[2].cancel()
            return None
        task = preparing[2]
        try:
            await asyncio.wait({task})
        finally:
            task.cancel()  # a no-op once done; stops it if this turn itself is cancelled
        if task.cancelled():
            return None
        if (err := task.exception()) is not None:
            _LOGGER.error("preparing the reply failed: answering afresh", exc_info=err)
            return None
        return task.result()

    def _maybe_end_early(self) -> None:
        """End the turn before the full endpoint silence when the speculative transcript of
        exactly this utterance is in and reads as a finished sentence."""
        early_ms = self._vad.early_endpoint_ms
        if not early_ms or self._speculative is None or self._endpointer.silence_ms < early_ms:
            return
        speech_end_ms, task = self._speculative
        if (
            abs(speech_end_ms - self._endpointer.speech_end_ms) >= 1
            or not task.done()
            or task.cancelled()
        ):
            return
        if task.exception() is None and sounds_finished(task.result()):
            endpoint = self._endpointer.end_now()
            if endpoint is not None:
                self._last_activity_ms = endpoint.at_ms
                self._turns.put_nowait(endpoint)

    async def _transcribe(self, audio: AudioFrame) -> str:
        return await self.engines.stt.run(lambda model, a: model.transcribe(a, None).text, audio)

    async def _take_turns(self) -> None:
        while True:
            endpoint = await self._turns.get()
            self._turn_active = True
            try:
                await self._turn(endpoint)
            except asyncio.CancelledError:
                raise
            except ApplianceError as err:
                _LOGGER.exception("turn failed: %s", err.message)
                await self._fail(err.code)
                return
            except Exception:
                _LOGGER.exception("turn failed")
                await self._fail("turn-failed")
                return
            finally:
                self._turn_active = False
            if self.done.is_set():
                return

    async def _turn(self, endpoint: Endpoint | Keyed) -> None:
        endpointed = time.perf_counter()
        if isinstance(endpoint, Keyed):
            self._drop_prepared()
            transcript = f"[key {endpoint.digit}]"
        else:
            speculative, self._speculative = self._speculative, None
            if (
                speculative is not None
                and abs(speculative[0] - endpoint.speech_end_ms) < 1
                and not speculative[1].cancelled()
            ):
                transcript = await speculative[1]
            else:
                if speculative is not None:
                    speculative[1].cancel()
                transcript = await self._transcribe(endpoint.audio)
        transcript = transcript.strip()
        transcribed = time.perf_counter()
        # The turn covers the caller's audio up to its endpoint: the recording keeps that
        # audio only once these words have been checked for card numbers.
        heard_until_ms = 0.0 if isinstance(endpoint, Keyed) else endpoint.at_ms
        if not isinstance(endpoint, Keyed) and _NOT_SPEECH.match(transcript):
            _LOGGER.debug("not speech: %r", transcript)
            self.session.caller_audio_checked(heard_until_ms)
            return
        said = self.session.add_message("user", transcript, heard_until_ms=heard_until_ms)
        self._emit(CallerSaid(mask_for_display(said.content), final=True))
        ready = (
            None
            if isinstance(endpoint, Keyed)
            else await self._take_prepared(endpoint.speech_end_ms, transcript)
        )
        tools_before = len(self.session.tools)
        reply = await self.agent.respond(
            self.session, transcript, ready.prepared if ready is not None else None,
            commands=endpoint.commands if isinstance(endpoint, Keyed) else None,
        )
        answered = time.perf_counter()
        for run in self.session.tools[tools_before:]:
            self._emit(ToolUsed(run.name, run.ok))
        self._emit(AgentSays(redact(reply.text)))
        first_audio: list[float] = []
        rendered = {ready.first_chunk: ready.first_audio} if ready and ready.first_chunk else {}
        spoken = await self._speak(reply.text, first_audio, rendered)
        heard, interrupted = spoken.heard, spoken.interrupted
        endpoint_ms = 0.0 if isinstance(endpoint, Keyed) else endpoint.at_ms - endpoint.speech_end_ms
        timings = None
        if first_audio:
            timings = TurnTimings(
                endpoint_ms=endpoint_ms,
                stt_ms=(transcribed - endpointed) * 1000,
                agent_ms=(answered - transcribed) * 1000,
                tts_first_audio_ms=(first_audio[0] - answered) * 1000,
                voice_to_voice_ms=endpoint_ms + (first_audio[0] - endpointed) * 1000,
                understand_ms=reply.understand_ms,
            )
        if heard:
            kept = self.session.add_message(
                "assistant", heard, latency_ms=timings.voice_to_voice_ms if timings else None,
                spoken_ms=spoken.recorded_ms,
            )  # fmt: skip
            self._emit(AgentHeard(kept.content, interrupted))
        if timings is not None:
            for name, value in asdict(timings).items():
                self.session.add_metric(name, value)
        result = TurnResult(transcript, reply.text, heard, timings, interrupted, reply.prepared)
        self.results.append(result)
        if self._on_turn is not None:
            self._on_turn(result)
        if reply.end_call and not interrupted:
            await self._finish(
                CallStatus.TRANSFERRED if reply.outcome == "transferred" else CallStatus.COMPLETED
            )

    async def _say_unprompted(self, text: str) -> None:
        self._emit(AgentSays(redact(text)))
        spoken = await self._speak(text, [])
        if spoken.heard:
            kept = self.session.add_message(
                "assistant", spoken.heard, spoken_ms=spoken.recorded_ms
            )
            self._emit(AgentHeard(kept.content, spoken.interrupted))

    # --- speaking and barge-in -------------------------------------------------------------

    async def _speak(
        self,
        text: str,
        first_audio: list[float],
        rendered: dict[str, tuple[AudioFrame, ...]] | None = None,
    ) -> Spoken:
        """Say ``text``; returns what the caller heard and whether they cut it off.
        ``rendered`` holds sentences already synthesised (the prepared first one)."""
        async with self._voice:
            self._barged_in.clear()
            self._speaking = asyncio.create_task(
                self._play(chunk_reply(text), first_audio, rendered or {})
            )
            try:
                return await self._speaking
            finally:
                self._speaking = None
                if not self._prompted_silence:
                    self._last_activity_ms = self._endpointer.now_ms

    async def _play(
        self,
        chunks: list[str],
        first_audio: list[float],
        rendered: dict[str, tuple[AudioFrame, ...]],
    ) -> Spoken:
        queue: asyncio.Queue[tuple[int, AudioFrame | None]] = asyncio.Queue()
        played_ms = [0.0] * len(chunks)
        total_ms = [0.0] * len(chunks)
        producer = asyncio.create_task(self._synthesize(chunks, queue, total_ms, rendered))
        self._to_sink.reset()
        interrupted = False
        clock = time.perf_counter()
        sent_ms = 0.0
        # Where the reply starts and ends in the recording.
        first_ms: float | None = None
        last_ms = 0.0
        try:
            while True:
                index, frame = await queue.get()
                if queue.qsize() * OUT_FRAME_MS <= SYNTHESIS_LEAD_MS:
                    self._room.set()
                if frame is None:
                    break
                if self._barged_in.is_set():
                    interrupted = True
                    break
                # Pace at real time, a little ahead, so the channel never runs dry nor floods.
                ahead = sent_ms - (time.perf_counter() - clock) * 1000
                if ahead > PLAYBACK_LEAD_MS:
                    await asyncio.sleep((ahead - PLAYBACK_LEAD_MS) / 1000)
                if self._barged_in.is_set():
                    interrupted = True
                    break
                if not first_audio:
                    first_audio.append(time.perf_counter())
                    clock = time.perf_counter()
                await self.sink.play(frame)
                if self.session.recorder is not None:
                    at_ms = self.session.recorder.position_ms(CALLER) + max(0.0, ahead)
                    self.session.record(AGENT, frame, at_ms=at_ms)
                    first_ms = at_ms if first_ms is None else first_ms
                    last_ms = at_ms + frame.duration_ms
                sent_ms += frame.duration_ms
                played_ms[index] += frame.duration_ms
            if not interrupted:
                # Let the last frames handed ahead actually play before the turn is over.
                remaining = sent_ms - (time.perf_counter() - clock) * 1000
                if remaining > 0:
                    await asyncio.sleep(remaining / 1000)
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
        if interrupted:
            await self.sink.flush()
            # What was handed ahead but not yet played was not heard.
            unplayed = max(0.0, sent_ms - (time.perf_counter() - clock) * 1000)
            for index in reversed(range(len(chunks))):
                take = min(unplayed, played_ms[index])
                played_ms[index] -= take
                unplayed -= take
        heard = heard_text(chunks, played_ms, total_ms)
        if interrupted and heard and not heard.endswith("..."):
            heard = heard.rstrip(".!?") + "..."  # cut between two sentences: still cut
        return Spoken(heard, interrupted, None if first_ms is None else (first_ms, last_ms))

    async def _synthesize(
        self,
        chunks: list[str],
        queue: asyncio.Queue[tuple[int, AudioFrame | None]],
        total_ms: list[float],
        rendered: dict[str, tuple[AudioFrame, ...]],
    ) -> None:
        carry = b""
        step = self.sink.sample_rate_hz * OUT_FRAME_MS // 1000 * 2
        for index, chunk in enumerate(chunks):
            # Keep only a little speech ready ahead of the playback: the voice's one worker is
            # shared by every call, and another caller's first words matter more than our
            # third sentence.
            while queue.qsize() * OUT_FRAME_MS > SYNTHESIS_LEAD_MS:
                self._room.clear()
                await self._room.wait()
            # One chunk per hop to the worker: a barge-in stops after the current one. The
            # sentences after the first wait for other callers' first words.
            pieces = (
                list(rendered[chunk])
                if chunk in rendered
                else await self._render(chunk, when_free=index > 0)
            )
            if index == 0 and pieces:
                pieces[0] = trim_head(pieces[0])
            for piece in pieces:
                audio = carry + self._to_sink(piece).pcm
                whole = len(audio) - len(audio) % step
                for offset in range(0, whole, step):
                    frame = AudioFrame(audio[offset : offset + step], self.sink.sample_rate_hz)
                    total_ms[index] += OUT_FRAME_MS
                    queue.put_nowait((index, frame))
                carry = audio[whole:]
        if carry:
            padded = carry + bytes(step - len(carry))
            total_ms[-1] += OUT_FRAME_MS
            queue.put_nowait((len(chunks) - 1, AudioFrame(padded, self.sink.sample_rate_hz)))
        queue.put_nowait((-1, None))

    async def _render(self, text: str, when_free: bool = False) -> list[AudioFrame]:
        """One sentence's audio. Fixed prompts were rendered at start-up and need no hop."""
        ready = self.engines.rendered.get(text)
        if ready is not None:
            return list(ready)
        run = self.engines.tts.run_when_free if when_free else self.engines.tts.run
        return await run(lambda model, t: list(model.synthesize(t)), text)

    def _check_barge_in(self) -> None:
        if self._speaking is None or self._barged_in.is_set():
            return
        if (
            self._endpointer.speaking
            and self._endpointer.voiced_ms >= self._dialogue.barge_in_min_ms
            and self._endpointer.recent_rms >= self._dialogue.barge_in_min_rms
        ):
            _LOGGER.info("caller spoke over the reply: stopping playback")
            self._barged_in.set()

    # --- silence and the end ---------------------------------------------------------------

    def _check_silence(self) -> None:
        if self._speaking is not None and self._prompted_silence:
            return  # "are you still there?" is not an answer: the silence goes on counting
        if (
            self._speaking is not None
            or self._endpointer.speaking
            or not self._turns.empty()
            or self._turn_active
        ):
            self._last_activity_ms = self._endpointer.now_ms
            return
        quiet_s = (self._endpointer.now_ms - self._last_activity_ms) / 1000
        if quiet_s >= self._dialogue.silence_hangup_s:
            self._last_activity_ms = self._endpointer.now_ms
            self._background(self._goodbye_after_silence())
        elif quiet_s >= self._dialogue.silence_prompt_s and not self._prompted_silence:
            self._prompted_silence = True
            self._background(self._say_unprompted(self._lines.say("call.still_there")))

    async def _goodbye_after_silence(self) -> None:
        await self._say_unprompted(self._lines.say("call.silence_goodbye"))
        await self._finish(CallStatus.ABANDONED)

    async def _fail(self, code: str) -> None:
        with contextlib.suppress(Exception):
            await self._say_unprompted(self._lines.say("call.technical_problem"))
        await self._finish(CallStatus.FAILED, code)

    async def _finish(self, status: CallStatus, error_code: str | None = None) -> None:
        if self.outcome is not None:
            return
        self.outcome = status
        current = asyncio.current_task()
        if self._worker is not None and self._worker is not current:
            self._worker.cancel()
        if self._speculative is not None:
            self._speculative[1].cancel()
        self._drop_prepared()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self.agent.forget(self.session)
        try:
            if self.session.active:
                await self.sessions.end_session(self.session.id, status, error_code)
        finally:
            # Set last: whoever waits on it finds the call row already closed.
            self.done.set()
            self._emit(CallEnded(status.value))
