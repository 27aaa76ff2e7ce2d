"""One exchange through the real loop, as `appliance talk` and the tests drive it: caller audio
played in at real time, the reply collected as the channel would have sent it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from appliance.appstate import ServerState
from appliance.audio.frames import AudioFrame, concat
from appliance.config import DialogueSettings, VadSettings
from appliance.dialogue.loop import Conversation, TurnResult

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


async def feed_realtime(
    conversation: Conversation, audio: AudioFrame, realtime: bool = True
) -> None:
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
    state: ServerState,
    vad: VadSettings,
    dialogue: DialogueSettings,
    utterance: AudioFrame,
    out_rate_hz: int = 16000,
    timeout_s: float = 30.0,
    channel: str = "cli",
    caller_id: str | None = None,
) -> tuple[TurnResult | None, CollectingSink]:
    """Say ``utterance`` to the agent and wait for its whole reply; silence follows the
    utterance as it would on a line."""
    sink = CollectingSink(out_rate_hz)
    session = await state.sessions.create_session(channel=channel, caller_id=caller_id)
    turned = asyncio.Event()
    conversation = Conversation(
        state.engines,
        state.agent,
        state.sessions,
        session,
        sink,
        vad,
        dialogue,
        on_turn=lambda _: turned.set(),
    )
    await conversation.start(greet=False)
    await feed_realtime(conversation, utterance)
    silence = AudioFrame.silence(FEED_FRAME_MS, utterance.sample_rate_hz)
    deadline = time.perf_counter() + timeout_s
    while not turned.is_set() and not conversation.done.is_set() and time.perf_counter() < deadline:
        conversation.feed(silence)
        await asyncio.sleep(FEED_FRAME_MS / 1000)
    await conversation.close()
    return (conversation.results[0] if conversation.results else None), sink
