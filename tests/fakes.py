"""The fast layer's stand-ins at the model seams, and a clock the test moves.

- ``ScriptedEars`` is speech-to-text that hears what the test's caller is scripted to say: it
  measures how much voice the audio it is given holds, and answers with the words of the
  parts said by then (so a transcript taken on a pause holds the first half only).
- ``ToneVoice`` speaks each sentence as a tone whose length follows the words.
- ``VirtualClock`` is time that moves only when the test moves it: the caller's frames move
  it 20 ms each, and the agent's voice is paced against it.
- ``Caller`` feeds a call as a phone line would: a vowel-like voice webrtcvad takes for
  speech, silence between, one 20 ms frame per 20 ms of the clock.

The same behaviour is covered end to end on the real models in the slow layer.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from appliance.audio.frames import AudioFrame, concat
from appliance.dialogue.loop import TurnResult
from appliance.engines import Engines, ModelHost
from appliance.stt.base import Transcript
from appliance.understanding import commands as c
from appliance.understanding.commands import Command, Context

FRAME_MS = 20
#: How long each word of a scripted utterance is voiced.
WORD_MS = 220
#: 16-bit RMS over 10 ms above which ScriptedEars counts the audio as voice.
VOICED_RMS = 500.0


def voice(duration_ms: float, rate_hz: int = 8000, f0: float = 120.0) -> AudioFrame:
    """A vowel-like voice: harmonics of ``f0`` under formants, four syllables a second.
    webrtcvad takes it for speech; it is nobody's words."""
    n = int(rate_hz * duration_ms / 1000)
    t = np.arange(n) / rate_hz
    signal = np.zeros(n)
    for k in range(1, 40):
        f = k * f0
        if f > rate_hz / 2 - 200:
            break
        amplitude = sum(np.exp(-(((f - formant) / width) ** 2)) for formant, width in ((700, 150), (1200, 200), (2600, 300)))
        signal += (amplitude + 0.05) * np.sin(2 * np.pi * f * t + k)
    signal *= 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
    peak = np.max(np.abs(signal)) if n else 1.0
    return AudioFrame.from_float(0.3 * signal / (peak or 1.0), rate_hz)


def voiced_ms(audio: AudioFrame) -> float:
    """How much of ``audio`` is voice, by 10 ms loudness."""
    samples = audio.samples().astype(np.float64)
    step = max(1, audio.sample_rate_hz // 100)
    loud = sum(
        1
        for i in range(0, len(samples) - step + 1, step)
        if np.sqrt(np.mean(samples[i : i + step] ** 2)) >= VOICED_RMS
    )
    return loud * 10.0


class ScriptedEars:
    """Speech-to-text for the fast layer: the words of the parts of the current utterance
    whose voice the audio holds. ``transcriptions`` counts the calls."""

    device = "cpu"

    def __init__(self) -> None:
        #: (voice needed, in ms, words by then) for the utterance being said.
        self._parts: list[tuple[float, str]] = []
        self.transcriptions = 0
        #: The prompt each transcription was given.
        self.prompts: list[str | None] = []
        #: Words the recogniser is unsure of.
        self.unsure: set[str] = set()

    def expect(self, parts: Sequence[tuple[float, str]]) -> None:
        self._parts = list(parts)

    def warm_up(self) -> None:
        return None

    def transcribe(
        self, audio: AudioFrame, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        self.transcriptions += 1
        self.prompts.append(prompt)
        heard = voiced_ms(audio)
        words = ""
        for needed_ms, said in self._parts:
            # The loudness measure misses the quiet edges of syllables: most of it will do.
            if heard >= 0.75 * needed_ms:
                words = said
        return Transcript(words, "en", audio.duration_ms, doubtful=words in self.unsure)


class ToneVoice:
    """Text-to-speech for the fast layer: each sentence a tone, 60 ms a character."""

    device = "cpu"
    sample_rate_hz = 22050

    def __init__(self, ms_per_char: float = 60.0) -> None:
        self.ms_per_char = ms_per_char
        self.spoken: list[str] = []

    def warm_up(self) -> None:
        return None

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        self.spoken.append(text)
        n = int(self.sample_rate_hz * len(text) * self.ms_per_char / 1000)
        tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(n) / self.sample_rate_hz)
        yield AudioFrame.from_float(tone, self.sample_rate_hz)


class Unused:
    """A model role the fast layer never calls."""

    device = "cpu"

    def warm_up(self) -> None:
        return None


def fake_engines(ears: ScriptedEars, voice_: ToneVoice) -> Engines:
    def host(role: str, model: Any) -> ModelHost[Any]:
        return ModelHost(role, Path(f"fake-{role}"), lambda: model, lambda m: None)

    return Engines(stt=host("stt", ears), llm=host("llm", Unused()), tts=host("tts", voice_), nlu=host("nlu", Unused()))


@dataclass
class ScriptedUnderstander:
    """Understanding for the fast layer: the commands the test gave for each utterance."""

    meanings: dict[str, list[Command]] = field(default_factory=dict)
    name: str = "scripted"
    heard: list[tuple[str, Context]] = field(default_factory=list)

    async def prepare(self) -> None:
        return None

    async def understand(self, said: str, context: Context) -> list[Command]:
        self.heard.append((said, context))
        if not said.strip():
            return []
        return list(self.meanings.get(said, [c.Unclear()]))


class VirtualClock:
    """Time that moves only when the test moves it."""

    def __init__(self) -> None:
        self._now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), woken))
        await woken

    async def advance(self, seconds: float) -> None:
        """Move time on, waking every sleeper due by then in the order they are due."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            due, _, woken = heapq.heappop(self._sleepers)
            self._now = max(self._now, due)
            if not woken.done():
                woken.set_result(None)
            await _settle()
        self._now = target
        await _settle()


async def _settle() -> None:
    """Let the tasks that can run now run."""
    for _ in range(5):
        await asyncio.sleep(0)


class Fed:
    """What a caller talks into: a live call or a conversation's loop."""

    def feed(self, frame: AudioFrame) -> None: ...


