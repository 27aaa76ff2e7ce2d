"""A call to an appliance over WebRTC, placed the way the guest page places one: a kiosk PC in
the lobby uses it, so the models stay on the appliance. Audio in through ``feed``, replies out
to a sink, the call's events to a callback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import aiohttp
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.audio.frames import AudioFrame
from appliance.audio.resample import StreamResampler
from appliance.channels.webrtc.media import RTC_RATE_HZ, OutboundAudio, to_audio_frame
from appliance.errors import ChannelError

_LOGGER = logging.getLogger(__name__)

#: The most microphone audio held back before sending; older audio is dropped.
MAX_BACKLOG_MS = 200


class Speaker(Protocol):
    """Where the appliance's replies go on this side."""

    def play(self, frame: AudioFrame) -> None: ...


class RemoteCall:
    """One call to the appliance at ``base_url`` (http://host:port)."""

    def __init__(
        self,
        base_url: str,
        speaker: Speaker,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        channel: str = "webrtc",
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._channel = channel
        self._speaker = speaker
        self._on_event = on_event
        self._outbound = OutboundAudio()
        self._to_rtc = StreamResampler(RTC_RATE_HZ)
        self._pc: RTCPeerConnection | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.session_id: str | None = None
        self.status: str | None = None
        self.connected = asyncio.Event()
        self.done = asyncio.Event()

    async def connect(self, timeout_s: float = 20.0) -> None:
        """Place the call; returns once the appliance has answered and the audio flows."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
        try:
            async with self._http.get(f"{self._base_url}/voice/webrtc/config") as reply:
                config = await reply.json()
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as err:
            await self.close()
            raise ChannelError(
                "appliance-unreachable", f"cannot reach the appliance at {self._base_url}: {err}"
            ) from err
        if not config.get("enabled"):
            await self.close()
            raise ChannelError("webrtc-disabled", f"{self._base_url} takes no browser calls now")
        servers = [RTCIceServer(**server) for server in config.get("ice_servers", [])]
        self._pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        pc.addTrack(self._outbound)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._spawn(self._hear(track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState == "connected":
                self.connected.set()
            elif pc.connectionState in ("failed", "closed"):
                self.done.set()

        await pc.setLocalDescription(await pc.createOffer())
        url = self._base_url.replace("http", "ws", 1) + "/voice/webrtc"
        try:
            self._ws = await self._http.ws_connect(url, heartbeat=20.0)
        except (aiohttp.ClientError, OSError) as err:
            await self.close()
            raise ChannelError(
                "appliance-unreachable", f"cannot open the call to {url}: {err}"
            ) from err
        offer = {"type": "offer", "sdp": pc.localDescription.sdp, "channel": self._channel}
        await self._ws.send_str(json.dumps(offer))
        self._spawn(self._read(self._ws, pc))
        connected = asyncio.create_task(self.connected.wait())
        ended = asyncio.create_task(self.done.wait())
        await asyncio.wait(
            {connected, ended}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        connected.cancel()
        ended.cancel()
        if not self.connected.is_set() or self.done.is_set():
            # The appliance said no (busy, shutting down) or never connected: say so now.
            await self.close()
            raise ChannelError(
                "webrtc-no-connection",
                self.status
                or f"the call to {self._base_url} did not connect within {timeout_s:.0f} s",
            )

    def feed(self, frame: AudioFrame) -> None:
        """Microphone audio, any rate, at real time. Audio that piles up (a burst after a
        stall) is dropped from the front: the appliance must hear the guest now, not late."""
        self._outbound.push(self._to_rtc(frame))
        self._outbound.keep_at_most(MAX_BACKLOG_MS)

    def clear(self) -> None:
        """Drop audio fed but not sent yet."""
        self._outbound.clear()

    async def key(self, digit: str) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_str(json.dumps({"type": "key", "digit": digit}))

    async def close(self) -> None:
        """Hang up (safe to call twice)."""
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                await self._ws.send_str(json.dumps({"type": "hangup"}))
            await self._ws.close()
        for task in list(self._tasks):
            task.cancel()
        self._outbound.stop()
        if self._pc is not None:
            await self._pc.close()
        if self._http is not None:
            await self._http.close()
        self.done.set()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, pc: RTCPeerConnection) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(message.data)
            if event.get("type") == "answer":
                self.session_id = event["session_id"]
                await pc.setRemoteDescription(RTCSessionDescription(event["sdp"], "answer"))
            elif event.get("type") in ("ended", "error"):
                self.status = event.get("status") or event.get("message")
                self.done.set()
            if self._on_event is not None:
                self._on_event(event)
        self.done.set()

    async def _hear(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self._speaker.play(to_audio_frame(frame))  # type: ignore[arg-type]
