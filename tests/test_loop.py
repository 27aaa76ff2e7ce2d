"""The turn loop with the real models: spoken questions get spoken answers, a caller can talk
over the reply, and a booking can be made by voice."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soxr
from conftest import SPEECH_DIR, appliance_env, run_appliance, says_time
from faster_whisper import decode_audio

from appliance.app import Appliance, build_appliance
from appliance.audio.codecs import mulaw_decode, mulaw_encode
from appliance.audio.frames import AudioFrame, concat
from appliance.audio.recording import CALLER
from appliance.audio.resample import StreamResampler
from appliance.audio.vad import Endpoint, Endpointer, Pause, SpeechStarted
from appliance.config import Config, RecordingSettings, default_config
from appliance.dialogue.exchange import CollectingSink, exchange, feed_realtime, frames_of
from appliance.dialogue.loop import Conversation, TurnResult
from appliance.engines import Engines, load_model
from appliance.sessions import CallStatus, Session
from appliance.store import calls

PHONE_HZ = 8000


async def speak(engines: Engines, text: str, rate_hz: int = PHONE_HZ) -> AudioFrame:
    """A caller saying ``text``, as a phone line carries it (Piper, then 8 kHz)."""
    audio = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
    resampled = soxr.resample(audio.float_samples(), audio.sample_rate_hz, rate_hz)
    return AudioFrame.from_float(resampled, rate_hz)


async def transcribe(engines: Engines, audio: AudioFrame) -> str:
    return str(await engines.stt.run(lambda model, a: model.transcribe(a).text, audio))


class FlushMarkingSink(CollectingSink):
    """Notes how many frames had been sent when the channel was first told to drop."""

    frames_at_flush: int | None = None

    async def flush(self) -> None:
        if self.frames_at_flush is None:
            self.frames_at_flush = len(self.frames)
        await super().flush()


def conversation_on(
    state: Appliance,
    session: Session,
    sink: CollectingSink,
    config: Config,
    results: list[TurnResult],
) -> Conversation:
    return Conversation(
        state.engines,
        state.agent,
        state.sessions,
        session,
        sink,
        config.vad,
        config.dialogue,
        state.agent.lines,
        on_turn=results.append,
    )


def test_mulaw_round_trip_and_stateful_resampling_match_the_whole_signal() -> None:
    t = np.arange(8000) / 8000
    tone = AudioFrame.from_float(0.5 * np.sin(2 * np.pi * 440 * t), 8000)
    decoded = mulaw_decode(mulaw_encode(tone))
    assert len(mulaw_encode(tone)) == tone.sample_count
    assert (
        np.max(np.abs(decoded.samples().astype(int) - tone.samples())) < 700
    )  # mu-law step at this level
    # Chunk by chunk through one stream equals the whole signal at once (no edge clicks).
    stream = StreamResampler(16000)
    chunked = np.concatenate([stream(f).samples() for f in frames_of(tone)]).astype(float)
    whole = soxr.resample(tone.samples(), 8000, 16000, quality="HQ").astype(float)
    n = min(len(chunked), len(whole))
    assert n > 14000  # the stream holds back its filter delay until the next chunk
    # Past the first few samples of the filter's start-up, every chunk edge is seamless.
    assert np.max(np.abs(chunked[50:n] - whole[50:n])) < 60


def test_the_endpointer_finds_the_utterance_and_ignores_a_click(config: Config) -> None:
    samples = decode_audio(str(SPEECH_DIR / "jfk.flac"), sampling_rate=16000)[: 16000 * 2]
    speech = AudioFrame.from_float(samples, 16000)
    endpointer = Endpointer(config.vad)
    events = []
    line = [
        *frames_of(AudioFrame.silence(500, 16000)),
        *frames_of(speech),
        *frames_of(AudioFrame.silence(1000, 16000)),
    ]
    for frame in line:
        events += endpointer.feed(frame)
    kinds = [type(e) for e in events]
    assert kinds[0] is SpeechStarted and Pause in kinds and kinds.count(Endpoint) == 1
    endpoint = next(e for e in events if isinstance(e, Endpoint))
    assert 1500 < endpoint.audio.duration_ms < 2600
    assert endpoint.at_ms - endpoint.speech_end_ms == config.vad.endpoint_silence_ms

    click = np.concatenate(
        [np.zeros(8000), 0.8 * np.sign(np.sin(np.arange(800) / 3)), np.zeros(16000)]
    )
    heard = []
    for frame in frames_of(AudioFrame.from_float(click, 16000)):
        heard += endpointer.feed(frame)
    assert not any(isinstance(e, Endpoint) for e in heard)


def voice_end_ms(audio: AudioFrame, level: float = 300.0) -> float:
    """Where the voice in ``audio`` ends: the end of its last 10 ms loud enough to be voice."""
    samples = audio.samples().astype(float)
    step = audio.sample_rate_hz // 100
    loud = [i for i in range(0, len(samples) - step, step)
            if (samples[i : i + step] ** 2).mean() ** 0.5 >= level]  # fmt: skip
    return 1000 * (loud[-1] + step) / audio.sample_rate_hz


async def test_the_turn_s_silence_counts_from_the_end_of_the_voice(
    engines: Engines, config: Config
) -> None:
    """webrtcvad calls the ~120 ms after a voice stops speech; the endpoint must not wait it out."""
    lag = []
    for text in ["What time is check-out?", "Do you have parking?", "Can I bring my dog?"]:
        question = await speak(engines, text)
        line = AudioFrame(question.pcm + AudioFrame.silence(1500, PHONE_HZ).pcm, PHONE_HZ)
        endpointer, to_vad = Endpointer(config.vad), StreamResampler(16000)
        events = [e for frame in frames_of(line) for e in endpointer.feed(to_vad(frame))]
        endpoint = next(e for e in events if isinstance(e, Endpoint))
        lag.append(endpoint.speech_end_ms - voice_end_ms(question))
    assert max(abs(d) for d in lag) <= 40, [f"{d:.0f} ms" for d in lag]


async def test_a_spoken_question_gets_a_spoken_answer_with_the_fact(
    live_state: Appliance, config: Config
) -> None:
    question = await speak(live_state.engines, "What time is check-out?")
    result, sink = await exchange(
        live_state.switchboard,
        question,
        out_rate_hz=PHONE_HZ,
        caller_id="+15550001234",
    )
    assert result is not None and result.timings is not None
    assert "check" in result.transcript.lower()
    heard = await transcribe(live_state.engines, sink.audio())
    assert says_time(heard, "11"), heard  # the hotel file's 11:00, spoken as "11 AM"
    assert result.timings.voice_to_voice_ms > result.timings.endpoint_ms > 0
    rows = await live_state.store.read(
        lambda db: db.execute(
            "SELECT metric_name FROM voice_analytics WHERE metric_name = 'voice_to_voice_ms'"
        ).fetchall()
    )
    assert len(rows) == 1


async def test_a_caller_talking_over_the_reply_stops_it(
    live_state: Appliance, config: Config
) -> None:
    engines = live_state.engines
    question = await speak(engines, "When is breakfast served?")
    interruption = await speak(engines, "Sorry, actually I want to book a room for two nights.")
    sink = FlushMarkingSink(PHONE_HZ)
    session = await live_state.sessions.create_session(channel="phone")
    results: list[TurnResult] = []
    conversation = conversation_on(live_state, session, sink, config, results)
    await conversation.start(greet=False)
    await feed_realtime(conversation, question)
    silence = AudioFrame.silence(20, PHONE_HZ)
    while not sink.frames:  # wait for the reply to start playing
        conversation.feed(silence)
        await asyncio.sleep(0.02)
    for _ in range(40):  # let it play for 0.8 s
        conversation.feed(silence)
        await asyncio.sleep(0.02)
    played_before = len(sink.frames)
    await feed_realtime(conversation, interruption)
    for _ in range(150):
        if len(results) >= 2:
            break
        conversation.feed(silence)
        await asyncio.sleep(0.02)
    await conversation.close()
    first = results[0]
    assert first.interrupted and sink.flushes >= 1
    assert first.heard and len(first.heard) < len(first.reply) and first.heard.endswith("...")
    # Playback stopped once the caller had spoken long and loud enough to be no echo: the
    # voice's own lead-in, 60 ms to start speech, 120 ms of it, the 60 ms handed ahead, and a
    # little for the two cores. Not at the end of the reply.
    assert sink.frames_at_flush is not None
    played_over_ms = 20 * (sink.frames_at_flush - played_before)
    assert played_over_ms <= 600, f"the reply went on for {played_over_ms} ms over the caller"
    stored = [m.content for m in session.messages if m.role == "assistant"]
    assert stored[0] == first.heard
    assert "book" in results[1].transcript.lower()


async def test_the_reply_is_prepared_in_the_silence_and_dropped_when_the_caller_goes_on(
    live_state: Appliance, config: Config
) -> None:
    """The reply is worked out, and its first words synthesised, while the endpoint silence
    runs; a caller who pauses and goes on gets the answer to everything they said, and the
    reply prepared for their first half changes nothing."""
    engines = live_state.engines
    # A long endpoint silence and no early one: the preparation always has time to finish.
    vad = dataclasses.replace(config.vad, endpoint_silence_ms=1200, early_endpoint_ms=0)
    sink = CollectingSink(PHONE_HZ)
    session = await live_state.sessions.create_session(channel="phone", caller_id="+15557650000")
    results: list[TurnResult] = []
    conversation = Conversation(
        engines, live_state.agent, live_state.sessions, session, sink, vad, config.dialogue,
        live_state.agent.lines, on_turn=results.append,
    )  # fmt: skip
    await conversation.start(greet=False)
    silence = AudioFrame.silence(20, PHONE_HZ)

    async def say(audio: AudioFrame) -> TurnResult:
        before = len(results)
        await feed_realtime(conversation, audio)
        deadline = time.monotonic() + 60
        while (len(results) == before or not conversation.idle) and time.monotonic() < deadline:
            conversation.feed(silence)
            await asyncio.sleep(0.02)
        assert len(results) == before + 1, [r.transcript for r in results]
        return results[-1]

    asked = await say(await speak(engines, "What time is check-out?"))
    assert asked.prepared and "11" in asked.reply, asked
    went_on = concat(
        [
            await speak(engines, "I'd like to book a room for"),
            AudioFrame.silence(500, PHONE_HZ),  # long enough to start preparing a reply
            await speak(engines, "two nights from December 20th."),
        ]
    )
    booked = await say(went_on)
    await conversation.close()
    assert "20" in booked.transcript and "night" in booked.transcript.lower(), booked
    # The answer to the whole utterance: arrival and nights are known, guests are next.
    assert booked.prepared and "How many guests" in booked.reply, booked
    turns = [m.content for m in session.messages if m.role == "user"]
    assert len(turns) == 2, turns


@pytest.mark.slow
def test_the_talk_command_answers_a_recorded_question(tmp_path: Path) -> None:
    question, reply = tmp_path / "question.wav", tmp_path / "reply.wav"
    tts = load_model(default_config(), "tts")
    audio = concat(list(tts.synthesize("Do you have parking?")))
    phone = AudioFrame.from_float(
        soxr.resample(audio.float_samples(), audio.sample_rate_hz, PHONE_HZ), PHONE_HZ
    )
    with wave.open(str(question), "wb") as out:  # recorded on a phone line: 8 kHz
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(PHONE_HZ)
        out.writeframes(phone.pcm)
    talked = run_appliance(
        "talk", "--in", str(question), "--out", str(reply), "--json", env=appliance_env()
    )
    assert talked.returncode == 0, talked.stderr
    body = json.loads(talked.stdout)
    assert "parking" in body["transcript"].lower()
    assert "25 dollars" in body["reply"]
    assert set(body["timings"]) == {
        "endpoint_ms",
        "stt_ms",
        "understand_ms",
        "agent_ms",
        "tts_first_audio_ms",
        "voice_to_voice_ms",
    }
    with wave.open(str(reply)) as spoken:
        assert spoken.getnframes() / spoken.getframerate() > 2.0


@pytest.mark.slow
def test_the_chat_command_answers_from_the_hotel_file() -> None:
    chatted = run_appliance(
        "chat", env=appliance_env(), stdin="What time is check-out?\nWhere is breakfast?\nbye\n"
    )
    assert chatted.returncode == 0, chatted.stderr
    assert "Check-out is at 11 AM." in chatted.stdout
    assert "Harbor Room" in chatted.stdout
    assert "Goodbye!" in chatted.stdout


async def test_a_silent_caller_is_asked_then_the_call_ends_abandoned(
    live_state: Appliance, config: Config
) -> None:
    """The greeting, the prompt and the goodbye were rendered at start-up: the call never
    waits on the voice's worker."""
    await live_state.prepare()
    await live_state.settled()  # the questions, rendered once calls are taken
    spoken_before = live_state.engines.tts.calls
    dialogue = dataclasses.replace(config.dialogue, silence_prompt_s=2.0, silence_hangup_s=5.0)
    sink = CollectingSink(PHONE_HZ)
    session = await live_state.sessions.create_session(channel="phone")
    conversation = Conversation(
        live_state.engines,
        live_state.agent,
        live_state.sessions,
        session,
        sink,
        config.vad,
        dialogue,
        live_state.agent.lines,
    )
    await conversation.start(greet=True)
    silence = AudioFrame.silence(20, PHONE_HZ)
    deadline = time.monotonic() + 60
    while not conversation.done.is_set() and time.monotonic() < deadline:
        conversation.feed(silence)
        await asyncio.sleep(0.005)  # the line's clock is the audio: faster than real time is fine
    assert conversation.outcome is CallStatus.ABANDONED
    said = [m.content for m in session.messages if m.role == "assistant"]
    assert said[0].startswith("Thank you for calling Harbor View Hotel")
    assert "Are you still there?" in said and said[-1].endswith("Goodbye!")
    call = await live_state.store.read(calls.get_call, session.id)
    assert call["status"] == "abandoned"
    assert live_state.engines.tts.calls == spoken_before
    assert len(sink.frames) > 100  # and the caller heard all three


