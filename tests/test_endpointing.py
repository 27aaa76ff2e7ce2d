"""Endpointing on phone lines with steady hiss: a turn ends promptly after the caller's last
voiced frame, in one piece, and hiss alone never becomes a turn.

The callers are voices the appliance has never heard (espeak-ng and flite, tests/voices.py),
carried over a phone line (8 kHz G.711, 300-3400 Hz) with hiss at 15 and 8 dB SNR, and
taken to 16 kHz as the loop takes a phone call's audio.
"""

from __future__ import annotations

import numpy as np
import pytest
from voices import LINE_RATE_HZ, NOMINAL_SPEECH_LEVEL, PACKET_MS, PhoneLine, Voice

from appliance.audio.frames import AudioFrame
from appliance.audio.resample import StreamResampler
from appliance.audio.vad import VAD_RATE_HZ, Endpoint, Endpointer, Event
from appliance.config import VadSettings

VAD = VadSettings()
LEAD_MS = 600
TAIL_MS = 3000
CALLERS = (
    Voice("espeak-ng", "en-us+m3", 160),
    Voice("espeak-ng", "en-gb-scotland+f2", 150),
    Voice("flite", "slt", 100),
    Voice("flite", "rms", 110),
)
SAID = ("I'd like two nights from December the twentieth, please.", "Two adults.")


def heard(line_audio: AudioFrame) -> list[Event]:
    """The endpointer's events for a call's audio, fed in 20 ms packets as they arrive."""
    endpointer, to_vad = Endpointer(VAD), StreamResampler(VAD_RATE_HZ)
    step = LINE_RATE_HZ * PACKET_MS // 1000 * 2
    events: list[Event] = []
    for start in range(0, len(line_audio.pcm), step):
        events += endpointer.feed(
            to_vad(AudioFrame(line_audio.pcm[start : start + step], LINE_RATE_HZ))
        )
    return events


def last_voiced_ms(speech: AudioFrame) -> float:
    """Where the caller's voice ends: the end of the last 20 ms within 35 dB of the loudest."""
    samples = speech.float_samples()
    step = speech.sample_rate_hz * PACKET_MS // 1000
    power = np.array(
        [np.mean(samples[i : i + step] ** 2) for i in range(0, len(samples) - step, step)]
    )
    return float((np.nonzero(power > power.max() * 10 ** (-35 / 10))[0][-1] + 1) * PACKET_MS)


@pytest.mark.parametrize("snr_db", [15, 8])
@pytest.mark.parametrize("voice", CALLERS, ids=lambda voice: voice.label)
def test_a_turn_ends_promptly_after_the_last_voiced_frame_over_hiss(
    voice: Voice, snr_db: int
) -> None:
    line = PhoneLine(snr_db=snr_db, seed=snr_db)
    for text in SAID:
        speech = voice.speak(text)
        events = heard(line.carry(speech, lead_ms=LEAD_MS, tail_ms=TAIL_MS))
        ends = [event for event in events if isinstance(event, Endpoint)]
        assert len(ends) == 1, (text, events)  # ended, and in one piece
        (end,) = ends
        voice_ended = LEAD_MS + last_voiced_ms(speech)
        # The silence the endpointer waits for, and two frames of webrtcvad's own hold.
        assert end.at_ms - voice_ended <= VAD.endpoint_silence_ms + 2 * PACKET_MS, (text, end)
        assert not end.forced


@pytest.mark.parametrize("snr_db", [15, 8])
def test_hiss_alone_never_becomes_a_turn(snr_db: int) -> None:
    line = PhoneLine(snr_db=snr_db)
    events = heard(line.hiss(30_000, NOMINAL_SPEECH_LEVEL, seed=snr_db))
    assert events == []  # not even a noise too short to be speech
