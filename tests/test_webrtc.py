"""Browser calls between two real aiortc peers over loopback: the appliance's server on one
side, and on the other the client a lobby kiosk PC uses, speaking the page's signalling."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import av
import numpy as np
import pytest
import soxr
from aiohttp import web
from aiortc import RTCPeerConnection
from conftest import free_port, says_time

from appliance.app import Appliance, build_appliance
from appliance.audio.frames import AudioFrame, concat
from appliance.channels.webrtc import signalling
from appliance.channels.webrtc.client import RemoteCall
from appliance.channels.webrtc.media import to_audio_frame
from appliance.config import Config, WebRtcSettings
from appliance.engines import Engines
from appliance.errors import ChannelError
from appliance.server import create_app
from appliance.store import calls


@dataclasses.dataclass
class Rig:
    state: Appliance
    url: str
    http: aiohttp.ClientSession


@pytest.fixture()
async def rig(engines: Engines, config: Config) -> AsyncIterator[Rig]:
    settings = dataclasses.replace(
        config,
        webrtc=WebRtcSettings(
            host_addresses=("127.0.0.1",),
            max_sessions=2,
            idle_timeout_s=3.0,
            stats_interval_s=1.0,
            connect_timeout_s=10.0,
        ),  # fmt: skip
    )
    state = await build_appliance(settings, engines)
    state.open_for_calls()
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as http:
        yield Rig(state, f"http://127.0.0.1:{port}", http)
    await state.close()
    await runner.cleanup()


class Ear:
    """What the caller's side hears, with when each frame arrived."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, AudioFrame]] = []

    def play(self, frame: AudioFrame) -> None:
        self.frames.append((time.monotonic(), frame))

    def since(self, at: float) -> AudioFrame:
        frames = [f for t, f in self.frames if t >= at]
        return concat(frames) if frames else AudioFrame(b"", 48000)


async def speak(engines: Engines, text: str, rate_hz: int = 48000) -> AudioFrame:
    audio = concat(await engines.tts.run(lambda model, t: list(model.synthesize(t)), text))
    return AudioFrame.from_float(
        soxr.resample(audio.float_samples(), audio.sample_rate_hz, rate_hz), rate_hz
    )


async def say_into(call: RemoteCall, audio: AudioFrame, silence_ms: int = 1200) -> None:
    """Feed ``audio`` then silence at real time, as a microphone would."""
    step = audio.sample_rate_hz * 20 // 1000 * 2
    padded = audio.pcm + bytes(audio.sample_rate_hz * silence_ms // 1000 * 2)
    started = time.monotonic()
    for index, offset in enumerate(range(0, len(padded), step)):
        call.feed(AudioFrame(padded[offset : offset + step], audio.sample_rate_hz))
        await asyncio.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))


async def transcribe(engines: Engines, audio: AudioFrame) -> str:
    return str(await engines.stt.run(lambda model, a: model.transcribe(a).text, audio)).lower()


async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def closed_row(rig: Rig, session_id: str) -> dict[str, Any]:
    for _ in range(200):
        row = await rig.state.store.read(calls.get_call, session_id)
        if row is not None and row["end_time"] is not None:
            return dict(row)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the row of {session_id} was not closed")


def open_peer_connections() -> int:
    return sum(
        1 for o in gc.get_objects()
        if isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
    )  # fmt: skip


def test_every_signalling_message_round_trips() -> None:
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
    for message in (
        signalling.Offer(sdp), signalling.Offer(sdp, "kiosk"), signalling.Hangup(),
        signalling.Key("5"),
    ):  # fmt: skip
        assert signalling.parse(signalling.serialise(message)) == message
    for bad, named in (
        ("not json", "not JSON"),
        ('{"type": "offer"}', "sdp"),
        ('{"type": "offer", "sdp": "hello"}', "v=0"),
        ('{"type": "key", "digit": "12"}', "0-9"),
        ('{"type": "offer", "sdp": "v=0", "channel": "phone"}', "'phone'"),
        ('{"type": "dance"}', "'dance'"),
        ("[1, 2]", "object"),
    ):
        with pytest.raises(ChannelError, match=named):
            signalling.parse(bad)
    answer = json.loads(signalling.serialise(signalling.Answer(sdp, "VS1")))
    assert answer == {"sdp": sdp, "session_id": "VS1", "type": "answer"}


async def test_a_browser_call_is_greeted_answered_measured_and_closed(
    rig: Rig, engines: Engines
) -> None:
    ear, events = Ear(), []
    call = RemoteCall(rig.url, ear, events.append)
    await call.connect()
    assert call.session_id is not None
    await until(lambda: any(e["type"] == "heard" for e in events))
    greeting = await transcribe(engines, ear.since(0))
    assert "calling" in greeting or "help" in greeting, greeting

    asked = time.monotonic()
    await say_into(call, await speak(engines, "What time is check-out?"))
    await until(lambda: sum(e["type"] == "heard" for e in events) >= 2)
    finals = [e["text"] for e in events if e["type"] == "transcript" and e["final"]]
    assert any("check" in text.lower() for text in finals), finals
    reply = await transcribe(engines, ear.since(asked))
    assert says_time(reply, "11"), reply
    # Connection quality is sampled while the call is up and shown to the page.
    await until(lambda: any(e["type"] == "quality" for e in events), timeout_s=5)

    await call.close()
    row = await closed_row(rig, call.session_id)
    assert row["channel"] == "webrtc" and row["status"] == "completed"
    metrics = await rig.state.store.read(
        lambda db: {
            name
            for (name,) in db.execute(
                "SELECT metric_name FROM voice_analytics WHERE session_id = ?", [call.session_id]
            ).fetchall()
        }
    )
    assert {"rtc_jitter_ms", "rtc_packet_loss_pct", "voice_to_voice_ms"} <= metrics
    await until(lambda: rig.state.webrtc.peer_connections == 0, timeout_s=5)