async def test_a_card_read_just_before_hanging_up_is_not_in_the_recording(
    engines: Engines, config: Config
) -> None:
    """The card's words never come back (the caller hung up): its audio is silenced anyway,
    and the question answered before it is kept."""
    settings = dataclasses.replace(config, recording=RecordingSettings(enabled=True))
    state = await build_appliance(settings, engines)
    state.open_for_calls()
    question = await speak(engines, "What time is check-out?")
    card = await speak(engines, "My card is four one one one, one one one one, one one one one.")
    sink = CollectingSink(PHONE_HZ)
    session = await state.sessions.create_session(channel="phone")
    results: list[TurnResult] = []
    conversation = conversation_on(state, session, sink, config, results)
    await conversation.start(greet=False)
    await feed_realtime(conversation, question)
    silence = AudioFrame.silence(20, PHONE_HZ)
    deadline = time.monotonic() + 60
    while not results and time.monotonic() < deadline:  # the answer plays out in full
        conversation.feed(silence)
        await asyncio.sleep(0.02)
    assert results, "no answer to the question"
    for _ in range(25):
        conversation.feed(silence)
        await asyncio.sleep(0.02)
    card_starts_s = session.recorder.position_ms(CALLER) / 1000  # type: ignore[union-attr]
    await feed_realtime(conversation, card)
    await conversation.close(CallStatus.ABANDONED)  # hung up at once
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    with wave.open(call["recording_url"]) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    question_s = len(question.pcm) / 2 / PHONE_HZ
    asked = samples[int(0.1 * rate) : int((question_s - 0.1) * rate)]
    read_out = samples[int(card_starts_s * rate) :]
    assert np.sqrt(np.mean(asked**2)) > 300
    assert len(read_out) > rate and not read_out.any()
    assert [m.role for m in session.messages] == ["user", "assistant"]


async def test_a_reply_starts_with_its_first_sound_not_the_voice_s_lead_in(
    live_state: Appliance, config: Config
) -> None:
    leads = []
    for text in [
        "Thank you for calling Harbor View Hotel.",
        "Check-out is at 11 AM.",
        "Of course.",
    ]:
        sink = CollectingSink(PHONE_HZ)
        session = await live_state.sessions.create_session(channel="phone")
        conversation = conversation_on(live_state, session, sink, config, [])
        await conversation.start(greet=False)
        await conversation.say(text)
        await conversation.close()
        samples = np.abs(sink.audio().samples().astype(int))
        leads.append(1000 * int(np.flatnonzero(samples >= 300)[0]) / PHONE_HZ)
    assert max(leads) <= 15, [f"{ms:.0f} ms" for ms in leads]
