"""Simultaneous browser calls on loopback: N WebRTC callers at once (aiortc, speaking the guest
page's signalling), each asking a few questions in espeak-ng's voice, against the real server
and models.

Voice-to-voice is measured as the guest lives it: from the last voiced moment of their
question to the arrival of the first sound of the reply. The reply track is paced at real
time by the appliance, so arrival is when it would play, less the browser's own jitter
buffer (some tens of milliseconds). The voice is espeak-ng's, not the appliance's Piper voice,
so the endpointing is not tuned to the voice it hears.

Prints, per N: voice-to-voice p50/p95 and how many questions were answered.

    .venv/bin/python benchmarks/browser_calls.py [--calls 1 4]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from aiohttp import web

from appliance.app import build_appliance
from appliance.audio.frames import AudioFrame
from appliance.channels.webrtc.client import RemoteCall
from appliance.config import WebRtcSettings, default_config
from appliance.engines import build_engines
from appliance.server import create_app

QUESTIONS = ["What time is check-out?", "Do you have parking?", "Can I bring my dog?"]
RATE_HZ = 48000
VOICED_RMS = 300.0


def espeak(text: str, folder: Path, voice: str) -> AudioFrame:
    wav = folder / "q.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(wav), text], check=True)
    raw = subprocess.run(
        ["sox", str(wav), "-t", "raw", "-e", "signed", "-b", "16", "-r", str(RATE_HZ), "-c", "1", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return AudioFrame(raw, RATE_HZ)


def loud(frame: AudioFrame) -> bool:
    samples = frame.samples().astype(np.float64)
    return bool(len(samples)) and float(np.sqrt(np.mean(samples * samples))) >= VOICED_RMS


def last_voiced_s(audio: AudioFrame) -> float:
    step = audio.sample_rate_hz // 100 * 2
    ends = [
        i
        for i in range(0, len(audio.pcm), step)
        if loud(AudioFrame(audio.pcm[i : i + step], audio.sample_rate_hz))
    ]
    return (ends[-1] + step) / 2 / audio.sample_rate_hz if ends else 0.0


class Ear:
    def __init__(self) -> None:
        self.sounds: list[float] = []

    def play(self, frame: AudioFrame) -> None:
        if loud(frame):
            self.sounds.append(time.monotonic())


async def caller(url: str, questions: list[AudioFrame], results: list[float | None]) -> None:
    ear = Ear()
    call = RemoteCall(url, ear)
    await call.connect()
    await asyncio.sleep(4.0)  # the greeting
    for audio in questions:
        silence = bytes(RATE_HZ * 2 * 3)  # 3 s for the reply to start
        pcm = audio.pcm + silence
        step = RATE_HZ * 20 // 1000 * 2
        started = time.monotonic()
        voiced_end = started + last_voiced_s(audio)
        for index, offset in enumerate(range(0, len(pcm), step)):
            call.feed(AudioFrame(pcm[offset : offset + step], RATE_HZ))
            await asyncio.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))
        first = next((t for t in ear.sounds if t > voiced_end), None)
        results.append(None if first is None else (first - voiced_end) * 1000)
        await asyncio.sleep(5.0)  # let the reply play out
    await call.close()


async def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        defaults = default_config()
        config = dataclasses.replace(
            defaults,
            paths=dataclasses.replace(defaults.paths, data_dir=folder / "data"),
            # Every simulated guest calls from loopback: one address holds them all.
            webrtc=WebRtcSettings(
                host_addresses=("127.0.0.1",), max_sessions=max(counts),
                max_calls_per_address=max(counts), max_sockets_per_address=2 * max(counts),
            ),  # fmt: skip
        )
        voices = ["en-us", "en-gb"]
        questions = {v: [espeak(q, folder, v) for q in QUESTIONS] for v in voices}
        engines = build_engines(config)
        await engines.start()
        state = await build_appliance(config, engines)
        await state.prepare()
        await state.settled()
        state.open_for_calls()
        runner = web.AppRunner(create_app(state), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        try:
            for count in counts:
                results: list[float | None] = []
                await asyncio.gather(
                    *(caller(url, questions[voices[i % 2]], results) for i in range(count))
                )
                answered = [r for r in results if r is not None]
                ordered = sorted(answered)
                p95 = (
                    ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
                    if ordered
                    else 0
                )
                print(
                    f"{count} call(s): voice-to-voice p50 {statistics.median(answered) if answered else 0:.0f} ms, "
                    f"p95 {p95:.0f} ms; answered {len(answered)}/{len(results)}",
                    flush=True,
                )
        finally:
            await state.close()
            await runner.cleanup()
            engines.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 4])
    asyncio.run(main(parser.parse_args().calls))
    sys.exit(0)
