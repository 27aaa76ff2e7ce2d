"""Simultaneous phone calls on loopback: N simulated Twilio callers at once, each asking a few
questions in real speech at 8 kHz, against the real server, models and media streams.

Voice-to-voice is measured as the caller lives it: from the last voiced moment of their
question (not the end of the audio, whose trailing silence would hide the endpointing) to
the moment the first sound of the reply plays at their ear (not the first frame to arrive,
which may be silence, nor before the frames ahead of it have played). The callers' voices
are the appliance's own Piper voice made lower and slower, or higher and faster, so the
endpointing is not tuned to the voice it hears.

Prints, per N: voice-to-voice p50/p95 over every question asked (one never answered, or
asked on a call that was refused, counts as never answered: inf), the pacing of reply frames
(the spread around 20 ms), late frames (a gap over 60 ms inside a reply, heard as a break),
how many calls got in and how many questions were answered. The goal: one call p50 under 600 ms, four calls p95 under 1.2 s, eight
calls all answered.

    .venv/bin/python benchmarks/phone_calls.py [--calls 1 4 8]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
import soxr

from appliance.audio.codecs import mulaw_decode
from appliance.audio.frames import AudioFrame, concat
from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import Engines, build_engines

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from twilio_fakes import FakeTwilioRest, SimulatedCall, phone_ready_appliance  # noqa: E402

QUESTIONS = ["What time is check-out?", "Do you have parking?", "Can I bring my dog?"]
#: Each caller's voice: the Piper voice played back this much faster (pitch and pace).
VOICES = {"lower": 0.88, "higher": 1.12}
GAP_S = 0.06
#: Louder than this (16-bit RMS over 10 ms) is voice, not line silence.
VOICED_RMS = 300.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def voiced_span_s(audio: AudioFrame) -> tuple[float, float] | None:
    """Where voice starts and ends in ``audio``, in seconds, by 10 ms loudness."""
    samples = audio.samples().astype(np.float64)
    step = audio.sample_rate_hz // 100
    loud = [
        i
        for i in range(0, len(samples) - step + 1, step)
        if np.sqrt(np.mean(samples[i : i + step] ** 2)) >= VOICED_RMS
    ]
    if not loud:
        return None
    return loud[0] / audio.sample_rate_hz, (loud[-1] + step) / audio.sample_rate_hz


def first_sound_heard(call: SimulatedCall, first_frame: int) -> float | None:
    """When the first voiced part of the reply from ``first_frame`` on plays at the caller."""
    for played_at, payload in zip(
        call.played_at[first_frame:], call.received[first_frame:], strict=True
    ):
        span = voiced_span_s(mulaw_decode(payload))
        if span is not None:
            return played_at + span[0]
    return None


async def one_call(
    public: str, http: aiohttp.ClientSession, rest: FakeTwilioRest, questions: list[AudioFrame]
) -> tuple[list[float], list[float], int, bool]:
    call = SimulatedCall(public)
    rest.calls.add(call.call_sid)
    twiml = await call.dial(http)
    if "<Connect>" not in twiml:
        return [], [], 0, False
    await call.connect(http, twiml)
    await call.listen(0)  # the greeting
    latencies, spacing, late = [], [], 0
    for question in questions:
        span = voiced_span_s(question)
        assert span is not None
        started = time.perf_counter()
        before = len(call.arrivals)
        await call.say(question)
        await call.listen(before)  # the whole reply, before the next question
        heard = first_sound_heard(call, before)
        reply = call.arrivals[before:]
        if heard is None:
            latencies.append(math.inf)  # a question never answered is in the figures
        else:
            latencies.append((heard - (started + span[1])) * 1000)
            gaps = [b - a for a, b in zip(reply, reply[1:], strict=False)]
            spacing += [g * 1000 for g in gaps]
            late += sum(1 for g in gaps if g > GAP_S)
    await call.hang_up()
    return latencies, spacing, late, True


async def main(counts: list[int]) -> None:
    config = default_config()
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config, paths=dataclasses.replace(config.paths, data_dir=Path(data_dir))
        )
        engines = build_engines(config)
        await engines.start()
        async with phone_ready_appliance(
            config, engines, "+12075550111", prepared=True, max_concurrent_calls=max(counts)
        ) as (_, public, rest):
            await run(public, rest, engines, counts)
        engines.close()
    print(
        "\nvoice-to-voice is measured at the caller: from the last voiced moment of the question "
        f"to the first reply sound playing at their ear. 'late' counts gaps over {GAP_S * 1000:.0f} ms "
        "inside replies."
    )


async def voices(engines: Engines) -> list[list[AudioFrame]]:
    """The questions in each caller voice, as a phone line carries them (8 kHz)."""
    out = []
    for speed in VOICES.values():
        asked = []
        for text in QUESTIONS:
            audio = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
            shifted = soxr.resample(audio.float_samples(), audio.sample_rate_hz * speed, 8000)
            asked.append(AudioFrame.from_float(shifted, 8000))
        out.append(asked)
    return out


async def run(public: str, rest: FakeTwilioRest, engines: Engines, counts: list[int]) -> None:
    by_voice = await voices(engines)
    print(
        f"{os.cpu_count()} cores; {len(QUESTIONS)} questions per call; voices {', '.join(VOICES)}"
    )
    print(
        f"{'calls':>5}{'v2v p50':>10}{'v2v p95':>10}{'frame p50':>11}{'frame p95':>11}{'late':>7}"
        f"{'calls in':>10}{'answered':>10}"
    )
    async with aiohttp.ClientSession() as http:
        for count in counts:
            results = await asyncio.gather(
                *(one_call(public, http, rest, by_voice[n % len(by_voice)]) for n in range(count))
            )
            # A call refused, or a question with no reply, counts as never answered.
            asked = len(QUESTIONS)
            latencies = [v for r in results for v in r[0]]
            latencies += [math.inf] * sum(asked - len(r[0]) for r in results)
            answered_questions = sum(1 for v in latencies if v != math.inf)
            spacing = [v for r in results for v in r[1]] or [float("nan")]
            late = sum(r[2] for r in results)
            answered = sum(r[3] for r in results)
            print(f"{count:>5}{statistics.median(latencies):>9.0f}ms{percentile(latencies, 0.95):>8.0f}ms"
                  f"{statistics.median(spacing):>9.1f}ms{percentile(spacing, 0.95):>9.1f}ms{late:>7}"
                  f"{answered:>6}/{count}{answered_questions:>6}/{asked * count}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 4, 8])
    asyncio.run(main(parser.parse_args().calls))
