"""Call recordings: both sides time-aligned in one WAV, card digits silenced by the same rule as
the transcript, unchecked caller audio never kept, crashes recovered, files private, local files
or an S3 bucket (a real S3 endpoint on loopback)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import boto3
import numpy as np
import pytest
from aiohttp import web
from conftest import SPEECH_DIR, appliance_env, free_port, run_appliance
from faster_whisper import decode_audio
from moto.server import ThreadedMotoServer

from appliance.app import build_appliance
from appliance.audio.frames import AudioFrame
from appliance.audio.recording import AGENT, CALLER
from appliance.config import Config, RecordingSettings
from appliance.engines import build_engines
from appliance.errors import StoreError
from appliance.server import create_app
from appliance.sessions import CallStatus, SessionError
from appliance.store import calls
from appliance.store.recordings import LocalRecordings

PHONE_RATE_HZ = 8000
FRAME_MS = 20


def phone_frames(seconds: float) -> list[AudioFrame]:
    """Real speech as a phone caller is heard: 8 kHz, 20 ms frames."""
    samples = decode_audio(str(SPEECH_DIR / "jfk.flac"), sampling_rate=PHONE_RATE_HZ)[
        : int(seconds * PHONE_RATE_HZ)
    ]
    whole = AudioFrame.from_float(samples, PHONE_RATE_HZ)
    step = PHONE_RATE_HZ * FRAME_MS // 1000 * 2
    return [
        AudioFrame(whole.pcm[i : i + step], PHONE_RATE_HZ) for i in range(0, len(whole.pcm), step)
    ]


def tone(seconds: float, rate_hz: int = 22050, freq_hz: float = 440.0) -> AudioFrame:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    return AudioFrame.from_float(0.3 * np.sin(2 * np.pi * freq_hz * t), rate_hz)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2"), wav.getframerate()


def recording_config(config: Config, **settings: str) -> Config:
    return dataclasses.replace(config, recording=RecordingSettings(enabled=True, **settings))  # type: ignore[arg-type]


def span(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> np.ndarray:
    return samples[int(start_s * rate) : int(end_s * rate)]


async def test_both_sides_are_mixed_time_aligned_into_one_wav(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone", caller_id="+15550101010")
    for frame in phone_frames(2.0):  # the caller speaks for 2 s
        session.record(CALLER, frame)
    session.add_message("user", "And what time is breakfast?")
    session.record(AGENT, tone(1.0), at_ms=3000)  # the agent answers from 3 s to 4 s
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()

    path = Path(call["recording_url"])
    assert path.is_file() and path.is_relative_to(settings.paths.data_dir / "recordings")
    samples, rate = read_wav(path)
    assert rate == 16000
    assert len(samples) == pytest.approx(4.0 * rate, abs=rate * 0.05)
    speech, gap, answer = (
        rms(span(samples, rate, 0.2, 1.9)),
        rms(span(samples, rate, 2.1, 2.9)),
        rms(span(samples, rate, 3.1, 3.9)),
    )
    assert speech > 300 and answer > 3000 and gap < 50
    assert not list((settings.paths.data_dir / "recordings" / ".live").glob("*.raw"))


async def test_the_utterance_with_a_card_number_is_silenced(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    frames = phone_frames(3.0)
    for frame in frames[:50]:  # one second of an ordinary question
        session.record(CALLER, frame)
    session.add_message("user", "What time is check-out?")
    for frame in frames[50:100]:  # the talk turns to paying: silent from that turn on
        session.record(CALLER, frame)
    session.add_message("user", "I'd like to pay now.")
    for frame in frames[100:]:  # then the card number is read out
        session.record(CALLER, frame)
    session.add_message(
        "user", "It's four one one one, one one one one, one one one one, one one one one."
    )
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()

    samples, rate = read_wav(Path(call["recording_url"]))
    assert rms(span(samples, rate, 0.2, 0.9)) > 300  # before the talk turned to paying: kept
    card_part = span(samples, rate, 1.0, 3.0)
    assert len(card_part) and rms(card_part) == 0.0
    said = [turn["content"] for turn in call["turns"]]
    assert said[0] == "What time is check-out?" and said[1] == "I'd like to pay now."
    assert not any("4111" in s or "one one one one" in s for s in said), said


async def test_a_recording_cut_off_by_a_crash_is_finished_without_its_unchecked_audio(
    config: Config,
) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    first = await build_appliance(settings, engines)
    session = await first.sessions.create_session(channel="webrtc")
    frames = phone_frames(2.0)
    for frame in frames[:50]:
        session.record(CALLER, frame)
    session.add_message("user", "Hello, is that the front desk?")
    for frame in frames[50:]:  # the next utterance: the process dies before its words come
        session.record(CALLER, frame)
    await session.recorder.close()  # type: ignore[union-attr]  # the process dies: nothing is finished
    first.sessions._sessions.clear()
    await first.close()
    second = await build_appliance(settings, engines)
    call = await second.store.read(calls.get_call, session.id)
    await second.close()
    engines.close()
    assert call["status"] == "interrupted"
    samples, rate = read_wav(Path(call["recording_url"]))
    assert len(samples) == pytest.approx(2 * rate, abs=rate * 0.05)
    assert rms(span(samples, rate, 0.1, 0.95)) > 300  # the checked turn is kept
    assert rms(span(samples, rate, 1.0, 2.0)) == 0.0  # the unchecked one is not
    assert not list((settings.paths.data_dir / "recordings" / ".live").iterdir())


async def test_a_caller_who_hangs_up_before_their_words_are_checked_is_not_heard(
    config: Config,
) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    frames = phone_frames(3.0)
    for frame in frames[:50]:
        session.record(CALLER, frame)
    session.add_message("user", "What time is breakfast?")
    for frame in frames[50:75]:
        session.record(CALLER, frame)
    session.add_message("user", "I'd like to pay now.")
    for frame in frames[75:]:  # the card is read out; the caller hangs up; no words ever come
        session.record(CALLER, frame)
    await state.sessions.end_session(session.id, CallStatus.ABANDONED)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()
    samples, rate = read_wav(Path(call["recording_url"]))
    assert rms(span(samples, rate, 0.1, 0.95)) > 300
    assert len(span(samples, rate, 1.0, 3.0)) and rms(span(samples, rate, 1.0, 3.0)) == 0.0


async def test_a_card_read_over_four_turns_is_silenced_in_all_of_them(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    frames = phone_frames(3.0)
    for frame in frames[:30]:
        session.record(CALLER, frame)
    session.add_message("user", "Is breakfast included?")
    for frame in frames[30:45]:  # the talk turns to the card: silent from this turn on
        session.record(CALLER, frame)
    session.add_message("user", "I'll give you my card.")
    for turn, group in enumerate(["4111", "1111", "1111", "1111"]):
        for frame in frames[45 + 25 * turn : 70 + 25 * turn]:
            session.record(CALLER, frame)
        session.add_message("user", group)
        session.add_message("assistant", "Go on.")
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()
    said = [t["content"] for t in call["turns"] if t["role"] == "user"]
    assert said[:2] == ["Is breakfast included?", "I'll give you my card."] and not any(
        ch.isdigit() for turn in said for ch in turn
    ), said
    samples, rate = read_wav(Path(call["recording_url"]))
    assert rms(span(samples, rate, 0.1, 0.55)) > 300
    assert rms(span(samples, rate, 0.6, 2.9)) == 0.0


@pytest.mark.parametrize(
    ("said", "removed", "silenced"),
    [
        ("order 1234 5678 9012 3456", True, True),  # fails the Luhn check: a card all the same
        ("my card is 4111 1111 1111 1111", True, True),
        # A phone number is labelled in the words, and is no card: its audio stays.
        ("call me back on 555 123 4567", True, False),
        ("I'm in room 204.", False, False),
    ],
)
async def test_the_recording_is_silenced_exactly_where_card_data_is_removed(
    config: Config, said: str, removed: bool, silenced: bool
) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    for frame in phone_frames(1.0):
        session.record(CALLER, frame)
    kept = session.add_message("user", said).content
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()
    samples, rate = read_wav(Path(call["recording_url"]))
    assert (kept != said) is removed and (call["turns"][0]["content"] != said) is removed
    assert (rms(span(samples, rate, 0.1, 0.95)) == 0.0) is silenced


async def test_recordings_and_their_folders_are_private(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    for frame in phone_frames(0.5):
        session.record(CALLER, frame)
    live = settings.paths.data_dir / "recordings" / ".live"
    raw_modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in live.iterdir()}
    await state.sessions.end_session(session.id)
    wav = Path((await state.store.read(calls.get_call, session.id))["recording_url"])
    await state.close()
    engines.close()
    assert set(raw_modes.values()) == {0o600}, raw_modes
    assert stat.S_IMODE(wav.stat().st_mode) == 0o600
    recordings = settings.paths.data_dir / "recordings"
    folders = [live, *[wav.parent, *wav.parent.parents][:4]]  # DD, MM, YYYY, recordings
    assert recordings in folders
    assert {f: stat.S_IMODE(f.stat().st_mode) for f in folders} == dict.fromkeys(folders, 0o700)


async def test_a_call_id_that_is_a_path_never_names_a_file(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    try:
        for bad in ("../../outside", "CA/../../x", "..", "CA 1", "a" * 65):
            with pytest.raises(SessionError, match="session id"):
                await state.sessions.create_session(channel="phone", session_id=bad)
    finally:
        await state.close()
        engines.close()
    storage = LocalRecordings(settings.paths.data_dir / "recordings")
    with pytest.raises(StoreError, match="cannot name a recording"):
        storage.start("../escaped", datetime.now(UTC))
    outside = [
        p
        for p in settings.paths.data_dir.parent.rglob("*")
        if "outside" in p.name or "escaped" in p.name
    ]
    assert outside == [] and os.path.isdir(settings.paths.data_dir)


@pytest.fixture()
def s3_endpoint() -> Iterator[str]:
    """A real S3 HTTP endpoint on loopback (moto's server), standing in for the hotel's store."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_recordings_go_to_an_s3_bucket_and_erase_removes_them(
    config: Config, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    client.create_bucket(Bucket="hotel-calls")
    settings = recording_config(
        config, storage="s3", s3_bucket="hotel-calls", s3_endpoint_url=s3_endpoint,
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone", caller_id="+15552223333")
    for frame in phone_frames(1.0):
        session.record(CALLER, frame)
    await state.sessions.end_session(session.id, CallStatus.COMPLETED)
    url = (await state.store.read(calls.get_call, session.id))["recording_url"]
    assert url.startswith("s3://hotel-calls/recordings/") and url.endswith(f"{session.id}.wav")
    key = url.removeprefix("s3://hotel-calls/")
    head = client.head_object(Bucket="hotel-calls", Key=key)
    assert head["ContentLength"] > 30000 and head["ContentType"] == "audio/wav"

    # The dashboard plays it from the bucket, and writes who played it to the access log.
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/dashboard/recordings/{session.id}") as reply,
    ):
        assert reply.status == 200 and reply.content_type == "audio/wav"
        played = await reply.read()
    await runner.cleanup()
    stored = client.get_object(Bucket="hotel-calls", Key=key)["Body"].read()
    assert played == stored and played[:4] == b"RIFF"
    log = await state.store.read(
        lambda db: db.execute("SELECT action, session_id FROM access_log").fetchall()
    )
    assert log == [("play-recording", session.id)]
    # Nothing outside the configured stores is served as a recording.
    assert await state.records.recording("s3://another-bucket/recordings/x.wav") is None
    assert await state.records.recording("/etc/passwd") is None

    report = await state.records.erase("+15552223333")
    await state.close()
    engines.close()
    assert report["recordings"] == 1 and report["recordings_elsewhere"] == []
    assert client.list_objects_v2(Bucket="hotel-calls").get("KeyCount", 0) == 0


async def test_the_agent_repeating_card_digits_is_silenced_and_its_own_numbers_are_kept(
    config: Config,
) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    session = await state.sessions.create_session(channel="phone")
    session.add_message("user", "my card is 4539 1488 0343 6467", heard_until_ms=0.0)
    prices = "We have a queen at 149 dollars, a king at 189 dollars or a suite at 289 dollars a night."
    echo = "I couldn't find a reservation under the code 4, 5, 3, 9, 1, 4."
    said = []
    for n, text in enumerate([prices, echo, "Our breakfast is served until 10."]):
        session.record(AGENT, tone(1.0), at_ms=1000 * n)
        said.append(session.add_message("assistant", text, spoken_ms=(1000 * n, 1000 * (n + 1))))
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()
    samples, rate = read_wav(Path(call["recording_url"]))
    assert said[0].content == prices and rms(span(samples, rate, 0.1, 0.9)) > 3000
    assert not any(ch.isdigit() for ch in said[1].content) and "4539" not in str(call)
    assert rms(span(samples, rate, 1.0, 2.0)) == 0.0
    assert said[2].content.endswith("until 10.") and rms(span(samples, rate, 2.1, 2.9)) > 3000


async def test_files_a_call_left_with_no_recording_to_finish_are_removed_at_start(
    config: Config,
) -> None:
    """A disk that filled as a call began left its raw files empty, and no row says where their
    recording goes: nothing can finish them, so the next start removes them. A raw file whose
    call does name its recording is finished as before."""
    settings = recording_config(config)
    engines = build_engines(settings)
    first = await build_appliance(settings, engines)
    kept = await first.sessions.create_session(channel="phone")
    for frame in phone_frames(0.5):
        kept.record(CALLER, frame)
    await kept.recorder.close()  # type: ignore[union-attr]  # the process dies mid-call
    first.sessions._sessions.clear()
    await first.close()
    live = settings.paths.data_dir / "recordings" / ".live"
    for name in ("CAfull0001.raw", "CAfull0001.checked", "CAfull0002.raw", "CAfull0003.checked"):
        (live / name).write_bytes(b"")
    second = await build_appliance(settings, engines)
    call = await second.store.read(calls.get_call, kept.id)
    await second.close()
    engines.close()
    assert list(live.iterdir()) == []
    assert Path(call["recording_url"]).is_file()


@pytest.mark.slow  # the command runs as its own process
async def test_erase_that_cannot_remove_a_recording_says_what_it_did(config: Config) -> None:
    settings = recording_config(config)
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    stuck = []
    for caller in ("+15558880001", "+15558880002"):
        session = await state.sessions.create_session(channel="phone", caller_id=caller)
        session.record(CALLER, phone_frames(0.2)[0])
        await state.sessions.end_session(session.id)
        url = Path((await state.store.read(calls.get_call, session.id))["recording_url"])
        url.unlink()
        (url / "held").mkdir(parents=True)  # in its place, something the box cannot remove
        stuck.append(str(url))
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{port}/admin/calls/erase", json={"caller": "+15558880001"}) as reply,
    ):
        status, report = reply.status, await reply.json()
    await runner.cleanup()
    await state.close()
    engines.close()
    assert status == 200, report
    assert report["calls"] == 1 and report["recordings"] == 0
    assert [r["url"] for r in report["recordings_not_removed"]] == [stuck[0]]
    # The command, on the file: it says what it removed, names what it could not, exits 1.
    env = appliance_env(APPLIANCE_DATA_DIR=str(settings.paths.data_dir), APPLIANCE_PORT=str(free_port()),
                        VOICE_RECORDING_ENABLED="true")  # fmt: skip
    erased = await asyncio.to_thread(
        run_appliance, "calls", "erase", "--caller", "+15558880002", "--yes", env=env
    )
    assert erased.returncode == 1, erased.stderr
    assert "erased +15558880002: 1 calls" in erased.stdout
    assert stuck[1] in erased.stderr.replace("\n", "") and "still on disk" in erased.stderr
