"""G.711 mu-law, as telephone networks (and Twilio Media Streams) carry voice."""

from __future__ import annotations

import warnings

from appliance.audio.frames import AudioFrame

with warnings.catch_warnings():
    # audioop is the C codec in the standard library up to 3.12; audioop-lts provides it after.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

MULAW_RATE_HZ = 8000


def mulaw_decode(payload: bytes, sample_rate_hz: int = MULAW_RATE_HZ) -> AudioFrame:
    """mu-law bytes (one per sample) to 16-bit PCM."""
    return AudioFrame(audioop.ulaw2lin(payload, 2), sample_rate_hz)


def mulaw_encode(frame: AudioFrame) -> bytes:
    """16-bit PCM to mu-law bytes; the frame must already be at the line's rate."""
    return audioop.lin2ulaw(frame.pcm, 2)
