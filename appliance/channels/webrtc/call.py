"""One browser call: an aiortc peer connection whose audio track feeds a live call, and a
track that plays the call's replies back. Nothing here understands speech."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.audio.frames import AudioFrame
from appliance.channels.webrtc import ice
from appliance.channels.webrtc.media import RTC_RATE_HZ, OutboundAudio, to_audio_frame
from appliance.channels.webrtc.signalling import Answer, Offer, Quality, offer_problem
from appliance.clients import Holdings
from appliance.config import WebRtcSettings
from appliance.errors import ChannelError, StoreError
from appliance.logs import Throttled, over
from appliance.sessions import CallRefused, CallStatus, Seat, SessionError
from appliance.sessions.events import CallEvent
from appliance.switchboard import LiveCall, Switchboard

_LOGGER = logging.getLogger(__name__)

#: After the agent ends the call, the last frames still on their way are let through.
END_GRACE_S = 0.3
#: File descriptors browsers may never take: the models, the database, the logs, the
#: listening socket...
RESERVED_FDS = 64
#: ...and those of each phone call (its media stream, webhooks, recording, REST requests)...
FDS_PER_PHONE_CALL = 8
#: ...and of each browser call (its signalling socket, ICE's UDP sockets, its recording).
FDS_PER_BROWSER_CALL = 8


def _say_refused(count: int, since_s: float | None, why: str) -> None:
    _LOGGER.warning("refused %d browser connection(s)%s; the latest: %s", count, over(since_s), why)


def _say_unoffered(count: int, since_s: float | None, why: str) -> None:
    _LOGGER.info(
        "closed %d signalling connection(s)%s that brought no offer: %s", count, over(since_s), why
    )


def descriptor_limit() -> int:
    """How many file descriptors this process may hold."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class WebRtcSink:
    """The loop's audio out, as the outbound track's frames."""

    sample_rate_hz = RTC_RATE_HZ

    def __init__(self, track: OutboundAudio) -> None:
        self._track = track

    async def play(self, frame: AudioFrame) -> None:
        self._track.push(frame)

    async def flush(self) -> None:
        self._track.clear()


def rtc_configuration(settings: WebRtcSettings) -> RTCConfiguration:
    servers = [RTCIceServer(urls=list(settings.stun_urls))] if settings.stun_urls else []
    if settings.turn_urls:
        servers.append(
            RTCIceServer(
                urls=list(settings.turn_urls),
                username=settings.turn_username or None,
                credential=settings.turn_credential or None,
            )
        )
    return RTCConfiguration(iceServers=servers)


def browser_ice_servers(settings: WebRtcSettings) -> list[dict[str, object]]:
    """The same servers as the page's RTCPeerConnection takes them."""
    servers: list[dict[str, object]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": settings.turn_username,
                "credential": settings.turn_credential,
            }
        )
    return servers


