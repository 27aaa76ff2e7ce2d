"""One exchange through the real loop, as `appliance talk` and the tests drive it: caller audio
played in at real time, the reply collected as the channel would have sent it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol

from appliance.audio.frames import AudioFrame, concat
from appliance.dialogue.loop import TurnResult
from appliance.switchboard import Switchboard

FEED_FRAME_MS = 20


@dataclass
class CollectingSink:
    """A channel that keeps what it is sent."""

    sample_rate_hz: int
    frames: list[AudioFrame] = field(default_factory=list)
    flushes: int = 0

    async def play(self, frame: AudioFrame) -> None:
        self.frames.append(frame)

    async def flush(self) -> None:
        self.flushes += 1

    def audio(self) -> AudioFrame:
        return concat(self.frames) if self.frames else AudioFrame(b"", self.sample_rate_hz)


def frames_of(audio: AudioFrame, frame_ms: int = FEED_FRAME_MS) -> list[AudioFrame]:
    step = audio.sample_rate_hz * frame_ms // 1000 * 2
    return [
        AudioFrame(audio.pcm[i : i + step], audio.sample_rate_hz)
        for i in range(0, len(audio.pcm) - step + 1, step)
    ]


class Fed(Protocol):
    """What takes caller audio: a live call, or a conversation's loop."""

    def feed(self, frame: AudioFrame) -> None: ...


async def feed_realtime(conversation: Fed, audio: AudioFrame, realtime: bool = True) -> None:
    """Play ``audio`` into the loop in 20 ms frames, at the pace a caller speaks."""
    started = time.perf_counter()
    for index, frame in enumerate(frames_of(audio)):
        conversation.feed(frame)
        if realtime:
            due = started + (index + 1) * FEED_FRAME_MS / 1000
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        else:
            await asyncio.sleep(0)


async def exchange(
    switchboard: Switchboard,
    utterance: AudioFrame,
    out_rate_hz: int = 16000,
    timeout_s: float = 30.0,
    channel: str = "cli",
    caller_id: str | None = None,
) -> tuple[TurnResult | None, CollectingSink]:
    """Say ``utterance`` to the agent and wait for its whole reply; silence follows the
    utterance as it would on a line."""
    sink = CollectingSink(out_rate_hz)
    call = await switchboard.open(channel, sink, caller_id=caller_id, greet=False)
    await feed_realtime(call, utterance)
    silence = AudioFrame.silence(FEED_FRAME_MS, utterance.sample_rate_hz)
    deadline = time.perf_counter() + timeout_s
    while not call.results and not call.done.is_set() and time.perf_counter() < deadline:
        call.feed(silence)
        await asyncio.sleep(FEED_FRAME_MS / 1000)
    await call.close()
    return (call.results[0] if call.results else None), sink
