"""Twilio's webhooks and the media stream endpoint, with their signatures checked."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field

from aiohttp import web
from twilio.request_validator import RequestValidator

from appliance.channels.twilio import twiml
from appliance.channels.twilio.call import MAX_MESSAGE_BYTES, TwilioCall, TwilioCallControl
from appliance.channels.twilio.rest import TwilioRest
from appliance.config import DepartmentSettings, TwilioSettings, VoiceSettings
from appliance.errors import ChannelError, StoreError, ToolError
from appliance.http import json_body, json_error
from appliance.sentences import Catalogue
from appliance.sessions import CallRefused, CallStatus, SessionError
from appliance.switchboard import Switchboard

_LOGGER = logging.getLogger(__name__)

INBOUND_PATH = "/voice/twilio/inbound"
OUTBOUND_PATH = "/voice/twilio/outbound"
STATUS_PATH = "/voice/twilio/status"
STREAM_PATH = "/voice/twilio/stream"
#: How many stream timeouts a started call may wait for its media stream.
STREAM_WAIT_FACTOR = 3
_ENDED = {"completed": CallStatus.COMPLETED, "busy": CallStatus.FAILED, "failed": CallStatus.FAILED,
          "no-answer": CallStatus.ABANDONED, "canceled": CallStatus.ABANDONED}  # fmt: skip


@dataclass
class TwilioChannel:
    """Phone calls through the hotel's Twilio account: its webhooks and media streams."""

    switchboard: Switchboard
    settings: TwilioSettings
    departments: DepartmentSettings
    voice: VoiceSettings
    rest: TwilioRest
    lines: Catalogue
    #: One-time tokens handed to Twilio in the TwiML, each good for one stream.
    tokens: dict[str, str] = field(default_factory=dict)
    _expiries: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @property
    def public(self) -> str:
        return self.settings.public_base_url.rstrip("/")

    @property
    def stream_url(self) -> str:
        base = self.public.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return base + STREAM_PATH

    def expire_later(self, token: str) -> None:
        """A stream that never comes (the caller hung up while it was set up) must not leave a
        live session and a usable token behind."""

        async def expire() -> None:
            await asyncio.sleep(STREAM_WAIT_FACTOR * self.settings.stream_timeout_s)
            session_id = self.tokens.pop(token, None)
            if session_id is not None and self.switchboard.find(session_id) is not None:
                _LOGGER.warning("no media stream came for call %s; closing it", session_id)
                await self.switchboard.end(session_id, CallStatus.ABANDONED, "no-stream")

        task = asyncio.create_task(expire())
        self._expiries.add(task)
        task.add_done_callback(self._expiries.discard)

    def problem(self) -> str | None:
        if not self.settings.auth_token:
            return (
                "TWILIO_AUTH_TOKEN is not set, so no request can be checked as coming from Twilio"
            )
        if not self.public:
            return "PUBLIC_BASE_URL is not set: signatures are checked against it and streams are built on it"
        return None

    def signed(self, url: str, params: dict[str, str], signature: str | None) -> str | None:
        """None if Twilio signed this request, else why not (the log says it, support reads it)."""
        if not signature:
            return "no X-Twilio-Signature header"
        if not RequestValidator(self.settings.auth_token).validate(url, params, signature):
            return (f"X-Twilio-Signature does not match {url} with TWILIO_AUTH_TOKEN: check PUBLIC_BASE_URL "
                    "is the address in the Twilio console and the token is the account's")  # fmt: skip
        return None


TWILIO = web.AppKey("twilio", TwilioChannel)


async def _checked(
    request: web.Request, path: str
) -> tuple[TwilioChannel, dict[str, str]] | web.Response:
    channel = request.app[TWILIO]
    if (problem := channel.problem()) is not None:
        _LOGGER.error("Twilio request refused: %s", problem)
        return json_error(503, "twilio-not-configured", problem)
    form = {k: str(v) for k, v in (await request.post()).items()}
    why = channel.signed(channel.public + path, form, request.headers.get("X-Twilio-Signature"))
    if why is not None:
        _LOGGER.warning("refused a request to %s: %s", path, why)
        return json_error(403, "bad-signature", why)
    return channel, form


def _twiml(document: str) -> web.Response:
    return web.Response(text=document, content_type="text/xml")