class Caller:
    """A caller on a line whose time is the virtual clock: each 20 ms frame fed moves it."""

    def __init__(
        self,
        call: Any,
        clock: VirtualClock,
        ears: ScriptedEars,
        results: Callable[[], list[TurnResult]],
        engines: Engines,
        rate_hz: int = 8000,
    ) -> None:
        self.call = call
        self.clock = clock
        self.ears = ears
        self._results = results
        self._engines = engines
        self.rate_hz = rate_hz

    async def _models_done(self) -> None:
        """Wait (in real time) for what the call's models are doing, and for a turn being
        worked out (the database, the flows): the fakes take microseconds, but on threads of
        their own, and the caller's clock must not run on meanwhile."""
        waited = 0.0
        while waited < 0.5 and (
            any(host.worker.queued for host in self._engines.hosts()) or self.call.thinking
        ):
            await asyncio.sleep(0.0002)
            waited += 0.0002
        await _settle()

    async def feed(self, audio: AudioFrame) -> None:
        step = self.rate_hz * FRAME_MS // 1000 * 2
        for offset in range(0, len(audio.pcm) - step + 1, step):
            self.call.feed(AudioFrame(audio.pcm[offset : offset + step], self.rate_hz))
            await self._models_done()
            await self.clock.advance(FRAME_MS / 1000)

    async def silence(self, ms: float) -> None:
        await self.feed(AudioFrame.silence(int(ms), self.rate_hz))

    async def speak(self, *parts: str | int) -> None:
        """Say ``parts``: words are voiced (WORD_MS a word), a number is a pause in ms."""
        script: list[tuple[float, str]] = []
        needed, words = 0.0, ""
        audio = []
        for part in parts:
            if isinstance(part, int):
                audio.append(AudioFrame.silence(part, self.rate_hz))
                continue
            length = WORD_MS * len(part.split())
            needed += length
            words = f"{words} {part}".strip()
            script.append((needed, words))
            audio.append(voice(length, self.rate_hz))
        self.ears.expect(script)
        await self.feed(concat(audio))

    async def says(self, *parts: str | int, within_ms: float = 30_000) -> TurnResult:
        """Say ``parts``, then stay quiet until the agent has answered them in full."""
        before = len(self._results())
        await self.speak(*parts)
        return await self.answer(before, within_ms, parts)

    async def answer(self, before: int, within_ms: float = 30_000, what: object = "") -> TurnResult:
        """Stay quiet until the turn after the first ``before`` has been answered in full."""
        waited = 0.0
        while (len(self._results()) <= before or not self.call.idle) and waited < within_ms:
            await self.silence(FRAME_MS)
            waited += FRAME_MS
        assert len(self._results()) > before, f"no answer to {what} within {within_ms:.0f} ms"
        return self._results()[before]


@dataclass
class CollectingSink:
    """A channel that keeps what it is sent, with the clock time of each frame."""

    sample_rate_hz: int
    clock: VirtualClock
    frames: list[tuple[float, AudioFrame]] = field(default_factory=list)
    flushes: list[float] = field(default_factory=list)

    async def play(self, frame: AudioFrame) -> None:
        self.frames.append((self.clock.now(), frame))

    async def flush(self) -> None:
        self.flushes.append(self.clock.now())
