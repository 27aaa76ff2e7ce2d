"""Twilio, as far as the tests need it, speaking its real protocols on loopback: a REST server
that answers like api.twilio.com, and a caller that drives a signed Media Streams WebSocket."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import socket
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator
from voices import NOMINAL_SPEECH_LEVEL, PhoneLine, active_level

from appliance.app import Appliance, build_appliance
from appliance.audio.codecs import mulaw_decode, mulaw_encode
from appliance.audio.frames import AudioFrame
from appliance.config import Config, DepartmentSettings, TwilioSettings
from appliance.engines import Engines
from appliance.server import create_app

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-auth-token-for-tests-0001"
FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law


@dataclass
class FakeTwilioRest:
    """Records every request; answers 201 with a sid, or Twilio's 20404 for unknown calls."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        app = web.Application()
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
        app.router.add_post(base + "/Calls.json", self.create_call)
        app.router.add_post(base + "/Calls/{sid}.json", self.update_call)
        app.router.add_post(base + "/Messages.json", self.message)
        return app

    async def _record(self, request: web.Request) -> dict[str, str] | web.Response:
        auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", ""))
        if (auth.login, auth.password) != (ACCOUNT_SID, AUTH_TOKEN):
            return web.json_response(
                {"code": 20003, "message": "Authenticate", "status": 401}, status=401
            )
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append((request.method, request.path, form))
        return form

    async def create_call(self, request: web.Request) -> web.Response:
        form = await self._record(request)
        if isinstance(form, web.Response):
            return form
        sid = "CA" + uuid.uuid4().hex
        self.calls.add(sid)
        return web.json_response(
            {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From")},
            status=201,
        )

    async def update_call(self, request: web.Request) -> web.Response:
        form = await self._record(request)
        if isinstance(form, web.Response):
            return form
        sid = request.match_info["sid"]
        if sid not in self.calls:
            return web.json_response(
                {
                    "code": 20404,
                    "message": f"The requested resource /Calls/{sid}.json was not found",
                    "status": 404,
                },
                status=404,
            )
        return web.json_response({"sid": sid, "status": form.get("Status", "in-progress")})

    async def message(self, request: web.Request) -> web.Response:
        form = await self._record(request)
        if isinstance(form, web.Response):
            return form
        return web.json_response(
            {
                "sid": "SM" + uuid.uuid4().hex,
                "status": "queued",
                "to": form["To"],
                "body": form["Body"],
            },
            status=201,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def phone_ready_appliance(
    config: Config, engines: Engines, front_desk: str, prepared: bool = False, **twilio: Any
) -> AsyncIterator[tuple[Appliance, str, FakeTwilioRest]]:
    """The real server on a loopback port, its Twilio account pointed at a fake REST server;
    yields the server's state, its public base URL and the fake. ``prepared``: made ready as
    `appliance serve` makes it once the models are loaded (the understander's index, the
    fixed prompts rendered), so no call pays for it; a benchmark needs that."""
    rest = FakeTwilioRest()
    rest_runner = web.AppRunner(rest.app())
    await rest_runner.setup()
    rest_port = _free_port()
    await web.TCPSite(rest_runner, "127.0.0.1", rest_port).start()
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(
        config,
        twilio=TwilioSettings(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            phone_number="+12075550100",
            api_base_url=f"http://127.0.0.1:{rest_port}",
            public_base_url=public,
            **twilio,
        ),  # fmt: skip
        departments=DepartmentSettings(front_desk=front_desk),
    )
    state = await build_appliance(settings, engines)
    if prepared:
        await state.prepare()
        await state.settled()
    state.open_for_calls()
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield state, public, rest
    finally:
        await state.close()
        await runner.cleanup()
        await rest_runner.cleanup()


def sign(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, params))


@dataclass
class SimulatedCall:
    """A caller's phone as Twilio presents it: webhooks, then a media stream at real time.
    What the appliance sends is played out at 8000 bytes a second; marks are echoed when the
    audio before them has played, at once after a clear."""

    public: str
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    stream_sid: str = field(default_factory=lambda: "MZ" + uuid.uuid4().hex)
    heard: bytearray = field(default_factory=bytearray)
    clears: int = 0
    #: When each clear arrived (perf_counter seconds).
    clear_times: list[float] = field(default_factory=list)
    marks_echoed: list[str] = field(default_factory=list)
    #: When each media frame from the appliance arrived (perf_counter seconds).
    arrivals: list[float] = field(default_factory=list)
    #: When each of those frames starts to play at the caller's ear (after those before it),
    #: and its audio.
    played_at: list[float] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _sequence: int = 0
    _play_until: float = 0.0
    _pending_marks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    #: The telephone line the caller's audio crosses (None: a perfect one).
    line: PhoneLine | None = None
    #: The caller's speech level (mean power) the line's hiss is set against.
    _level: float = NOMINAL_SPEECH_LEVEL
    _hiss_seed: int = 0

    async def webhook(
        self,
        session: aiohttp.ClientSession,
        path: str,
        form: dict[str, str],
        signature: str | None = None,
    ) -> tuple[int, str]:
        url = self.public + path
        headers = {"X-Twilio-Signature": signature if signature is not None else sign(url, form)}
        async with session.post(url, data=form, headers=headers) as reply:
            return reply.status, await reply.text()

    async def dial(self, session: aiohttp.ClientSession, caller: str = "+15551230001") -> str:
        status, body = await self.webhook(
            session, "/voice/twilio/inbound",
            {"CallSid": self.call_sid, "AccountSid": ACCOUNT_SID, "From": caller, "To": "+12075550100", "Direction": "inbound"},
        )  # fmt: skip
        assert status == 200, body
        return body

    async def connect(self, session: aiohttp.ClientSession, twiml: str) -> None:
        stream = ET.fromstring(twiml).find("./Connect/Stream")
        assert stream is not None, twiml
        url = stream.attrib["url"]
        parameters = {p.attrib["name"]: p.attrib["value"] for p in stream.findall("Parameter")}
        self._ws = await session.ws_connect(url, headers={"X-Twilio-Signature": sign(url, {})})
        asyncio.get_running_loop().create_task(self._receive())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send_event("start", {"start": {
            "streamSid": self.stream_sid, "accountSid": ACCOUNT_SID, "callSid": self.call_sid,
            "tracks": ["inbound"], "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})  # fmt: skip

    async def send(self, message: dict[str, Any] | str) -> None:
        assert self._ws is not None
        if self._ws.closed:  # the appliance ended the stream (a redirect or a hang-up)
            return
        await self._ws.send_str(message if isinstance(message, str) else json.dumps(message))

    async def send_event(self, event: str, body: dict[str, Any]) -> None:
        self._sequence += 1
        await self.send(
            {
                "event": event,
                "sequenceNumber": str(self._sequence),
                "streamSid": self.stream_sid,
                **body,
            }
        )

    async def say(self, audio: AudioFrame, then_silence_s: float = 0.0) -> None:
        """Send 8 kHz audio as 20 ms media frames at real time, then silence (lines never stop).
        On a ``line``, the audio goes through it and the silence is its hiss (all-zero audio
        is silence too)."""
        if self.line is not None and not audio.pcm.strip(b"\0"):
            audio = self.quiet(audio.duration_ms)
        elif self.line is not None:
            self._level = active_level(audio.float_samples(), audio.sample_rate_hz)
            self._hiss_seed += 1  # each utterance meets hiss and losses of its own
            line = dataclasses.replace(self.line, seed=self.line.seed * 7919 + self._hiss_seed)
            audio = line.carry(audio, lead_ms=0, tail_ms=0)
        await self._stream(mulaw_encode(audio) + mulaw_encode(self.quiet(then_silence_s * 1000)))

    async def hold(self, ms: float) -> None:
        """Say nothing for ``ms``: the line stays open."""
        await self._stream(mulaw_encode(self.quiet(ms)))

    async def _stream(self, payload: bytes) -> None:
        started = time.perf_counter()
        for index in range(0, len(payload) - FRAME_BYTES + 1, FRAME_BYTES):
            if self.closed.is_set():
                return
            chunk = index // FRAME_BYTES
            await self.send_event("media", {"media": {"track": "inbound", "chunk": str(chunk + 1),
                                  "timestamp": str(chunk * 20), "payload": base64.b64encode(payload[index:index + FRAME_BYTES]).decode()}})  # fmt: skip
            await asyncio.sleep(max(0.0, started + (chunk + 1) * 0.02 - time.perf_counter()))

    async def listen(self, since: int, quiet_s: float = 0.8, limit_s: float = 30.0) -> None:
        """Stay on the line, as a caller does, until a reply has come (media after frame
        ``since``) and finished playing ``quiet_s`` ago; at most ``limit_s``."""
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline and not self.closed.is_set():
            if len(self.arrivals) > since and time.perf_counter() - self._play_until >= quiet_s:
                return
            await self.hold(100)

    def quiet(self, ms: float) -> AudioFrame:
        """The line with the caller saying nothing: silence, or the line's hiss."""
        if self.line is None:
            return AudioFrame.silence(ms, 8000)
        self._hiss_seed += 1
        return self.line.hiss(ms, self._level, self.line.seed * 7919 + self._hiss_seed)

    async def press(self, digit: str) -> None:
        await self.send_event("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})

    async def hang_up(self) -> None:
        await self.send_event(
            "stop", {"stop": {"accountSid": ACCOUNT_SID, "callSid": self.call_sid}}
        )

    def heard_audio(self) -> AudioFrame:
        return mulaw_decode(bytes(self.heard))

    async def _receive(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            now = time.perf_counter()
            if frame["event"] == "media":
                audio = base64.b64decode(frame["media"]["payload"])
                self.arrivals.append(now)
                self.played_at.append(max(now, self._play_until))
                self.received.append(audio)
                self.heard += audio
                self._play_until = max(now, self._play_until) + len(audio) / 8000
            elif frame["event"] == "mark":
                name = frame["mark"]["name"]
                self._pending_marks[name] = asyncio.create_task(
                    self._echo(name, self._play_until - now)
                )
            elif frame["event"] == "clear":
                self.clears += 1
                self.clear_times.append(now)
                unplayed = int(max(0.0, self._play_until - now) * 8000)
                if unplayed:
                    del self.heard[-unplayed:]
                self._play_until = now
                pending, self._pending_marks = self._pending_marks, {}
                for name, task in pending.items():
                    if not task.done():  # a clear echoes the pending marks at once
                        task.cancel()
                        await self._echo(name, 0.0)
        self.closed.set()

    async def _echo(self, name: str, delay_s: float) -> None:
        await asyncio.sleep(max(0.0, delay_s))
        self._pending_marks.pop(name, None)
        self.marks_echoed.append(name)
        await self.send_event("mark", {"mark": {"name": name}})
