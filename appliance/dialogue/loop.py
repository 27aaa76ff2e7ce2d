"""The turn loop: caller audio in, endpointing, speech-to-text, the agent, the voice out.

Every channel feeds the same loop with audio frames at real time and plays the 20 ms frames
it is given. The loop does not know whether a frame came from Twilio, a browser or the
lobby microphone. Everything it hears and says goes to the call's journal.

- Transcription starts speculatively on a short pause and is kept if the caller stays quiet
  until the endpoint; if they go on, it is redone on the whole utterance.
- Once that early transcript is in, the reply is prepared while the endpoint silence runs:
  the words understood, the flows run as far as they can without an effect, and the first
  sentence synthesised. A confirmed turn with the same words sends it at once; words that go
  on drop it, having changed nothing.
- Caller speech over the reply (long and loud enough not to be echo or a cough) stops the
  playback at once; the assistant turn is stored as what the caller actually heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any

from appliance.audio.frames import AudioFrame
from appliance.audio.recording import CALLER
from appliance.audio.resample import StreamResampler
from appliance.audio.vad import VAD_RATE_HZ, Discarded, Endpoint, Endpointer, Pause, SpeechStarted
from appliance.clock import SYSTEM_CLOCK, Clock
from appliance.config import DialogueSettings, VadSettings
from appliance.dialogue.agent import Agent, Prepared
from appliance.dialogue.chunker import chunk_reply
from appliance.dialogue.speaker import AudioSink, Rendered, Speaker, Spoken
from appliance.engines import Engines
from appliance.errors import ApplianceError
from appliance.logs import CALL_ID
from appliance.sentences import Catalogue
from appliance.sessions import CallStatus, Session, SessionManager
from appliance.sessions.events import CallEnded
from appliance.stt.base import Transcript
from appliance.understanding.commands import Command

__all__ = ["AudioSink", "Conversation", "Keyed", "TurnResult", "TurnTimings", "sounds_finished"]

_LOGGER = logging.getLogger(__name__)

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
class Ready:
    """A reply prepared during the endpoint silence: the agent's part, and the first
    sentence's audio when the whole reply could be worked out."""

    prepared: Prepared
    first_chunk: str | None = None
    first_audio: tuple[AudioFrame, ...] = ()


