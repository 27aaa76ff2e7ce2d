"""The one value audio moves in: 16-bit little-endian mono PCM with its sample rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_WIDTH_BYTES = 2


@dataclass(frozen=True)
class AudioFrame:
    """A run of 16-bit mono PCM samples at ``sample_rate_hz``."""

    pcm: bytes
    sample_rate_hz: int

    def __post_init__(self) -> None:
        if len(self.pcm) % SAMPLE_WIDTH_BYTES:
            raise ValueError(f"PCM of {len(self.pcm)} bytes is not whole 16-bit samples")
        if self.sample_rate_hz <= 0:
            raise ValueError(f"sample rate must be positive, got {self.sample_rate_hz}")

    @property
    def sample_count(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH_BYTES

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.sample_count / self.sample_rate_hz

    def samples(self) -> np.ndarray:
        """The samples as int16."""
        return np.frombuffer(self.pcm, dtype="<i2")

    def float_samples(self) -> np.ndarray:
        """The samples as float32 in [-1, 1), as the models take them."""
        return self.samples().astype(np.float32) / 32768.0

    @classmethod
    def from_float(cls, samples: np.ndarray, sample_rate_hz: int) -> AudioFrame:
        clipped = np.clip(samples, -1.0, 32767 / 32768)
        return cls((clipped * 32768.0).astype("<i2").tobytes(), sample_rate_hz)

    @classmethod
    def silence(cls, duration_ms: float, sample_rate_hz: int) -> AudioFrame:
        count = int(sample_rate_hz * duration_ms / 1000)
        return cls(bytes(count * SAMPLE_WIDTH_BYTES), sample_rate_hz)


def concat(frames: list[AudioFrame]) -> AudioFrame:
    """Join frames of one sample rate into one."""
    if not frames:
        raise ValueError("no frames to join")
    rates = {f.sample_rate_hz for f in frames}
    if len(rates) != 1:
        raise ValueError(f"cannot join frames of different sample rates {sorted(rates)}")
    return AudioFrame(b"".join(f.pcm for f in frames), rates.pop())
