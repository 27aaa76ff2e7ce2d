"""Turn latency of the real loop: caller utterances played in at real time as 8 kHz phone
audio, through endpointing, speech-to-text, the agent and Piper, to the first reply frame.

Prints p50/p95 of voice-to-voice (end of the caller's speech to the first reply audio frame
leaving the loop, endpoint silence included), each stage, and the CPU seconds one turn
costs, which bounds how many calls one box holds.

    .venv/bin/python benchmarks/turn_latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import soxr
from faster_whisper import decode_audio

from appliance.app import build_appliance
from appliance.audio.frames import AudioFrame, concat
from appliance.config import INSTALL_ROOT, default_config
from appliance.dialogue.exchange import exchange
from appliance.engines import build_engines

PHONE_HZ = 8000
QUESTIONS = [
    "What time is check-out?",
    "And when is breakfast served?",
    "Do you have parking?",
    "I'd like to book a room for two nights from December 20th.",
    "Can I bring my dog?",
    "What's the Wi-Fi password?",
    "Can I speak to the front desk?",
    "Is there a shuttle to the airport?",
]
SPEECH_DIR = INSTALL_ROOT.parent / "shared" / "fixtures" / "speech"


def phone(audio: AudioFrame) -> AudioFrame:
    return AudioFrame.from_float(
        soxr.resample(audio.float_samples(), audio.sample_rate_hz, PHONE_HZ), PHONE_HZ
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


async def main(rounds: int) -> None:
    config = default_config()
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config, paths=dataclasses.replace(config.paths, data_dir=Path(data_dir))
        )
        engines = build_engines(config)
        state = await build_appliance(config, engines)
        await engines.start()
        await state.start()  # as serve does once the models load
        await state.settled()  # and a few seconds later: every fixed sentence rendered
        utterances: list[tuple[str, AudioFrame]] = []
        for text in QUESTIONS:
            spoken = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
            utterances.append((f"piper: {text}", phone(spoken)))
        for name, seconds in (("jfk.flac", 11.0), ("multilingual.mp3", 6.0)):
            samples = decode_audio(str(SPEECH_DIR / name), sampling_rate=PHONE_HZ)[
                : int(seconds * PHONE_HZ)
            ]
            utterances.append(
                (f"recording: {name} ({seconds:.0f} s)", AudioFrame.from_float(samples, PHONE_HZ))
            )

        rows: list[dict[str, float]] = []
        missed = 0
        for round_number in range(rounds):
            for label, audio in utterances:
                cpu_before = time.process_time()
                result, _ = await exchange(
                    state.switchboard, audio, out_rate_hz=PHONE_HZ, channel="phone"
                )
                cpu_s = time.process_time() - cpu_before
                if result is None or result.timings is None:
                    why = (
                        "the caller talked over the reply"
                        if result and result.interrupted
                        else "no reply"
                    )
                    print(f"  {label}: {why}")
                    missed += 1  # counted below as never answered, not left out
                    continue
                row = {**dataclasses.asdict(result.timings), "cpu_s": cpu_s}
                rows.append(row)
                if round_number == 0:
                    print(
                        f"  {label}: heard {result.transcript!r}, v2v {row['voice_to_voice_ms']:.0f} ms"
                    )
        await state.close()
        engines.close()

    print(
        f"\n{len(rows) + missed} turns ({missed} with no reply, in voice_to_voice_ms as never"
        f" answered) on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'stage':<22}{'p50':>10}{'p95':>10}{'mean':>10}")
    for key in ("endpoint_ms", "stt_ms", "understand_ms", "agent_ms", "tts_first_audio_ms", "voice_to_voice_ms"):
        values = [r[key] for r in rows] + ([math.inf] * missed if key == "voice_to_voice_ms" else [])
        print(
            f"{key:<22}{statistics.median(values):>10.0f}{percentile(values, 0.95):>10.0f}{statistics.fmean(values):>10.0f}"
        )
    cpu = [r["cpu_s"] for r in rows]
    print(
        f"{'cpu_s per turn':<22}{statistics.median(cpu):>10.2f}{percentile(cpu, 0.95):>10.2f}{statistics.fmean(cpu):>10.2f}"
    )
    print(
        "\nvoice_to_voice_ms runs from the end of the caller's speech to the first reply frame, endpoint silence included."
    )
    print(
        "cpu_s counts every thread of the process over the whole exchange, reply playback included."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
