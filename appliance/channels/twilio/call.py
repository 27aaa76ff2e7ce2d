"""One phone call on a Twilio media stream: frames in become audio for the turn loop; the
loop's audio goes back as mu-law media, marks and clears. Nothing here understands speech."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from appliance.audio.codecs import MULAW_RATE_HZ, mulaw_decode, mulaw_encode
from appliance.audio.frames import AudioFrame
from appliance.channels.twilio import protocol, twiml
from appliance.channels.twilio.rest import TwilioRest
from appliance.config import TwilioSettings
from appliance.errors import ApplianceError, ChannelError
from appliance.logs import CALL_ID
from appliance.sentences import Catalogue
from appliance.sessions import CallStatus, Session
from appliance.switchboard import LiveCall, Switchboard

_LOGGER = logging.getLogger(__name__)

MARK_WAIT_S = 15.0
#: The largest WebSocket message taken: Twilio's are well under 2 KiB.
MAX_MESSAGE_BYTES = 64 * 1024


class TwilioSink:
    """The loop's audio out, as Twilio media frames; marks tell what has been played."""

    sample_rate_hz = MULAW_RATE_HZ

    def __init__(self, ws: web.WebSocketResponse, stream_sid: str) -> None:
        self._ws = ws
        self._stream_sid = stream_sid
        self._names = itertools.count(1)
        self._waiting: dict[str, asyncio.Event] = {}

    async def play(self, frame: AudioFrame) -> None:
        if not self._ws.closed:
            await self._ws.send_str(
                protocol.serialise(protocol.SendMedia(self._stream_sid, mulaw_encode(frame)))
            )

    async def flush(self) -> None:
        """Barge-in: Twilio drops what it buffered and echoes the pending marks at once."""
        if not self._ws.closed:
            await self._ws.send_str(protocol.serialise(protocol.Clear(self._stream_sid)))

    async def played(self, timeout_s: float = MARK_WAIT_S) -> bool:
        """Wait until the caller has heard everything sent so far (Twilio echoes our mark)."""
        if self._ws.closed:
            return False
        name = f"played-{next(self._names)}"
        echoed = self._waiting[name] = asyncio.Event()
        await self._ws.send_str(protocol.serialise(protocol.SendMark(self._stream_sid, name)))
        try:
            await asyncio.wait_for(echoed.wait(), timeout_s)
            return True
        except TimeoutError:
            _LOGGER.warning("no echo of mark %s within %.0f s", name, timeout_s)
            return False
        finally:
            self._waiting.pop(name, None)

    def marked(self, name: str) -> None:
        if name in self._waiting:
            self._waiting[name].set()


@dataclass
class TwilioCallControl:
    """What the tools can do to a phone call: transfer and hold go through the REST API."""

    rest: TwilioRest
    call_sid: str
    settings: TwilioSettings
    lines: Catalogue
    channel: str = "phone"
    #: Set when the call was handed elsewhere: the stop that follows is not a hang-up.
    redirected: bool = False
    #: Set when Twilio said the call is over: there is nothing left to hang up.
    ended_by_twilio: bool = False
    pending_transfer: tuple[str, str] | None = None
    call: LiveCall | None = field(default=None, repr=False)

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        # The redirect waits until the caller has heard "I'm connecting you now".
        self.pending_transfer = (number, department)
        return None

    async def play_hold_music(self) -> str | None:
        try:
            await self.rest.update_call(
                self.call_sid, twiml.hold(self.settings.hold_music_url)
            )
        except ChannelError as err:
            _LOGGER.error("hold failed: %s", err.message)
            return self.lines.say("handoff.hold_unavailable")
        self.redirected = True
        return None

    async def announce(self, message: str) -> str | None:
        if self.call is None:
            return self.lines.say("handoff.not_connected_yet")
        await self.call.say(message)
        return None

    async def hang_up(self) -> None:
        with contextlib.suppress(ChannelError):
            await self.rest.hang_up(self.call_sid)

    async def complete_transfer(self) -> None:
        assert self.pending_transfer is not None
        number, department = self.pending_transfer
        who = department.replace("_", " ")
        document = twiml.transfer(
            number, self.settings.phone_number or None, self.settings.transfer_timeout_s,
            self.lines.say("phone.nobody_answered", who=who),
        )  # fmt: skip
        await self.rest.update_call(self.call_sid, document)
        self.redirected = True


