"""Simultaneous phone calls on loopback: N simulated Twilio callers at once, each asking a few
questions in real speech at 8 kHz, against the real server, models and media streams.

Prints, per N: voice-to-voice p50/p95 as the caller hears it (end of their speech to the
first reply frame arriving), the pacing of reply frames (the spread around 20 ms), and late
frames (a gap over 60 ms inside a reply, which the caller would hear as a break).

    .venv/bin/python benchmarks/phone_calls.py [--calls 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import soxr

from appliance.audio.frames import AudioFrame, concat
from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import Engines, build_engines

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from twilio_fakes import FakeTwilioRest, SimulatedCall, phone_ready_appliance  # noqa: E402

QUESTIONS = ["What time is check-out?", "Do you have parking?", "Can I bring my dog?"]
GAP_S = 0.06


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_call(
    public: str, http: aiohttp.ClientSession, rest: FakeTwilioRest, questions: list[AudioFrame]
) -> tuple[list[float], list[float], int]:
    call = SimulatedCall(public)
    rest.calls.add(call.call_sid)
    await call.connect(http, await call.dial(http))
    await call.say(AudioFrame.silence(5000, 8000))  # the greeting
    latencies, spacing, late = [], [], 0
    for question in questions:
        await call.say(question)
        spoken_at = time.perf_counter()
        before = len(call.arrivals)
        await call.say(AudioFrame.silence(7000, 8000))  # the reply plays
        reply = call.arrivals[before:]
        if reply:
            latencies.append((reply[0] - spoken_at) * 1000)
            gaps = [b - a for a, b in zip(reply, reply[1:], strict=False)]
            spacing += [g * 1000 for g in gaps]
            late += sum(1 for g in gaps if g > GAP_S)
    await call.hang_up()
    return latencies, spacing, late


async def main(counts: list[int]) -> None:
    config = default_config()
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config, paths=dataclasses.replace(config.paths, data_dir=Path(data_dir))
        )
        engines = build_engines(config)
        await engines.start()
        async with phone_ready_appliance(
            config, engines, "+12075550111", max_concurrent_calls=max(counts)
        ) as (_, public, rest):
            await run(public, rest, engines, counts)
        engines.close()
    print(
        f"\nvoice-to-voice here is measured at the caller: from the last frame of the question to the first reply frame, "
        f"endpoint silence included. 'late' counts gaps over {GAP_S * 1000:.0f} ms inside replies."
    )


async def run(public: str, rest: FakeTwilioRest, engines: Engines, counts: list[int]) -> None:
    questions = []
    for text in QUESTIONS:
        audio = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
        questions.append(
            AudioFrame.from_float(
                soxr.resample(audio.float_samples(), audio.sample_rate_hz, 8000), 8000
            )
        )
    print(f"{os.cpu_count()} cores; {len(QUESTIONS)} questions per call")
    print(
        f"{'calls':>5}{'v2v p50':>10}{'v2v p95':>10}{'frame p50':>11}{'frame p95':>11}{'late':>7}"
    )
    async with aiohttp.ClientSession() as http:
        for count in counts:
            results = await asyncio.gather(
                *(one_call(public, http, rest, questions) for _ in range(count))
            )
            latencies = [v for r in results for v in r[0]]
            spacing = [v for r in results for v in r[1]]
            late = sum(r[2] for r in results)
            print(f"{count:>5}{statistics.median(latencies):>9.0f}ms{percentile(latencies, 0.95):>8.0f}ms"
                  f"{statistics.median(spacing):>9.1f}ms{percentile(spacing, 0.95):>9.1f}ms{late:>7}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 2, 4])
    asyncio.run(main(parser.parse_args().calls))
