"""Many short phone calls in a row against the real server, models and media streams: does
anything grow? Each call is dialled, streams a second of the caller's line and hangs up, a
few at a time; every 100 calls the process's resident memory, its open files and the live
sessions are printed. A leak shows as memory that keeps climbing after the first hundred.

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
from pathlib import Path

import aiohttp

from appliance.audio.frames import AudioFrame
from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import build_engines

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


async def short_call(public: str, http: aiohttp.ClientSession, rest: FakeTwilioRest) -> bool:
    call = SimulatedCall(public)
    rest.calls.add(call.call_sid)
    twiml = await call.dial(http)
    if "<Connect>" not in twiml:
        return False
    await call.connect(http, twiml)
    await call.say(AudioFrame.silence(1000, 8000))
    await call.hang_up()
    await asyncio.wait_for(call.closed.wait(), 30)
    return True


async def main(total: int, parallel: int) -> None:
    config = default_config()
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config, paths=dataclasses.replace(config.paths, data_dir=Path(data_dir))
        )
        engines = build_engines(config)
        await engines.start()
        async with (
            phone_ready_appliance(
                config, engines, "+12075550111", prepared=True, max_concurrent_calls=parallel
            )
            as (state, public, rest),
            aiohttp.ClientSession() as http,
        ):  # fmt: skip
            print(f"{'calls':>6}{'RSS MB':>9}{'files':>7}{'live':>6}{'busy':>6}{'s':>7}")
            print(f"{0:>6}{rss_mb():>9.1f}{open_files():>7}{state.sessions.count():>6}{0:>6}{0:>7}")
            started, done, busy = time.monotonic(), 0, 0
            while done < total:
                batch = min(parallel, total - done)
                answered = await asyncio.gather(
                    *(short_call(public, http, rest) for _ in range(batch))
                )
                busy += answered.count(False)
                before, done = done, done + batch
                if done // REPORT_EVERY > before // REPORT_EVERY or done == total:
                    await asyncio.sleep(0.5)  # let the last calls' rows close
                    print(f"{done:>6}{rss_mb():>9.1f}{open_files():>7}{state.sessions.count():>6}"
                          f"{busy:>6}{time.monotonic() - started:>7.0f}")  # fmt: skip
        engines.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.parallel))
