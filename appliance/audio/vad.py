"""Endpointing: where an utterance starts and ends, from webrtcvad decisions on 20 ms frames.

The endpointer is pure and synchronous: it takes 16 kHz frames in call order and says what
happened. ``SpeechStarted`` opens an utterance (with pre-roll, so the first syllable is
kept); ``Pause`` is a short silence, the moment to transcribe speculatively; ``Endpoint`` is
a silence long enough to answer; ``Discarded`` is a noise too short to be speech.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from appliance.audio.frames import AudioFrame
from appliance.config import VadSettings

VAD_RATE_HZ = 16000
FRAME_MS = 20
FRAME_BYTES = VAD_RATE_HZ * FRAME_MS // 1000 * 2
#: Within an utterance, a frame quieter than this share of its recent loudness is not voice.
TAIL_SHARE = 0.1
#: A frame no louder than this many times the line's noise floor is not voice, whatever
#: webrtcvad says of it: on a line with steady hiss webrtcvad hears the hiss as voice, so
#: the turn never ended (at 8 dB SNR most turns waited for the 15 s limit) and hiss
#: started utterances of its own.
NOISE_MARGIN = 1.3
#: The noise floor: this percentile of the loudness of the frames in the last
#: ``NOISE_WINDOW_MS`` (a low one, so speech does not lift it and lost packets, heard as
#: digital silence, do not sink it).
NOISE_PERCENTILE = 10
NOISE_WINDOW_MS = 3000
#: Frames needed before the floor is known, and any frame can be voice (the pre-roll keeps
#: the start of words said in them).
_NOISE_MIN_FRAMES = 10


@dataclass(frozen=True)
class SpeechStarted:
    at_ms: float


@dataclass(frozen=True)
class Pause:
    """A short silence: ``audio`` is the utterance so far, up to the end of speech."""

    audio: AudioFrame
    speech_end_ms: float


@dataclass(frozen=True)
class Endpoint:
    """The caller finished: ``audio`` is the utterance up to the end of speech."""

    audio: AudioFrame
    speech_start_ms: float
    speech_end_ms: float
    at_ms: float
    forced: bool = False


@dataclass(frozen=True)
class Discarded:
    """Voice too short to be an utterance (a cough, a click, a breath)."""

    duration_ms: float


Event = SpeechStarted | Pause | Endpoint | Discarded


def frame_rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


class Endpointer:
    """Turns 20 ms frames of 16 kHz audio into utterance events."""

    def __init__(self, settings: VadSettings) -> None:
        self._settings = settings
        self._vad = webrtcvad.Vad(settings.aggressiveness)
        self._preroll: deque[bytes] = deque(maxlen=max(1, settings.pre_roll_ms // FRAME_MS))
        self._onset: deque[bool] = deque(maxlen=max(1, settings.start_speech_ms // FRAME_MS))
        self._frames: list[bytes] = []
        self._speaking = False
        self._voiced_ms = 0.0
        self._silence_ms = 0.0
        self._paused = False
        self._start_ms = 0.0
        self._now_ms = 0.0
        self._buffer = b""
        #: Loudness of the recent voiced frames, for telling speech from echo and noise.
        self.recent_rms = 0.0
        self._levels: deque[float] = deque(maxlen=NOISE_WINDOW_MS // FRAME_MS)

    @property
    def noise_floor(self) -> float:
        """The line's steady noise (RMS of 16-bit samples): 0 until enough audio is in."""
        if len(self._levels) < _NOISE_MIN_FRAMES:
            return 0.0
        return float(np.percentile(self._levels, NOISE_PERCENTILE))

    @property
    def speaking(self) -> bool:
        """Is an utterance open (the caller is talking, or paused mid-sentence)?"""
        return self._speaking

    @property
    def voiced_ms(self) -> float:
        """Voiced audio in the open utterance so far."""
        return self._voiced_ms if self._speaking else 0.0

    @property
    def now_ms(self) -> float:
        return self._now_ms

    def feed(self, frame: AudioFrame) -> list[Event]:
        """Add 16 kHz audio of any length; returns the events it completes, in order."""
        if frame.sample_rate_hz != VAD_RATE_HZ:
            raise ValueError(
                f"the endpointer takes {VAD_RATE_HZ} Hz audio, got {frame.sample_rate_hz} Hz"
            )
        self._buffer += frame.pcm
        events: list[Event] = []
        while len(self._buffer) >= FRAME_BYTES:
            chunk, self._buffer = self._buffer[:FRAME_BYTES], self._buffer[FRAME_BYTES:]
            events.extend(self._step(chunk))
        return events

    def _step(self, chunk: bytes) -> list[Event]:
        self._now_ms += FRAME_MS
        loudness = frame_rms(chunk)
        # Nothing is voice until the floor is known: a call's first hiss is no utterance.
        known = len(self._levels) >= _NOISE_MIN_FRAMES
        floor = self.noise_floor
        self._levels.append(loudness)
        voiced = (
            known
            and loudness > NOISE_MARGIN * floor
            and self._vad.is_speech(chunk, VAD_RATE_HZ)
        )
        if voiced and self._speaking and loudness < TAIL_SHARE * self.recent_rms:
            # webrtcvad holds "speech" for about 120 ms after the voice stops; a frame this
            # much quieter than the utterance is that tail, and the silence counts from it.
            voiced = False
        if voiced:
            self.recent_rms = 0.8 * self.recent_rms + 0.2 * loudness
        if not self._speaking:
            self._preroll.append(chunk)
            self._onset.append(voiced)
            if len(self._onset) == self._onset.maxlen and all(self._onset):
                self._speaking = True
                onset = list(self._preroll)[-len(self._onset) :]
                # Each utterance is measured against its own loudness, not the last one's.
                self.recent_rms = sum(frame_rms(c) for c in onset) / len(onset)
                self._frames = list(self._preroll)
                self._voiced_ms = FRAME_MS * len(self._onset)
                self._silence_ms = 0.0
                self._paused = False
                self._start_ms = self._now_ms - FRAME_MS * len(self._onset)
                self._preroll.clear()
                self._onset.clear()
                return [SpeechStarted(self._start_ms)]
            return []
        self._frames.append(chunk)
        if voiced:
            self._voiced_ms += FRAME_MS
            self._silence_ms = 0.0
            self._paused = False
        else:
            self._silence_ms += FRAME_MS
        events: list[Event] = []
        utterance_ms = FRAME_MS * len(self._frames)
        if utterance_ms >= self._settings.max_utterance_s * 1000:
            return [self._close(forced=True)]
        if self._silence_ms >= self._settings.endpoint_silence_ms:
            if self._voiced_ms < self._settings.min_speech_ms:
                self._reset()
                return [Discarded(self._voiced_ms)]
            return [self._close(forced=False)]
        if self._silence_ms >= self._settings.speculative_pause_ms and not self._paused:
            self._paused = True
            if self._voiced_ms >= self._settings.min_speech_ms:
                events.append(Pause(self._audio_to_speech_end(), self._now_ms - self._silence_ms))
        return events

    @property
    def silence_ms(self) -> float:
        """Silence since the caller's last voiced frame, within an open utterance."""
        return self._silence_ms if self._speaking else 0.0

    @property
    def speech_end_ms(self) -> float:
        return self._now_ms - self._silence_ms

    def end_now(self) -> Endpoint | None:
        """Close the open utterance at once (the words already say the caller is done)."""
        if (
            not self._speaking
            or self._silence_ms <= 0
            or self._voiced_ms < self._settings.min_speech_ms
        ):
            return None
        return self._close(forced=False)

    def _audio_to_speech_end(self) -> AudioFrame:
        # Keep a little of the trailing silence: whisper likes a clean ending.
        tail_frames = int(self._silence_ms // FRAME_MS)
        keep = len(self._frames) - max(0, tail_frames - 5)
        return AudioFrame(b"".join(self._frames[:keep]), VAD_RATE_HZ)

    def _close(self, forced: bool) -> Endpoint:
        event = Endpoint(
            audio=self._audio_to_speech_end(),
            speech_start_ms=self._start_ms,
            speech_end_ms=self._now_ms - self._silence_ms,
            at_ms=self._now_ms,
            forced=forced,
        )
        self._reset()
        return event

    def _reset(self) -> None:
        self._speaking = False
        self._frames = []
        self._voiced_ms = 0.0
        self._silence_ms = 0.0
        self._paused = False