@dataclass(frozen=True)
class Keyed:
    """A turn from keys (a menu choice, a number typed), its commands known without words;
    ``label`` is what the transcript keeps of it."""

    label: str
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
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.engines = engines
        self.agent = agent
        self.sessions = sessions
        self.session = session
        self.journal = session.journal
        self._dialogue = dialogue
        self._lines = lines
        self._vad = vad
        self._clock = clock
        self._endpointer = Endpointer(vad)
        self._to_vad = StreamResampler(VAD_RATE_HZ)
        self._speaker = Speaker(engines, sink, session, clock)
        self._on_turn = on_turn
        self._turns: asyncio.Queue[Endpoint | Keyed] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._speculative: tuple[float, asyncio.Task[Transcript]] | None = None
        #: The reply being prepared for the speculative transcript: (speech end, its words).
        self._preparing: tuple[float, str, asyncio.Task[Ready]] | None = None
        self._turn_active = False
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
        self._background(self._say_unprompted(self.agent.greeting(self._dialogue.greeting)), "greeting")

    def _background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        self.journal.spawn(work, what)

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
            not self._speaker.speaking
            and not self._turn_active
            and self._turns.empty()
            and not self._endpointer.speaking
        )

    @property
    def thinking(self) -> bool:
        """A turn is being worked out and nothing of its reply plays yet."""
        return self._turn_active and not self._speaker.speaking

    def keyed(self, label: str, commands: tuple[Command, ...]) -> None:
        """A turn from keys: its commands are known without any words."""
        self._turns.put_nowait(Keyed(label, commands))

    async def say(self, text: str) -> None:
        """Say something the caller did not ask for (an announcement, a time warning)."""
        await self._say_unprompted(text)

    async def close(
        self, status: CallStatus = CallStatus.COMPLETED, error_code: str | None = None
    ) -> None:
        """End the call from the channel's side (hang-up, stream stop, the carrier's word)."""
        await self._finish(status, error_code)

    # --- the early transcript, and the reply prepared on it --------------------------------

    def _start_speculative(self, pause: Pause) -> None:
        if self._speculative is not None:
            self._speculative[1].cancel()
        self._drop_prepared()
        task = asyncio.create_task(self._transcribe(pause.audio))
        task.add_done_callback(lambda done: self._partial(pause.speech_end_ms, done))
        self._speculative = (pause.speech_end_ms, task)

    def _partial(self, speech_end_ms: float, task: asyncio.Task[Transcript]) -> None:
        """The early transcript, shown as a guess (the turn may go on); and the reply to it
        prepared while the endpoint silence runs."""
        if task.cancelled() or task.exception() is not None or self.outcome is not None:
            return
        heard = task.result()
        text = heard.text.strip()
        if not text or _NOT_SPEECH.match(text):
            return
        self.journal.caller_partial(text)
        if self._speculative is not None and self._speculative[1] is task:
            # Prepared on the state the flows are in now: if a turn still in hand changes it
            # first, the agent drops this one.
            self._preparing = (
                speech_end_ms, text, asyncio.create_task(self._prepare(text, heard.doubtful))
            )  # fmt: skip

    async def _prepare(self, text: str, doubtful: bool) -> Ready:
        prepared = await self.agent.prepare(self.session, text, doubtful)
        if prepared.reply is None or not prepared.reply.text:
            return Ready(prepared)
        first = chunk_reply(prepared.reply.text)[0]
        return Ready(prepared, first, tuple(await self._speaker.render(first)))

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
        if task.exception() is None and sounds_finished(task.result().text):
            endpoint = self._endpointer.end_now()
            if endpoint is not None:
                self._last_activity_ms = endpoint.at_ms
                self._turns.put_nowait(endpoint)

    async def _transcribe(self, audio: AudioFrame) -> Transcript:
        """The caller's words, the speech-to-text prompted with what the agent expects."""
        prompt = self.agent.listening_for(self.session)
        transcript: Transcript = await self.engines.stt.run(
            lambda model, a: model.transcribe(a, None, prompt), audio
        )
        return transcript

    # --- turns -----------------------------------------------------------------------------

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

    async def _heard(self, endpoint: Endpoint | Keyed) -> tuple[str, bool]:
        """The caller's words for this turn, and whether the recogniser doubted them."""
        if isinstance(endpoint, Keyed):
            self._drop_prepared()
            return endpoint.label, False
        speculative, self._speculative = self._speculative, None
        if (
            speculative is not None
            and abs(speculative[0] - endpoint.speech_end_ms) < 1
            and not speculative[1].cancelled()
        ):
            heard = await speculative[1]
        else:
            if speculative is not None:
                speculative[1].cancel()
            heard = await self._transcribe(endpoint.audio)
        return heard.text.strip(), heard.doubtful

    async def _turn(self, endpoint: Endpoint | Keyed) -> None:
        clock = self._clock
        endpointed = clock.now()
        keyed = isinstance(endpoint, Keyed)
        transcript, doubtful = await self._heard(endpoint)
        transcribed = clock.now()
        # The turn covers the caller's audio up to its endpoint: the recording keeps that
        # audio only once these words have been checked for card numbers.
        heard_until_ms = 0.0 if isinstance(endpoint, Keyed) else endpoint.at_ms
        if not keyed and _NOT_SPEECH.match(transcript):
            _LOGGER.debug("not speech: %d characters of whisper's words for noise", len(transcript))
            self.journal.caller_noise(heard_until_ms)
            return
        self.journal.caller_turn(transcript, heard_until_ms, self.agent.asked_for(self.session))
        ready = None
        if isinstance(endpoint, Endpoint):
            ready = await self._take_prepared(endpoint.speech_end_ms, transcript)
        reply = await self.agent.respond(
            self.session, transcript, ready.prepared if ready is not None else None,
            commands=endpoint.commands if isinstance(endpoint, Keyed) else None, doubtful=doubtful,
        )  # fmt: skip
        answered = clock.now()
        self.journal.agent_says(reply.text)
        rendered = {ready.first_chunk: ready.first_audio} if ready and ready.first_chunk else {}
        spoken = await self._speak(reply.text, rendered)
        endpoint_ms = 0.0 if isinstance(endpoint, Keyed) else endpoint.at_ms - endpoint.speech_end_ms
        timings = None
        if spoken.first_sound_s is not None:
            timings = TurnTimings(
                endpoint_ms=endpoint_ms,
                stt_ms=(transcribed - endpointed) * 1000,
                agent_ms=(answered - transcribed) * 1000,
                tts_first_audio_ms=(spoken.first_sound_s - answered) * 1000,
                voice_to_voice_ms=endpoint_ms + (spoken.first_sound_s - endpointed) * 1000,
                understand_ms=reply.understand_ms,
            )
        if spoken.heard:
            self.journal.agent_heard(
                spoken.heard, spoken.interrupted, timings.voice_to_voice_ms if timings else None,
                spoken.recorded_ms,
            )  # fmt: skip
        if timings is not None:
            for name, value in asdict(timings).items():
                self.journal.measure(name, value)
        result = TurnResult(
            transcript, reply.text, spoken.heard, timings, spoken.interrupted, reply.prepared
        )
        self.results.append(result)
        if self._on_turn is not None:
            self._on_turn(result)
        if reply.end_call and not spoken.interrupted:
            await self._finish(
                CallStatus.TRANSFERRED if reply.outcome == "transferred" else CallStatus.COMPLETED
            )

    async def _say_unprompted(self, text: str) -> None:
        self.journal.agent_says(text)
        spoken = await self._speak(text)
        if spoken.heard:
            self.journal.agent_heard(spoken.heard, spoken.interrupted, spoken_ms=spoken.recorded_ms)

    async def _speak(self, text: str, rendered: Rendered | None = None) -> Spoken:
        try:
            return await self._speaker.say(text, rendered)
        finally:
            if not self._prompted_silence:
                self._last_activity_ms = self._endpointer.now_ms

    def _check_barge_in(self) -> None:
        if not self._speaker.speaking or self._speaker.stopped:
            return
        if (
            self._endpointer.speaking
            and self._endpointer.voiced_ms >= self._dialogue.barge_in_min_ms
            and self._endpointer.recent_rms >= self._dialogue.barge_in_min_rms
        ):
            _LOGGER.info("caller spoke over the reply: stopping playback")
            self._speaker.stop()

    # --- silence and the end ---------------------------------------------------------------

    def _check_silence(self) -> None:
        if self._speaker.speaking and self._prompted_silence:
            return  # "are you still there?" is not an answer: the silence goes on counting
        if (
            self._speaker.speaking
            or self._endpointer.speaking
            or not self._turns.empty()
            or self._turn_active
        ):
            self._last_activity_ms = self._endpointer.now_ms
            return
        quiet_s = (self._endpointer.now_ms - self._last_activity_ms) / 1000
        if quiet_s >= self._dialogue.silence_hangup_s:
            self._last_activity_ms = self._endpointer.now_ms
            self._background(self._goodbye_after_silence(), "goodbye after silence")
        elif quiet_s >= self._dialogue.silence_prompt_s and not self._prompted_silence:
            self._prompted_silence = True
            self._background(self._say_unprompted(self._lines.say("call.still_there")), "silence prompt")

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
        self.agent.forget(self.session)
        try:
            if self.session.active:
                await self.sessions.end_session(self.session.id, status, error_code)
        finally:
            self.journal.stop()
            # Set last: whoever waits on it finds the call row already closed.
            self.done.set()
            self.journal.show(CallEnded(status.value))
