"""The real models behind their worker threads: they hear, speak and answer, off the loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import date
from typing import Any

from conftest import SPEECH_DIR, says_time
from faster_whisper import decode_audio

from appliance.audio.frames import AudioFrame, concat
from appliance.config import default_config
from appliance.engines import Engines
from appliance.llm.base import ChatMessage


def _transcribe(model: Any, audio: AudioFrame) -> str:
    return str(model.transcribe(audio).text)


def _speak(model: Any, text: str) -> list[AudioFrame]:
    return list(model.synthesize(text))


async def test_whisper_hears_a_real_recording(engines: Engines) -> None:
    samples = decode_audio(str(SPEECH_DIR / "jfk.flac"), sampling_rate=16000)
    text = await engines.stt.run(_transcribe, AudioFrame.from_float(samples, 16000))
    assert "ask not what your country can do for you" in text.lower()


async def test_whisper_hears_telephone_audio_at_8_khz(engines: Engines) -> None:
    samples = decode_audio(str(SPEECH_DIR / "jfk.flac"), sampling_rate=8000)
    text = await engines.stt.run(_transcribe, AudioFrame.from_float(samples, 8000))
    assert "what you can do for your country" in text.lower()


async def test_piper_speech_is_understood_by_whisper(engines: Engines) -> None:
    # Times are written as the agent writes them ("11 AM"): Piper reads those clearly, while
    # a spelled-out "eleven" is sometimes heard as "a living" by tiny.en.
    frames = await engines.tts.run(
        _speak, "Check-out is at 11 AM. Breakfast is served from 6:30 to 10:30."
    )
    assert len(frames) == 2  # one frame per sentence, as each is made
    assert frames[0].sample_rate_hz == 22050
    speech = concat(frames)
    assert 2000 < speech.duration_ms < 8000
    heard = (await engines.stt.run(_transcribe, speech)).lower()
    assert "check out" in heard and says_time(heard, "11"), heard
    assert says_time(heard, "6:30") and says_time(heard, "10:30"), heard


async def test_the_language_model_completes_and_streams(engines: Engines) -> None:
    messages = [
        ChatMessage("system", "You are the front desk of a hotel. Answer in one short sentence."),
        ChatMessage("user", "Good evening!"),
    ]
    reply = await engines.llm.run(lambda m, msgs: m.complete(msgs, 24), messages)
    assert reply.strip()
    pieces = await engines.llm.run(lambda m, msgs: list(m.stream(msgs, 24)), messages)
    assert len(pieces) > 1 and "".join(pieces).strip()


async def test_concurrent_calls_queue_on_one_thread_per_model(engines: Engines) -> None:
    threads: list[str] = []

    def record(model: Any, text: str) -> int:
        threads.append(threading.current_thread().name)
        return len(model.complete([ChatMessage("user", text)], 8))

    await asyncio.gather(*(engines.llm.run(record, f"Say {n}.") for n in range(3)))
    assert len(set(threads)) == 1 and threads[0].startswith("model-llm")


async def test_later_sentences_wait_for_another_caller_s_first_words(engines: Engines) -> None:
    """On the voice's one thread, a sentence marked as able to wait goes behind every
    ordinary call queued before it starts; one whose caller gave up never runs."""
    order: list[str] = []
    release = threading.Event()

    def hold(model: Any) -> None:
        release.wait(10)

    def speak(model: Any, who: str) -> str:
        order.append(who)
        return who

    holding = asyncio.ensure_future(engines.tts.run(hold))
    await asyncio.sleep(0.05)  # the thread is busy now: what follows queues
    later = asyncio.ensure_future(engines.tts.run_when_free(speak, "A's third sentence"))
    gone = asyncio.ensure_future(engines.tts.run(speak, "a caller who hung up"))
    first = asyncio.ensure_future(engines.tts.run(speak, "B's first words"))
    await asyncio.sleep(0.05)  # all three queued
    gone.cancel()
    await asyncio.sleep(0.05)  # the cancellation reaches the queued call
    release.set()
    await asyncio.gather(holding, later, first)
    assert order == ["B's first words", "A's third sentence"]
    # The real voice behind the same queue still speaks.
    assert sum(len(f.pcm) for f in await engines.tts.run_when_free(_speak, "Hello.")) > 0


async def test_the_event_loop_stays_responsive_while_a_model_runs(engines: Engines) -> None:
    gaps: list[float] = []
    finished = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not finished.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    def long_reply(model: Any) -> str:
        return str(model.complete([ChatMessage("user", "Describe a hotel lobby in detail.")], 64))

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    await engines.llm.run(long_reply)
    inference_s = time.perf_counter() - started
    finished.set()
    await ticking
    # Had the completion run on the loop, one gap would span the whole inference.
    assert max(gaps) < inference_s / 2, (max(gaps), inference_s)
    assert len(gaps) > 5


async def test_a_grammar_holds_the_model_to_the_command_schema(engines: Engines) -> None:
    """The mechanism the LLM understander stands on, with the bundled model: under the
    grammar, even a 135M model answers JSON of the commands' schema, which parses."""
    from appliance.hotel.model import load_hotel
    from appliance.understanding.llm import command_schema, system_prompt

    hotel = load_hotel(default_config().paths.hotel_file)
    messages = [
        ChatMessage("system", system_prompt(hotel, date(2026, 12, 2))),
        ChatMessage("user", "What time is check-out?"),
    ]
    schema = command_schema(hotel)
    answer = await engines.llm.run(lambda m, msgs: m.complete_json(msgs, schema, 120), messages)
    data = json.loads(answer)
    assert isinstance(data["commands"], list) and data["commands"], answer
    assert all(item["type"] in schema["properties"]["commands"]["items"]["properties"]["type"]["enum"]
               for item in data["commands"]), answer  # fmt: skip
