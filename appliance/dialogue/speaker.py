"""The agent's voice on one call: a reply cut into sentences, each synthesised on the voice's
worker while the one before plays, paced to the channel at real time, and stopped at once
when the caller talks over it. What the caller actually heard is worked out from what played.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from appliance.audio.frames import AudioFrame
from appliance.audio.recording import AGENT, CALLER
from appliance.audio.resample import StreamResampler
from appliance.clock import Clock
from appliance.dialogue.chunker import chunk_reply, heard_text
from appliance.engines import Engines
from appliance.sessions import Session

OUT_FRAME_MS = 20
#: How far ahead of real time frames may be handed to the channel (its jitter buffer).
PLAYBACK_LEAD_MS = 60
#: How much reply audio is synthesised ahead of what has been played.
SYNTHESIS_LEAD_MS = 1200
#: A reply starts this long before its first sample this loud (16-bit).
HEAD_KEEP_MS = 10
HEAD_LEVEL = 300

Rendered = dict[str, tuple[AudioFrame, ...]]


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
class Spoken:
    """What one reply came to: the words the caller heard, whether they cut it off, when its
    first sound went out (clock seconds), and where it lies on the agent's side of the
    recording (ms), if it is recorded."""

    heard: str
    interrupted: bool
    first_sound_s: float | None = None
    recorded_ms: tuple[float, float] | None = None


def trim_head(audio: AudioFrame) -> AudioFrame:
    """``audio`` from just before its first sound: the voice's lead-in silence (up to 60 ms of
    Piper's) only delays the first words the caller hears."""
    samples = audio.samples()
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= HEAD_LEVEL)
    if not len(loud):
        return audio
    keep_from = max(0, int(loud[0]) - audio.sample_rate_hz * HEAD_KEEP_MS // 1000)
    return AudioFrame(audio.pcm[2 * keep_from :], audio.sample_rate_hz)


class Speaker:
    """One call's voice: one reply at a time, stoppable."""

    def __init__(self, engines: Engines, sink: AudioSink, session: Session, clock: Clock) -> None:
        self._engines = engines
        self._sink = sink
        self._session = session
        self._clock = clock
        self._to_sink = StreamResampler(sink.sample_rate_hz)
        self._barged_in = asyncio.Event()
        #: Set by the player when the synthesised audio ahead of it runs low.
        self._room = asyncio.Event()
        #: One voice at a time: a silence prompt and a turn's reply never overlap.
        self._voice = asyncio.Lock()
        self._playing: asyncio.Task[Spoken] | None = None

    @property
    def speaking(self) -> bool:
        return self._playing is not None

    def stop(self) -> None:
        """The caller spoke over the reply: stop it after the current frame."""
        self._barged_in.set()

    @property
    def stopped(self) -> bool:
        return self._barged_in.is_set()

    async def say(self, text: str, rendered: Rendered | None = None) -> Spoken:
        """Say ``text``; ``rendered`` holds sentences already synthesised (a prepared first
        one)."""
        async with self._voice:
            self._barged_in.clear()
            self._playing = asyncio.create_task(self._play(chunk_reply(text), rendered or {}))
            try:
                return await self._playing
            finally:
                self._playing = None

    async def render(self, text: str, when_free: bool = False) -> list[AudioFrame]:
        """One sentence's audio. Fixed sentences were rendered at start-up and need no hop."""
        ready = self._engines.rendered.get(text)
        if ready is not None:
            return list(ready)
        tts = self._engines.tts
        run = tts.run_when_free if when_free else tts.run
        return await run(lambda model, t: list(model.synthesize(t)), text)

    async def _play(self, chunks: list[str], rendered: Rendered) -> Spoken:
        queue: asyncio.Queue[tuple[int, AudioFrame | None]] = asyncio.Queue()
        played_ms = [0.0] * len(chunks)
        total_ms = [0.0] * len(chunks)
        producer = asyncio.create_task(self._synthesize(chunks, queue, total_ms, rendered))
        self._to_sink.reset()
        clock, recorder = self._clock, self._session.recorder
        interrupted = False
        started = clock.now()
        first_sound: float | None = None
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
                ahead = sent_ms - (clock.now() - started) * 1000
                if ahead > PLAYBACK_LEAD_MS:
                    await clock.sleep((ahead - PLAYBACK_LEAD_MS) / 1000)
                if self._barged_in.is_set():
                    interrupted = True
                    break
                if first_sound is None:
                    first_sound = started = clock.now()
                await self._sink.play(frame)
                if recorder is not None:
                    at_ms = recorder.position_ms(CALLER) + max(0.0, ahead)
                    recorder.add(AGENT, frame, at_ms=at_ms)
                    first_ms = at_ms if first_ms is None else first_ms
                    last_ms = at_ms + frame.duration_ms
                sent_ms += frame.duration_ms
                played_ms[index] += frame.duration_ms
            if not interrupted:
                # Let the last frames handed ahead actually play before the turn is over.
                remaining = sent_ms - (clock.now() - started) * 1000
                if remaining > 0:
                    await clock.sleep(remaining / 1000)
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
        if interrupted:
            await self._sink.flush()
            # What was handed ahead but not yet played was not heard.
            unplayed = max(0.0, sent_ms - (clock.now() - started) * 1000)
            for index in reversed(range(len(chunks))):
                take = min(unplayed, played_ms[index])
                played_ms[index] -= take
                unplayed -= take
        heard = heard_text(chunks, played_ms, total_ms)
        if interrupted and heard and not heard.endswith("..."):
            heard = heard.rstrip(".!?") + "..."  # cut between two sentences: still cut
        recorded = None if first_ms is None else (first_ms, last_ms)
        return Spoken(heard, interrupted, first_sound, recorded)

    async def _synthesize(
        self,
        chunks: list[str],
        queue: asyncio.Queue[tuple[int, AudioFrame | None]],
        total_ms: list[float],
        rendered: Rendered,
    ) -> None:
        rate = self._sink.sample_rate_hz
        carry = b""
        step = rate * OUT_FRAME_MS // 1000 * 2
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
                else await self.render(chunk, when_free=index > 0)
            )
            if index == 0 and pieces:
                pieces[0] = trim_head(pieces[0])
            for piece in pieces:
                audio = carry + self._to_sink(piece).pcm
                whole = len(audio) - len(audio) % step
                for offset in range(0, whole, step):
                    total_ms[index] += OUT_FRAME_MS
                    queue.put_nowait((index, AudioFrame(audio[offset : offset + step], rate)))
                carry = audio[whole:]
        if carry:
            total_ms[-1] += OUT_FRAME_MS
            queue.put_nowait((len(chunks) - 1, AudioFrame(carry + bytes(step - len(carry)), rate)))
        queue.put_nowait((-1, None))
