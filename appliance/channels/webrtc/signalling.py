"""The browser's signalling messages, as JSON text: pure parse and serialise, nothing else.

The page sends ``offer`` (its SDP, ICE gathered in full: aiortc does not trickle), ``hangup``
and ``key``; the appliance answers with ``answer`` and then tells the page what happens:
``transcript``, ``reply``, ``heard``, ``tool``, ``quality``, ``ended`` and ``error``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from appliance.errors import ChannelError
from appliance.sessions.events import (
    AgentHeard,
    AgentSays,
    CallEnded,
    CallerSaid,
    CallEvent,
    ToolUsed,
)

#: An SDP offer from a browser is a few KiB; anything much bigger is not one.
MAX_SDP_CHARS = 64 * 1024
KEYS = frozenset("0123456789*#")


#: Who may place a call here: a guest's browser, or a lobby kiosk PC (its calls are kept as
#: the kiosk's).
CLIENTS = ("webrtc", "kiosk")


@dataclass(frozen=True)
class Offer:
    sdp: str
    channel: str = "webrtc"
    type: str = "offer"


@dataclass(frozen=True)
class Hangup:
    type: str = "hangup"


@dataclass(frozen=True)
class Key:
    digit: str
    type: str = "key"


@dataclass(frozen=True)
class Answer:
    sdp: str
    session_id: str
    type: str = "answer"


@dataclass(frozen=True)
class Quality:
    """Connection quality as last sampled; None where there is no measurement yet."""

    jitter_ms: float | None
    packet_loss_pct: float | None
    rtt_ms: float | None
    type: str = "quality"


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    type: str = "error"


Inbound = Offer | Hangup | Key
Outbound = Answer | Quality | Failure


def parse(data: str | bytes | dict[str, Any]) -> Inbound:
    """One message from the page; ChannelError naming what is wrong otherwise."""
    if isinstance(data, dict):
        message = data
    else:
        try:
            message = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ChannelError("bad-signal", f"a signalling message is not JSON: {err}") from err
    if not isinstance(message, dict):
        raise ChannelError("bad-signal", "a signalling message must be a JSON object")
    kind = message.get("type")
    if kind == "offer":
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise ChannelError("bad-offer", "the offer's sdp must be SDP text starting with v=0")
        if len(sdp) > MAX_SDP_CHARS:
            raise ChannelError(
                "bad-offer", f"the offer's sdp has {len(sdp)} characters; at most {MAX_SDP_CHARS}"
            )
        channel = message.get("channel", "webrtc")
        if channel not in CLIENTS:
            raise ChannelError(
                "bad-offer",
                f"the offer's channel must be one of {', '.join(CLIENTS)}, not {channel!r}",
            )
        return Offer(sdp, channel)
    if kind == "hangup":
        return Hangup()
    if kind == "key":
        digit = message.get("digit")
        if not isinstance(digit, str) or digit not in KEYS:
            raise ChannelError("bad-key", f"a key must be one of 0-9, * or #, got {digit!r}")
        return Key(digit)
    raise ChannelError(
        "bad-signal", f"unknown signalling message type {kind!r}; use offer, hangup or key"
    )


def serialise(message: Outbound | Inbound) -> str:
    return json.dumps(asdict(message))


def event_message(event: CallEvent) -> str:
    """A call event as the page reads it."""
    body: dict[str, Any]
    if isinstance(event, CallerSaid):
        body = {"type": "transcript", "text": event.text, "final": event.final}
    elif isinstance(event, AgentSays):
        body = {"type": "reply", "text": event.text}
    elif isinstance(event, AgentHeard):
        body = {"type": "heard", "text": event.text, "interrupted": event.interrupted}
    elif isinstance(event, ToolUsed):
        body = {"type": "tool", "name": event.name, "ok": event.ok}
    elif isinstance(event, CallEnded):
        body = {"type": "ended", "status": event.status}
    return json.dumps(body)