class TwilioCall:
    """Runs one media stream from ``start`` to ``stop``."""

    def __init__(
        self,
        switchboard: Switchboard,
        settings: TwilioSettings,
        rest: TwilioRest,
        ws: web.WebSocketResponse,
        session_for_token: dict[str, str],
        lines: Catalogue,
    ) -> None:
        self._lines = lines
        self._switchboard = switchboard
        self._settings = settings
        self._rest = rest
        self._ws = ws
        self._tokens = session_for_token
        self._stream_sid = ""
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        timeout_s = self._settings.stream_timeout_s
        start = await self._await_start(timeout_s)
        if start is None:
            return
        self._stream_sid = start.stream_sid
        session_id = self._tokens.pop(start.custom_parameters.get("token", ""), None)
        session = self._switchboard.find(session_id) if session_id is not None else None
        if session is None:
            _LOGGER.warning(
                "stream %s refused: its one-time token is missing, used or unknown",
                start.stream_sid,
            )
            await self._ws.close(code=4403, message=b"bad token")
            return
        CALL_ID.set(session.id)
        control = TwilioCallControl(self._rest, start.call_sid, self._settings, self._lines)
        sink = TwilioSink(self._ws, start.stream_sid)
        call = await self._switchboard.attach(session, sink, greet=True, control=control)
        control.call = call
        self._tasks = [asyncio.create_task(self._finish_when_done(call, control, sink))]
        try:
            await self._read(call, sink, session, timeout_s)
        finally:
            for task in self._tasks:
                task.cancel()
            if not call.done.is_set():
                await call.close(self._ended_by_caller(control, call))
            await self._ws.close()

    async def _await_start(self, timeout_s: float) -> protocol.Start | None:
        # One deadline for the whole wait: a stream that keeps sending `connected` or marks
        # must not stay open, outside the line cap, for ever.
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await self._ws.receive()
            except TimeoutError:
                _LOGGER.warning("media stream sent no start within %.0f s; closing it", timeout_s)
                await self._ws.close()
                return None
            if message.type is WSMsgType.ERROR:
                self._log_error()
                return None
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED):
                return None
            frame = self._frame(message)
            if isinstance(frame, protocol.Start):
                if (
                    frame.media_format.encoding != protocol.MULAW_ENCODING
                    or frame.media_format.sample_rate_hz != MULAW_RATE_HZ
                ):
                    _LOGGER.error("stream %s sends %s at %d Hz; only 8 kHz mu-law is spoken here",
                                  frame.stream_sid, frame.media_format.encoding, frame.media_format.sample_rate_hz)  # fmt: skip
                    await self._ws.close()
                    return None
                return frame

    def _log_error(self) -> None:
        _LOGGER.warning(
            "media stream %s closed on a bad WebSocket message (the limit is %d bytes): %s",
            self._stream_sid or "(not started)", MAX_MESSAGE_BYTES, self._ws.exception(),
        )  # fmt: skip

    def _frame(self, message: object) -> protocol.Inbound | None:
        """Parse one WebSocket message; a malformed one is logged with the reason and skipped."""
        data = getattr(message, "data", None)
        try:
            frame = protocol.parse(data if isinstance(data, str | bytes) else b"")
        except protocol.ProtocolError as err:
            _LOGGER.warning("skipped a media stream frame: %s", err.message)
            return None
        if (
            self._stream_sid
            and not isinstance(frame, protocol.Connected)
            and frame.stream_sid != self._stream_sid
        ):
            _LOGGER.warning(
                "skipped a frame of stream %s on stream %s", frame.stream_sid, self._stream_sid
            )
            return None
        return frame

    async def _read(
        self, call: LiveCall, sink: TwilioSink, session: Session, timeout_s: float
    ) -> None:
        loop = asyncio.get_running_loop()
        # Only audio keeps a call open: a line always carries it, silence included.
        media_deadline = loop.time() + timeout_s
        while not self._ws.closed:
            try:
                async with asyncio.timeout_at(media_deadline):
                    message = await self._ws.receive()
            except TimeoutError:
                _LOGGER.warning(
                    "media stream carried no audio for %.0f s; ending the call", timeout_s
                )
                await call.close(
                    CallStatus.FAILED if not session.messages else CallStatus.ABANDONED
                )
                return
            if message.type is WSMsgType.ERROR:
                self._log_error()
                return
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                return
            frame = self._frame(message)
            if isinstance(frame, protocol.Media):
                media_deadline = loop.time() + timeout_s
                call.feed(mulaw_decode(frame.payload))
            elif isinstance(frame, protocol.Mark):
                sink.marked(frame.name)
            elif isinstance(frame, protocol.Dtmf):
                call.key(frame.digit)
            elif isinstance(frame, protocol.Stop):
                _LOGGER.info("media stream stopped")
                return

    async def _finish_when_done(
        self, call: LiveCall, control: TwilioCallControl, sink: TwilioSink
    ) -> None:
        """When the loop ends the call: let the last words play, then transfer or hang up."""
        await call.done.wait()
        await sink.played()
        try:
            if control.pending_transfer is not None:
                await control.complete_transfer()
            elif not control.redirected and not control.ended_by_twilio:
                await self._rest.hang_up(control.call_sid)
        except ApplianceError as err:
            _LOGGER.error("could not end the call through Twilio: %s", err.message)
        await self._ws.close()

    @staticmethod
    def _ended_by_caller(control: TwilioCallControl, call: LiveCall) -> CallStatus:
        if control.redirected or control.pending_transfer is not None:
            return CallStatus.TRANSFERRED
        return CallStatus.COMPLETED if call.caller_spoke else CallStatus.ABANDONED