async def test_talking_over_the_reply_stops_it(rig: Rig, engines: Engines) -> None:
    ear, events = Ear(), []
    call = RemoteCall(rig.url, ear, events.append)
    await call.connect()
    await until(lambda: any(e["type"] == "heard" for e in events))
    await say_into(call, await speak(engines, "What amenities does the hotel have?"), 300)
    await until(lambda: sum(e["type"] == "reply" for e in events) >= 2)
    await asyncio.sleep(0.6)
    await say_into(call, await speak(engines, "Sorry, actually, where can I park my car?"), 200)
    await until(lambda: sum(e["type"] == "heard" for e in events) >= 2)
    cut = [e for e in events if e["type"] == "heard"][1]
    assert cut["interrupted"] and cut["text"].endswith("..."), cut
    await call.close()


async def test_browser_calls_over_the_cap_are_refused_with_a_reason(
    rig: Rig, engines: Engines
) -> None:
    calls_up = [RemoteCall(rig.url, Ear()) for _ in range(2)]
    for call in calls_up:
        await call.connect()
    third = RemoteCall(rig.url, Ear())
    with pytest.raises(ChannelError, match="in use"):
        await third.connect(timeout_s=5)
    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    async with rig.http.post(
        f"{rig.url}/voice/webrtc/offer", json={"type": "offer", "sdp": pc.localDescription.sdp}
    ) as reply:
        assert reply.status == 503
        assert "browser conversations are in use" in (await reply.json())["message"]
    await pc.close()
    for call in calls_up:
        await call.close()


async def test_bad_offers_are_refused_naming_what_is_wrong(rig: Rig) -> None:
    async with rig.http.post(f"{rig.url}/voice/webrtc/offer", json={"type": "offer"}) as reply:
        assert reply.status == 400
        assert "sdp" in (await reply.json())["message"]
    async with rig.http.ws_connect(f"{rig.url}/voice/webrtc") as ws:
        await ws.send_str("{not json")
        failure = json.loads((await ws.receive()).data)
        assert failure["type"] == "error" and "not JSON" in failure["message"]
        # An offer without a microphone track has nothing to listen to.
        pc = RTCPeerConnection()
        pc.createDataChannel("x")
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send_str(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
        failure = json.loads((await ws.receive()).data)
        assert failure["type"] == "error" and "audio" in failure["message"]
        await pc.close()
    assert rig.state.sessions.admission.in_use("browser") == 0


async def test_no_peer_connection_is_left_after_fifty_calls(rig: Rig) -> None:
    before = open_peer_connections()
    ended: list[str] = []
    for index in range(50):
        call = RemoteCall(rig.url, Ear())
        await call.connect()
        assert call.session_id is not None
        if index % 2:
            await call.close()  # the page hangs up
        else:
            assert call._ws is not None and call._pc is not None
            await call._ws.close()  # the page is closed: the socket goes, nothing is said
            await call._pc.close()
            await call.close()
        ended.append(call.session_id)
        await until(lambda: rig.state.sessions.admission.in_use("browser") == 0, timeout_s=10)
    await until(lambda: rig.state.webrtc.peer_connections == 0, timeout_s=10)
    gc.collect()
    assert open_peer_connections() == before
    for session_id in ended[-3:]:
        assert (await closed_row(rig, session_id))["status"] == "abandoned"


async def test_a_browser_that_goes_silent_is_ended(rig: Rig) -> None:
    call = RemoteCall(rig.url, Ear())
    await call.connect()
    assert call.session_id is not None
    # The network goes: no more packets, no goodbye.
    call._outbound.stop()
    row = await closed_row(rig, call.session_id)
    assert row["status"] == "abandoned"
    await until(lambda: rig.state.webrtc.peer_connections == 0, timeout_s=5)
    await call.close()


async def test_shutdown_closes_every_browser_call(rig: Rig) -> None:
    call = RemoteCall(rig.url, Ear())
    await call.connect()
    assert call.session_id is not None
    await rig.state.webrtc.close_all()
    row = await closed_row(rig, call.session_id)
    assert row["status"] == "interrupted" and row["error_code"] == "server-shutdown"
    assert rig.state.webrtc.peer_connections == 0
    await call.close()


def test_received_audio_of_any_layout_becomes_mono_pcm_at_its_level() -> None:
    tone = (np.sin(np.arange(960) / 8) * 10000).astype("<i2")
    packed = av.AudioFrame.from_ndarray(np.repeat(tone, 2)[None, :], format="s16", layout="stereo")
    packed.sample_rate = 48000
    planar = av.AudioFrame.from_ndarray(
        np.stack([tone, tone]).astype(np.float32) / 32768, format="fltp", layout="stereo"
    )
    planar.sample_rate = 48000
    for frame in (packed, planar):
        mono = to_audio_frame(frame)
        assert mono.sample_rate_hz == 48000 and mono.sample_count == 960
        assert np.abs(mono.samples().astype(int) - tone).max() <= 1