async def _answer(request: web.Request, path: str, direction: str) -> web.StreamResponse:
    checked = await _checked(request, path)
    if isinstance(checked, web.Response):
        return checked
    channel, form = checked
    front_desk = channel.departments.front_desk or None
    settings = channel.settings

    lines = channel.lines

    def put_through(key: str) -> web.Response:
        return _twiml(twiml.say_and_dial(lines.say(key), front_desk, settings.phone_number,
                                         settings.transfer_timeout_s, lines.say("phone.call_again")))  # fmt: skip

    if not channel.voice.enabled:
        return put_through("phone.closed")
    busy, unwell = "phone.busy", "phone.unwell"
    caller = form.get("To") if direction == "outbound" else form.get("From")
    try:
        seat = channel.switchboard.admit("phone")
        session = await channel.switchboard.register(
            "phone", seat, caller_id=caller or None, direction=direction,
            session_id=form.get("CallSid") or None,
        )  # fmt: skip
    except CallRefused as err:
        _LOGGER.warning("call %s put through to the front desk: %s", form.get("CallSid"), err.message)
        return put_through(busy if err.code in ("channel-busy", "not-accepting") else unwell)
    except StoreError as err:
        # The disk is full, or failing: the caller still reaches a person.
        _LOGGER.error("call %s put through to the front desk: %s", form.get("CallSid"), err.message)
        return put_through(unwell)
    except SessionError as err:
        if err.code == "session-ended":
            # A replay of the webhook of a call that is over: nothing to connect it to.
            _LOGGER.warning("webhook for call %s, which has ended: hanging up", form.get("CallSid"))
            return _twiml(twiml.hang_up())
        _LOGGER.error("call refused: %s", err.message)
        return put_through("phone.cannot_take")
    token = secrets.token_urlsafe(24)
    channel.tokens[token] = session.id
    channel.expire_later(token)
    return _twiml(twiml.connect_stream(channel.stream_url, {"token": token}))


async def inbound(request: web.Request) -> web.StreamResponse:
    return await _answer(request, INBOUND_PATH, "inbound")


async def outbound_answered(request: web.Request) -> web.StreamResponse:
    return await _answer(request, OUTBOUND_PATH, "outbound")


async def status(request: web.Request) -> web.Response:
    """Call progress. Callbacks can arrive late, out of order and twice: only a live session is
    ended by them, once."""
    checked = await _checked(request, STATUS_PATH)
    if isinstance(checked, web.Response):
        return checked
    channel, form = checked
    ended = _ENDED.get(form.get("CallStatus", ""))
    session = channel.switchboard.find(form.get("CallSid", ""))
    if ended is None or session is None or not session.active:
        return web.Response(status=204)
    error_code = None if ended is CallStatus.COMPLETED else form["CallStatus"]
    control = session.control
    if isinstance(control, TwilioCallControl) and control.call is not None:
        # The stream is still open: its loop ends the call, so nothing runs on under it.
        control.ended_by_twilio = True
        _LOGGER.info(
            "Twilio says call %s is %s; closing its stream", session.id, form["CallStatus"]
        )
        await control.call.close(ended, error_code)
    else:
        await channel.switchboard.end(session.id, ended, error_code)
    return web.Response(status=204)


async def stream(request: web.Request) -> web.StreamResponse:
    channel = request.app[TWILIO]
    if (problem := channel.problem()) is not None:
        return json_error(503, "twilio-not-configured", problem)
    why = channel.signed(channel.stream_url, {}, request.headers.get("X-Twilio-Signature"))
    if why is not None:
        _LOGGER.warning("refused a media stream: %s", why)
        return json_error(403, "bad-signature", why)
    ws = web.WebSocketResponse(heartbeat=None, max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    call = TwilioCall(channel.switchboard, channel.settings, channel.rest, ws, channel.tokens, channel.lines)
    await call.run()
    return ws


async def place_call(request: web.Request) -> web.Response:
    """Admin API: call a guest; the answer leads into the same stream handling."""
    body = await json_body(request)
    to, purpose = body.get("to"), body.get("purpose", "")
    if not isinstance(to, str) or not to.strip():
        return json_error(400, "bad-to", f"'to' must be the guest's phone number, got {to!r}")
    if not isinstance(purpose, str):
        return json_error(400, "bad-purpose", f"'purpose' must be text, got {purpose!r}")
    channel = request.app[TWILIO]
    if (problem := channel.problem()) is not None:
        return json_error(503, "twilio-not-configured", problem)
    try:
        from appliance.tools.voice import normalize_phone

        number = normalize_phone(to)
        sid = await channel.rest.create_call(
            number, channel.public + OUTBOUND_PATH, channel.public + STATUS_PATH
        )
    except ToolError as err:
        return json_error(400, err.code, err.message)
    except ChannelError as err:
        return json_error(502, err.code, err.message)
    _LOGGER.info("placed a call to %s", number, extra={"purpose": purpose})
    return web.json_response({"call_sid": sid, "to": number}, status=201)


def add_routes(app: web.Application, channel: TwilioChannel) -> None:
    app[TWILIO] = channel
    app.router.add_post(INBOUND_PATH, inbound)
    app.router.add_post(OUTBOUND_PATH, outbound_answered)
    app.router.add_post(STATUS_PATH, status)
    app.router.add_get(STREAM_PATH, stream)
    app.router.add_post("/admin/calls/outbound", place_call)
