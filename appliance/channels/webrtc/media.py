"""Audio between aiortc and the appliance's frames: received PyAV frames become mono PCM, and
PCM to send goes out through a track that hands aiortc one 20 ms frame each 20 ms."""

from __future__ import annotations

import asyncio
import collections
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.audio.frames import AudioFrame

#: WebRTC audio (Opus) runs at 48 kHz.
RTC_RATE_HZ = 48000
FRAME_MS = 20
FRAME_SAMPLES = RTC_RATE_HZ * FRAME_MS // 1000
_SILENCE = bytes(FRAME_SAMPLES * 2)
#: After running dry, sending resumes once this much is queued (or has waited this long):
#: audio pushed at real time by another clock would otherwise be cut by a silent frame at
#: every wobble of the two clocks.
PREBUFFER_MS = 60


def to_audio_frame(frame: av.AudioFrame) -> AudioFrame:
    """A decoded frame (any sample format, any channels) as 16-bit mono PCM."""
    samples = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        mono = samples.mean(axis=0) if channels > 1 else samples[0]
    else:
        mono = samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples.reshape(-1)
    if np.issubdtype(samples.dtype, np.floating):  # flt/fltp: -1.0 to 1.0
        mono = np.clip(mono, -1.0, 32767 / 32768) * 32768.0
    return AudioFrame(np.asarray(mono).astype("<i2").tobytes(), frame.sample_rate)


class OutboundAudio(MediaStreamTrack):
    """The audio we send: frames pushed in are played in order, silence when none are due."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending: collections.deque[tuple[float, bytes]] = collections.deque()
        self._carry = b""
        self._flowing = False
        self._started: float | None = None
        self._pts = 0

    def push(self, frame: AudioFrame) -> None:
        """Queue 48 kHz mono PCM; it is cut into 20 ms frames."""
        if frame.sample_rate_hz != RTC_RATE_HZ:
            raise ValueError(
                f"outbound WebRTC audio is {RTC_RATE_HZ} Hz, got {frame.sample_rate_hz}"
            )
        data = self._carry + frame.pcm
        step = len(_SILENCE)
        whole = len(data) - len(data) % step
        now = time.monotonic()
        self._pending.extend((now, data[i : i + step]) for i in range(0, whole, step))
        self._carry = data[whole:]

    def clear(self) -> None:
        """Drop what has not been sent yet (the caller talked over it)."""
        self._pending.clear()
        self._carry = b""

    def keep_at_most(self, ms: float) -> None:
        """Drop the oldest queued audio beyond ``ms``."""
        while len(self._pending) * FRAME_MS > ms:
            self._pending.popleft()

    @property
    def pending_ms(self) -> float:
        return len(self._pending) * FRAME_MS

    def _next(self, now: float) -> bytes:
        if not self._pending:
            self._flowing = False
            return _SILENCE
        if not self._flowing and (
            self.pending_ms < PREBUFFER_MS and now - self._pending[0][0] < PREBUFFER_MS / 1000
        ):
            return _SILENCE
        self._flowing = True
        return self._pending.popleft()[1]

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._started is None:
            self._started = now
        else:
            wait = self._started + self._pts / RTC_RATE_HZ - now
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.2:
                # Fell behind (a stalled loop): start the clock again rather than burst.
                self._started = now - self._pts / RTC_RATE_HZ
        pcm = self._next(time.monotonic())
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(pcm)
        frame.sample_rate = RTC_RATE_HZ
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RTC_RATE_HZ)
        self._pts += FRAME_SAMPLES
        return frame
