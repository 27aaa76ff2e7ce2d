"""Many short phone calls in a row against the real server, models and media streams: does
anything grow? Each call is dialled, asks one question in a caller's voice (not the
appliance's own: its Piper voice made lower or higher), hears the whole reply and hangs up,
a few at a time, with the calls recorded; so every call runs speech-to-text, the agent, the
voice, the journal and the recorder. Every 100 calls the process's resident memory, its open
files, the live sessions and the calls that got no answer are printed. A leak shows as
memory that keeps climbing after the first hundred.

    .venv/bin/python benchmarks/soak.py [--calls 1000] [--parallel 4]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import soxr

from appliance.audio.frames import AudioFrame, concat
from appliance.config import INSTALL_ROOT, RecordingSettings, default_config
from appliance.engines import Engines, build_engines

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from twilio_fakes import FakeTwilioRest, SimulatedCall, phone_ready_appliance  # noqa: E402

REPORT_EVERY = 100


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


QUESTIONS = ["What time is check-out?", "Do you have parking?", "Can I bring my dog?"]
#: Each caller's voice: the Piper voice played back this much faster (pitch and pace).
VOICES = (0.88, 1.12)


async def questions(engines: Engines) -> list[AudioFrame]:
    """Every question in every caller voice, as a phone line carries it (8 kHz)."""
    asked = []
    for speed in VOICES:
        for text in QUESTIONS:
            audio = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
            shifted = soxr.resample(audio.float_samples(), audio.sample_rate_hz * speed, 8000)
            asked.append(AudioFrame.from_float(shifted, 8000))
    return asked


async def short_call(
    public: str, http: aiohttp.ClientSession, rest: FakeTwilioRest, question: AudioFrame
) -> str:
    """One call: 'busy' when it was put through to the front desk, 'answered' when the
    question got a reply, 'silent' when it got none."""
    call = SimulatedCall(public)
    rest.calls.add(call.call_sid)
    twiml = await call.dial(http)
    if "<Connect>" not in twiml:
        return "busy"
    await call.connect(http, twiml)
    await call.listen(0)  # the greeting
    before = len(call.arrivals)
    await call.say(question)
    await call.listen(before)
    answered = len(call.arrivals) > before
    await call.hang_up()
    await asyncio.wait_for(call.closed.wait(), 30)
    return "answered" if answered else "silent"


async def main(total: int, parallel: int) -> None:
    config = default_config()
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config,
            paths=dataclasses.replace(config.paths, data_dir=Path(data_dir)),
            recording=RecordingSettings(enabled=True),
        )
        engines = build_engines(config)
        await engines.start()
        asked = await questions(engines)
        async with (
            phone_ready_appliance(
                config, engines, "+12075550111", prepared=True, max_concurrent_calls=parallel
            )
            as (state, public, rest),
            aiohttp.ClientSession() as http,
        ):  # fmt: skip
            print(f"{'calls':>6}{'RSS MB':>9}{'files':>7}{'live':>6}{'busy':>6}{'silent':>7}{'s':>7}")
            print(f"{0:>6}{rss_mb():>9.1f}{open_files():>7}{state.sessions.count():>6}{0:>6}{0:>7}{0:>7}")
            started, done = time.monotonic(), 0
            outcomes: Counter[str] = Counter()
            while done < total:
                batch = min(parallel, total - done)
                outcomes.update(await asyncio.gather(
                    *(short_call(public, http, rest, asked[(done + n) % len(asked)]) for n in range(batch))
                ))  # fmt: skip
                before, done = done, done + batch
                if done // REPORT_EVERY > before // REPORT_EVERY or done == total:
                    await asyncio.sleep(0.5)  # let the last calls' rows close
                    print(f"{done:>6}{rss_mb():>9.1f}{open_files():>7}{state.sessions.count():>6}"
                          f"{outcomes['busy']:>6}{outcomes['silent']:>7}{time.monotonic() - started:>7.0f}")  # fmt: skip
        engines.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.parallel))