class WebRtcChannel:
    """Every browser call of this server, and the cap on them."""

    def __init__(
        self, switchboard: Switchboard, settings: WebRtcSettings, phone_lines: int = 0
    ) -> None:
        self.switchboard = switchboard
        self.settings = settings
        self.calls: set[WebRtcCall] = set()
        #: Signalling connections (and offers being answered) per guest address...
        self.sockets = Holdings(settings.max_sockets_per_address)
        #: ...and browser calls per guest address.
        self.callers = Holdings(settings.max_calls_per_address)
        self._phone_lines = phone_lines
        #: A flood is refused by the thousand: the log says so in a line every ten seconds.
        self.refused = Throttled(_say_refused)
        self.unoffered = Throttled(_say_unoffered)
        ice.offer_only(settings.host_addresses)

    @property
    def socket_budget(self) -> int:
        """How many signalling connections may be open at once, guests together: what the
        descriptor limit leaves once every phone line and browser call has what it needs. A
        flood of idle connections can take these and no more."""
        reserved = (
            RESERVED_FDS
            + FDS_PER_PHONE_CALL * self._phone_lines
            + FDS_PER_BROWSER_CALL * self.settings.max_sessions
        )
        return max(self.settings.max_sessions, descriptor_limit() - reserved)

    def hold_socket(self, address: str) -> Callable[[], None]:
        """A signalling connection (or an offer being answered) from ``address``: the way to
        let it go; ChannelError when the address, or every guest together, holds too many."""
        if self.sockets.total >= self.socket_budget:
            raise ChannelError(
                "connections-full",
                "the appliance has all the browser connections it can hold; please try again shortly",
            )
        release = self.sockets.take(address)
        if release is None:
            raise ChannelError(
                "too-many-connections",
                f"{address} already has {self.sockets.limit} connections open here "
                "([webrtc] max_sockets_per_address)",
            )
        return release

    @property
    def peer_connections(self) -> int:
        """Peer connections not yet closed: after every call has ended, none."""
        return sum(1 for call in self.calls if call.pc.connectionState != "closed")

    async def answer(
        self,
        offer: Offer,
        on_event: Callable[[CallEvent | Quality], None] | None = None,
        address: str = "",
    ) -> WebRtcCall:
        """Take a browser's offer from ``address``: the call is open, and its answer ready, on
        return."""
        if not self.settings.enabled:
            raise ChannelError("webrtc-disabled", "browser calls are turned off ([webrtc] enabled)")
        # Nothing is spent (no line, no peer connection) on an offer that could never connect.
        if (problem := offer_problem(offer.sdp)) is not None:
            raise ChannelError("bad-offer", problem)
        try:
            seat = self.switchboard.admit(offer.channel)
        except CallRefused as err:
            message = err.message
            if err.code == "channel-busy":
                message += "; please try again in a few minutes or call the front desk"
            raise ChannelError(err.code, message) from err
        release = self.callers.take(address)
        if release is None:
            seat.release()
            raise ChannelError(
                "too-many-calls",
                f"{address} already has {self.callers.limit} browser calls here "
                "([webrtc] max_calls_per_address); hang one up first",
            )
        call = WebRtcCall(self, on_event, release)
        self.calls.add(call)
        try:
            await call.negotiate(offer, seat)
        except BaseException:
            seat.release()  # a no-op once the session holds it: it goes back as the call ends
            await call.end(CallStatus.FAILED, "webrtc-setup-failed")
            raise
        return call

    async def close_all(self) -> None:
        """Server shutdown: every call ends and every peer connection is closed."""
        await asyncio.gather(
            *(c.end(CallStatus.INTERRUPTED, "server-shutdown") for c in list(self.calls)),
            return_exceptions=True,
        )


