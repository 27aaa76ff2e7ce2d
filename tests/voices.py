"""Callers the appliance has never heard, over telephone lines as they are.

Voices come from speech synthesisers other than the appliance's own Piper voice: espeak-ng
(formant synthesis, in several accents and voice variants) and flite (Festival's diphone and
cluster voices). A ``PhoneLine`` carries their speech as a mobile call does: band-limited
to 300-3400 Hz, at 8 kHz, through G.711 mu-law, with line hiss at a chosen signal-to-noise
ratio and 20 ms packets lost at random (a lost packet is heard as silence).
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from appliance.audio.codecs import mulaw_decode, mulaw_encode
from appliance.audio.frames import AudioFrame

LINE_RATE_HZ = 8000
PACKET_MS = 20
#: The telephone passband (ITU-T G.712).
PASSBAND_HZ = (300.0, 3400.0)
#: A caller's speech at the usual level on a line, -26 dB below a full-scale sine (whose
#: power is 0.5): what hiss is set against before the caller has said anything.
NOMINAL_SPEECH_LEVEL = 0.5 * 10 ** (-26 / 10)


@dataclass(frozen=True)
class Voice:
    """One synthetic caller: ``family`` is the synthesiser, ``name`` its voice."""

    family: str
    name: str
    #: espeak-ng: words per minute; flite: duration stretch in percent.
    pace: int = 0

    @property
    def label(self) -> str:
        return f"{self.family}:{self.name}" + (f"@{self.pace}" if self.pace else "")

    def speak(self, text: str) -> AudioFrame:
        """``text`` in this voice, as 16-bit PCM at the synthesiser's own rate."""
        if self.family == "espeak-ng":
            command = ["espeak-ng", "-v", self.name, "-s", str(self.pace or 165), "--stdout", text]
            return _wav(subprocess.run(command, capture_output=True, check=True).stdout)
        if self.family == "flite":
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "said.wav"
                stretch = f"{(self.pace or 100) / 100:.2f}"
                subprocess.run(
                    ["flite", "-voice", self.name, "--setf", f"duration_stretch={stretch}",
                     "-t", text, "-o", str(out)],
                    capture_output=True, check=True,
                )  # fmt: skip
                return _wav(out.read_bytes())
        raise ValueError(f"unknown voice family {self.family!r} (espeak-ng or flite)")


def _wav(data: bytes) -> AudioFrame:
    with wave.open(io.BytesIO(data)) as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError("the synthesiser wrote something other than 16-bit mono")
        return AudioFrame(wav.readframes(wav.getnframes()), wav.getframerate())


#: Caller voices: accents and voice variants of two synthesisers, none of them the appliance's.
VOICES = (
    Voice("espeak-ng", "en-us+m3", 160),
    Voice("espeak-ng", "en-gb-scotland+f2", 150),
    Voice("espeak-ng", "en-029+m7", 170),
    Voice("espeak-ng", "en-gb-x-rp+f4", 155),
    Voice("flite", "slt", 100),
    Voice("flite", "rms", 110),
    Voice("flite", "awb", 95),
)


def voices_of(family: str) -> tuple[Voice, ...]:
    return tuple(v for v in VOICES if v.family == family)


def active_level(samples: np.ndarray, rate_hz: int) -> float:
    """The power of the speech itself: the mean over 20 ms frames within 30 dB of the
    loudest one, so pauses do not dilute it (roughly ITU-T P.56's active speech level)."""
    step = rate_hz * PACKET_MS // 1000
    count = len(samples) // step
    if count == 0:
        return float(np.mean(samples**2)) if len(samples) else 0.0
    powers = np.mean(samples[: count * step].reshape(count, step) ** 2, axis=1)
    loud = powers[powers >= powers.max() * 10 ** (-30 / 10)]
    return float(loud.mean())


def band_limit(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Keep the telephone passband only."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate_hz)
    spectrum[(freqs < PASSBAND_HZ[0]) | (freqs > PASSBAND_HZ[1])] = 0
    return np.fft.irfft(spectrum, n=len(samples)).astype(np.float32)


@dataclass(frozen=True)
class PhoneLine:
    """A telephone line: ``snr_db`` None is a clean line; ``loss`` is the share of 20 ms
    packets that never arrive. ``seed`` makes the hiss and the losses repeatable."""

    snr_db: float | None = None
    loss: float = 0.0
    seed: int = 0

    @property
    def label(self) -> str:
        noise = "clean" if self.snr_db is None else f"{self.snr_db:g} dB"
        return noise + (f", {self.loss:.0%} loss" if self.loss else "")

    def carry(self, speech: AudioFrame, lead_ms: float = 300, tail_ms: float = 300) -> AudioFrame:
        """``speech`` as the far end receives it: 8 kHz PCM decoded from mu-law, with
        ``lead_ms``/``tail_ms`` of line (hiss included) either side."""
        samples = speech.float_samples()
        if speech.sample_rate_hz != LINE_RATE_HZ:
            samples = soxr.resample(samples, speech.sample_rate_hz, LINE_RATE_HZ)
        lead = np.zeros(int(LINE_RATE_HZ * lead_ms / 1000), np.float32)
        tail = np.zeros(int(LINE_RATE_HZ * tail_ms / 1000), np.float32)
        rng = np.random.default_rng(self.seed)
        level = active_level(samples, LINE_RATE_HZ)
        signal = np.concatenate([lead, samples.astype(np.float32), tail])
        if self.snr_db is not None and level > 0:
            hiss = rng.standard_normal(len(signal)).astype(np.float32)
            signal = signal + hiss * np.sqrt(level / 10 ** (self.snr_db / 10))
        signal = band_limit(signal, LINE_RATE_HZ)
        pcm = (
            mulaw_decode(mulaw_encode(AudioFrame.from_float(signal, LINE_RATE_HZ))).samples().copy()
        )
        if self.loss:
            step = LINE_RATE_HZ * PACKET_MS // 1000
            for start in range(0, len(pcm), step):
                if rng.random() < self.loss:
                    pcm[start : start + step] = 0
        return AudioFrame(pcm.astype("<i2").tobytes(), LINE_RATE_HZ)

    def hiss(self, duration_ms: float, level: float, seed: int) -> AudioFrame:
        """``duration_ms`` of the line with nobody speaking, for speech of power ``level``
        (0 dBFS sine is 0.5): what a caller's side sends between sentences."""
        count = int(LINE_RATE_HZ * duration_ms / 1000)
        if self.snr_db is None or count == 0:
            return AudioFrame.silence(duration_ms, LINE_RATE_HZ)
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(count).astype(np.float32) * np.sqrt(
            level / 10 ** (self.snr_db / 10)
        )
        noise = band_limit(noise, LINE_RATE_HZ)
        return mulaw_decode(mulaw_encode(AudioFrame.from_float(noise, LINE_RATE_HZ)))
