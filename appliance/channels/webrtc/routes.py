"""The guest page and its signalling: `/` (or `/talk`), `POST /voice/webrtc/offer` and
`WS /voice/webrtc`, which also carries the call's live events to the page."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from importlib import resources
from pathlib import Path

from aiohttp import WSMsgType, web

from appliance.channels.webrtc import signalling
from appliance.channels.webrtc.call import (
    END_GRACE_S,
    WebRtcCall,
    WebRtcChannel,
    browser_ice_servers,
)
from appliance.channels.webrtc.signalling import Failure, Hangup, Key, Offer, Quality
from appliance.clients import client_of
from appliance.errors import ChannelError
from appliance.http import json_body, json_error
from appliance.sessions.events import CallEnded, CallEvent

_LOGGER = logging.getLogger(__name__)

STATIC_DIR = Path(str(resources.files("appliance.channels.webrtc") / "static"))
WEBRTC = web.AppKey("webrtc", WebRtcChannel)
_BUSY_CODES = {
    "channel-busy", "not-accepting", "webrtc-disabled", "connections-full",
    "disk-full", "storage-failed", "too-many-files",
}  # fmt: skip
_TOO_MANY_CODES = {"too-many-connections", "too-many-calls"}


async def page(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(STATIC_DIR / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def page_config(request: web.Request) -> web.Response:
    """What the page needs to place a call: the hotel's name and the ICE servers."""
    channel = request.app[WEBRTC]
    return web.json_response(
        {
            "hotel": channel.switchboard.hotel_name,
            "enabled": channel.settings.enabled and channel.switchboard.taking_calls,
            "ice_servers": browser_ice_servers(channel.settings),
            "echo_cancellation": channel.settings.echo_cancellation,
        }
    )


def _refusal(err: ChannelError) -> web.Response:
    status = 503 if err.code in _BUSY_CODES else 429 if err.code in _TOO_MANY_CODES else 400
    response = json_error(status, err.code, err.message)
    if err.code in _TOO_MANY_CODES or err.code == "connections-full":
        response.headers["Retry-After"] = "10"
        response.force_close()  # the descriptor goes back at once
    return response


async def offer(request: web.Request) -> web.Response:
    """The aiortc pattern: an offer in, an answer out; the call lives until either side hangs up."""
    channel = request.app[WEBRTC]
    switchboard = channel.switchboard
    if not switchboard.taking_calls:
        why = switchboard.closed_reason
        return json_error(503, "not-ready", f"{why}; try again shortly")
    address = client_of(request).address
    try:
        release = channel.hold_socket(address)
    except ChannelError as err:
        channel.refused(f"{address}: {err.message}")
        return _refusal(err)
    try:
        message = signalling.parse(await json_body(request))
        if not isinstance(message, Offer):
            raise ChannelError("bad-signal", 'POST an offer here: {"type": "offer", "sdp": ...}')
        call = await channel.answer(message, address=address)
    except ChannelError as err:
        if err.code in _TOO_MANY_CODES or err.code in _BUSY_CODES:
            channel.refused(f"{address}: {err.message}")
        else:
            _LOGGER.warning("browser offer from %s refused: %s", address, err.message)
        return _refusal(err)
    finally:
        release()
    return web.json_response(json.loads(signalling.serialise(call.answer())))


async def websocket(request: web.Request) -> web.StreamResponse:
    """One call per connection: the offer, then keys and hang-up in; answer and events out.
    Closing the page closes the socket, which hangs the call up. A connection that brings no
    offer within ``offer_timeout_s`` is closed: an idle one holds a descriptor."""
    channel = request.app[WEBRTC]
    address = client_of(request).address
    try:
        release = channel.hold_socket(address)
    except ChannelError as err:
        channel.refused(f"{address}: {err.message}")
        return _refusal(err)
    try:
        return await _signal(request, channel, address)
    finally:
        release()


async def _signal(request: web.Request, channel: WebRtcChannel, address: str) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=2 * signalling.MAX_SDP_CHARS)
    await ws.prepare(request)
    outbox: asyncio.Queue[str | None] = asyncio.Queue()
    writer = asyncio.create_task(_write(ws, outbox))
    call: WebRtcCall | None = None
    answering = False
    timeout_s = channel.settings.offer_timeout_s
    loop = asyncio.get_running_loop()
    closes_at = loop.time() + timeout_s

    def no_offer() -> None:
        if call is None and not answering and not ws.closed:
            channel.unoffered(f"the latest from {address}, after {timeout_s:.0f} s")
            outbox.put_nowait(signalling.serialise(
                Failure("no-offer", f"no offer came within {timeout_s:.0f} s; the connection is closed")
            ))  # fmt: skip
            outbox.put_nowait(None)

    deadline = loop.call_at(closes_at, no_offer)

    def on_event(event: CallEvent | Quality) -> None:
        if isinstance(event, Quality):
            outbox.put_nowait(signalling.serialise(event))
            return
        outbox.put_nowait(signalling.event_message(event))
        if isinstance(event, CallEnded):
            outbox.put_nowait(None)  # the call is over: the socket closes after this

    try:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                signal = signalling.parse(message.data)
                if isinstance(signal, Offer):
                    if call is not None:
                        raise ChannelError("call-exists", "this connection already has a call")
                    answering = True
                    try:
                        call = await channel.answer(signal, on_event, address=address)
                    finally:
                        answering = False
                    deadline.cancel()
                    outbox.put_nowait(signalling.serialise(call.answer()))
                elif isinstance(signal, Key) and call is not None:
                    call.key(signal.digit)
                elif isinstance(signal, Hangup):
                    break
            except ChannelError as err:
                _LOGGER.warning("browser signalling from %s: %s", address, err.message)
                outbox.put_nowait(signalling.serialise(Failure(err.code, err.message)))
                if call is None and loop.time() >= closes_at:
                    no_offer()  # its time ran out while the offer was being refused
            except Exception:  # the call boundary: this guest is told, the server goes on
                _LOGGER.exception("a browser call could not be set up")
                outbox.put_nowait(
                    signalling.serialise(
                        Failure("webrtc-failed", "the call could not be set up; please try again")
                    )
                )
                break
    finally:
        deadline.cancel()
        if call is not None:
            if call.live is not None and call.live.done.is_set():
                await asyncio.sleep(END_GRACE_S)  # the last words are still on their way
            await call.end()
        outbox.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await ws.close()
    return ws


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue[str | None]) -> None:
    while (text := await outbox.get()) is not None:
        if ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await ws.send_str(text)
    await ws.close()



def add_routes(app: web.Application, channel: WebRtcChannel) -> None:
    app[WEBRTC] = channel
    app.router.add_get("/", page)
    app.router.add_get("/talk", page)
    app.router.add_static("/static/talk", STATIC_DIR, name="talk-static")
    app.router.add_get("/voice/webrtc/config", page_config)
    app.router.add_post("/voice/webrtc/offer", offer)
    app.router.add_get("/voice/webrtc", websocket)