class WebRtcCall:
    """One peer connection and the live call it carries, from offer to close."""

    def __init__(
        self,
        channel: WebRtcChannel,
        on_event: Callable[[CallEvent | Quality], None] | None,
        release_address: Callable[[], None] = lambda: None,
    ) -> None:
        self._channel = channel
        self._release_address = release_address
        self._settings = channel.settings
        self._on_event = on_event
        self.pc = RTCPeerConnection(rtc_configuration(channel.settings))
        self._outbound = OutboundAudio()
        self.pc.addTrack(self._outbound)
        self._remote: MediaStreamTrack | None = None
        self.live: LiveCall | None = None
        self._connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ended = False
        self.quality = Quality(None, None, None)

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and self._remote is None:
                self._remote = track

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            state = self.pc.connectionState
            _LOGGER.info("browser call %s: connection %s", self.session_id or "-", state)
            if state == "connected" and not self._connected.is_set():
                self._connected.set()
                if self.live is not None:
                    self.live.greet()
            elif state in ("failed", "closed"):
                self._spawn(self.end())

    @property
    def session_id(self) -> str | None:
        return self.live.session_id if self.live is not None else None

    async def negotiate(self, offer: Offer, seat: Seat) -> None:
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
            if self._remote is None:
                raise ChannelError("bad-offer", "the offer carries no audio track from a microphone")
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except ChannelError:
            raise
        except Exception as err:  # aiortc fails on hostile SDP with any error at all
            raise ChannelError(
                "bad-offer", f"the browser's offer cannot be used: {type(err).__name__}: {err}"
            ) from err
        try:
            self.live = await self._channel.switchboard.open(
                offer.channel, WebRtcSink(self._outbound), seat=seat, greet=False
            )
        except (SessionError, StoreError) as err:
            raise ChannelError(err.code, err.message) from err
        if self._on_event is not None:
            self.live.listen(self._on_event)
        if self._connected.is_set():
            self.live.greet()
        self._spawn(self._receive(self.live, self._remote))
        self._spawn(self._watch(self.live))
        self._spawn(self._sample_quality(self.live))

    def answer(self) -> Answer:
        assert self.live is not None and self.pc.localDescription is not None
        return Answer(self.pc.localDescription.sdp, self.live.session_id)

    def key(self, digit: str) -> None:
        if self.live is not None:
            self.live.key(digit)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receive(self, live: LiveCall, track: MediaStreamTrack) -> None:
        """The browser's microphone into the call; silence from the network ends it."""
        while not live.done.is_set():
            try:
                frame = await asyncio.wait_for(track.recv(), self._settings.idle_timeout_s)
            except TimeoutError:
                _LOGGER.warning(
                    "browser call %s sent no audio for %.0f s; ending it",
                    live.session_id, self._settings.idle_timeout_s,
                )  # fmt: skip
                break
            except MediaStreamError:
                _LOGGER.info("browser call %s: the browser's audio ended", live.session_id)
                break
            live.feed(to_audio_frame(frame))  # type: ignore[arg-type]
        self._spawn(self.end())

    async def _watch(self, live: LiveCall) -> None:
        """Give up on a call that never connects; close the connection when the call ends."""
        try:
            await asyncio.wait_for(self._connected.wait(), self._settings.connect_timeout_s)
        except TimeoutError:
            _LOGGER.warning(
                "browser call %s never connected within %.0f s (NAT? set [webrtc] stun_urls or "
                "turn_urls)", live.session_id, self._settings.connect_timeout_s,
            )  # fmt: skip
            await self.end(CallStatus.FAILED, "webrtc-no-connection")
            return
        await live.done.wait()
        await asyncio.sleep(END_GRACE_S)
        await self.end()

    async def _sample_quality(self, live: LiveCall) -> None:
        """Jitter, loss and round trip from the RTCP statistics, stored and shown as they go."""
        while not live.done.is_set():
            await asyncio.sleep(self._settings.stats_interval_s)
            if self.pc.connectionState != "connected":
                continue
            try:
                report = await self.pc.getStats()
            except Exception:  # statistics are a nicety: the call goes on without them
                _LOGGER.exception("browser call %s: no connection statistics", live.session_id)
                return
            quality = quality_from(report)
            self.quality = quality
            for name, value in (
                ("rtc_jitter_ms", quality.jitter_ms),
                ("rtc_packet_loss_pct", quality.packet_loss_pct),
                ("rtc_rtt_ms", quality.rtt_ms),
            ):
                if value is not None:
                    live.measure(name, value)
            if self._on_event is not None:
                self._on_event(quality)

    async def end(self, status: CallStatus | None = None, error_code: str | None = None) -> None:
        """Hang up: the call's row closed, the peer connection closed. Safe to call twice."""
        if self._ended:
            return
        self._ended = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        try:
            if self.live is not None and not self.live.done.is_set():
                await self.live.close(status, error_code)
        finally:
            self._outbound.stop()
            with contextlib.suppress(Exception):
                await self.pc.close()
            self._channel.calls.discard(self)
            self._release_address()


def quality_from(report: object) -> Quality:
    """The connection quality in an aiortc stats report."""
    jitter_ms = loss_pct = rtt_ms = None
    for stats in getattr(report, "values", lambda: [])():
        kind = getattr(stats, "type", "")
        if kind == "inbound-rtp" and stats.kind == "audio":
            jitter_ms = stats.jitter / (RTC_RATE_HZ / 1000)  # RTP timestamp units at 48 kHz
            expected = stats.packetsReceived + max(0, stats.packetsLost)
            loss_pct = 100.0 * max(0, stats.packetsLost) / expected if expected else None
        elif kind == "remote-inbound-rtp" and stats.kind == "audio" and stats.roundTripTime:
            rtt_ms = stats.roundTripTime * 1000
    return Quality(
        None if jitter_ms is None else round(jitter_ms, 2),
        None if loss_pct is None else round(loss_pct, 2),
        None if rtt_ms is None else round(rtt_ms, 2),
    )
