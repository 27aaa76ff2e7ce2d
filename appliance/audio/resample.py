"""Stateful resampling: one stream per call and direction. Resampling each 20 ms chunk on its
own restarts the filter at every chunk edge, which is heard as crackle on phone calls."""

from __future__ import annotations

import numpy as np
import soxr

from appliance.audio.frames import AudioFrame


class StreamResampler:
    """Resamples a stream of frames from whatever rate they come in to ``out_rate_hz``."""

    def __init__(self, out_rate_hz: int) -> None:
        self.out_rate_hz = out_rate_hz
        self._in_rate_hz: int | None = None
        self._stream: soxr.ResampleStream | None = None

    def __call__(self, frame: AudioFrame) -> AudioFrame:
        if frame.sample_rate_hz == self.out_rate_hz:
            return frame
        if self._stream is None or frame.sample_rate_hz != self._in_rate_hz:
            self._in_rate_hz = frame.sample_rate_hz
            self._stream = soxr.ResampleStream(
                frame.sample_rate_hz, self.out_rate_hz, 1, dtype="int16", quality="HQ"
            )
        out = np.asarray(self._stream.resample_chunk(frame.samples()), dtype="<i2")
        return AudioFrame(out.tobytes(), self.out_rate_hz)

    def reset(self) -> None:
        """Forget the filter state (after a flush, the next audio is not a continuation)."""
        self._stream = None
