"""Browser calls between two real aiortc peers over loopback: the appliance's server on one
side, and on the other the client a lobby kiosk PC uses, speaking the page's signalling."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import random
import re
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


@contextlib.asynccontextmanager
async def rig_with(engines: Engines, config: Config, **webrtc: Any) -> AsyncIterator[Rig]:
    settings = dataclasses.replace(
        config,
        webrtc=WebRtcSettings(**{
            "host_addresses": ("127.0.0.1",), "max_sessions": 2, "idle_timeout_s": 3.0,
            "stats_interval_s": 1.0, "connect_timeout_s": 10.0, **webrtc,
        }),
    )  # fmt: skip
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


@pytest.fixture()
async def rig(engines: Engines, config: Config) -> AsyncIterator[Rig]:
    async with rig_with(engines, config) as made:
        yield made


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


async def offer_sdp() -> str:
    """A real offer, as aiortc's client (a kiosk PC) makes it, ICE gathered in full."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return str(sdp)


def without(sdp: str, *prefixes: str) -> str:
    return "\r\n".join(line for line in sdp.split("\r\n") if not line.startswith(prefixes))


async def test_offers_that_could_never_connect_are_refused_before_they_take_a_line(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """No fingerprint, no port, no candidate to reach: 400, nothing spent. An offer aiortc's
    parser chokes on is a 400 that says so, never a 500 with a traceback in the log."""
    good = await offer_sdp()
    port = re.search(r"m=audio (\d+)", good)
    assert port is not None
    insane = [
        ("fingerprint", without(good, "a=fingerprint:")),
        ("fingerprint", good.replace("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 ZZ:")),
        ("port", good.replace(f"m=audio {port.group(1)} ", "m=audio 0 ")),
        ("candidate", without(good, "a=candidate:")),
        ("candidate", re.sub(r"(a=candidate:\S+ 1 udp \d+ \S+) \d+ ", r"\1 0 ", good)),
    ]
    rng = random.Random(17)
    lines = good.split("\r\n")
    hostile = []
    for _ in range(60):  # lines cut short, dropped or doubled, as a fuzzer sends them
        mutated = list(lines)
        index = rng.randrange(1, len(mutated))
        kind = rng.random()
        if kind < 0.4:
            mutated[index] = mutated[index][: rng.randrange(len(mutated[index]) + 1)]
        elif kind < 0.7:
            del mutated[index]
        else:
            mutated.insert(index, rng.choice(["a=setup:actpa", "a=rtpmap:x", "a=ssrc:abc", "m=audio",
                                               "a=rtcp:abc", "a=group:BUNDLE 9", "a=mid"]))  # fmt: skip
        hostile.append("\r\n".join(mutated))
    caplog.set_level(logging.WARNING)
    for named, sdp in [*insane, *(("", h) for h in hostile)]:
        async with rig.http.post(f"{rig.url}/voice/webrtc/offer", json={"type": "offer", "sdp": sdp}) as reply:
            body = await reply.json()
            if reply.status == 200:  # a harmless change: a call like any other
                await rig.state.webrtc.close_all()
                continue
            assert reply.status == 400, (reply.status, body, sdp)
            assert named in body["message"], body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert rig.state.sessions.admission.in_use("browser") == 0
    assert rig.state.webrtc.peer_connections == 0


async def test_one_address_cannot_hold_every_browser_line(engines: Engines, config: Config) -> None:
    """Offers that never connect, posted again and again from one address, hold at most its
    share of the lines: a guest elsewhere (behind the hotel's proxy here) still gets through."""
    async with rig_with(engines, config, max_sessions=4, connect_timeout_s=30.0) as rig:
        answered = []
        for _ in range(4):
            async with rig.http.post(
                f"{rig.url}/voice/webrtc/offer", json={"type": "offer", "sdp": await offer_sdp()}
            ) as reply:
                answered.append((reply.status, (await reply.json()).get("error")))
        assert answered[:2] == [(200, None), (200, None)]
        assert answered[2:] == [(429, "too-many-calls")] * 2
        async with rig.http.post(
            f"{rig.url}/voice/webrtc/offer", json={"type": "offer", "sdp": await offer_sdp()},
            headers={"X-Forwarded-For": "10.0.0.9"},
        ) as reply:  # fmt: skip
            assert reply.status == 200, await reply.text()
        assert rig.state.sessions.admission.in_use("browser") == 3
        await rig.state.webrtc.close_all()


async def test_a_signalling_socket_that_brings_no_offer_is_closed(
    engines: Engines, config: Config
) -> None:
    async with rig_with(engines, config, offer_timeout_s=1.0) as rig:
        started = time.monotonic()
        async with rig.http.ws_connect(f"{rig.url}/voice/webrtc", heartbeat=None) as ws:
            said = await asyncio.wait_for(ws.receive(), 5)
            assert json.loads(said.data) == {
                "type": "error", "code": "no-offer",
                "message": "no offer came within 1 s; the connection is closed",
            }  # fmt: skip
            assert (await asyncio.wait_for(ws.receive(), 5)).type in (
                aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
            )  # fmt: skip
        assert 0.9 < time.monotonic() - started < 3
