"""The browser's signalling messages, as JSON text: pure parse and serialise, nothing else.

The page sends ``offer`` (its SDP, ICE gathered in full: aiortc does not trickle), ``hangup``
and ``key``; the appliance answers with ``answer`` and then tells the page what happens:
``transcript``, ``reply``, ``heard``, ``tool``, ``quality``, ``ended`` and ``error``.
"""

from __future__ import annotations

import ipaddress
import json
import re
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


#: DTLS fingerprint hashes and their lengths in bytes (RFC 8122).
FINGERPRINT_BYTES = {"sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64}
#: The ports a browser's UDP candidates use: never a system port, never 0.
CANDIDATE_PORTS = range(1024, 65536)
_MDNS_NAME = re.compile(r"[0-9a-fA-F-]{1,64}\.local")


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


def offer_problem(sdp: str) -> str | None:
    """Why an offer could never become a call, before anything is spent on it: no audio, no
    DTLS fingerprint to check the browser's certificate against, or no port the audio could
    come from. None when it could."""
    lines = [line.strip() for line in sdp.splitlines()]
    audio = [line for line in lines if line.startswith("m=audio ")]
    if not audio:
        return "the offer has no audio from a microphone (no m=audio line)"
    for line in audio:
        fields = line.split()
        if len(fields) < 4 or not fields[1].isdigit() or not 0 < int(fields[1]) < 65536:
            return f"the offer's audio line {line[:80]!r} has no usable port"
        if "TLS/RTP/SAVPF" not in fields[2]:
            return f"the offer's audio is not DTLS-SRTP ({fields[2][:40]!r}); a browser offers UDP/TLS/RTP/SAVPF"
    fingerprints = [line.split(":", 1)[1].split() for line in lines if line.startswith("a=fingerprint:")]
    if not any(
        len(parts) == 2
        and parts[0].lower() in FINGERPRINT_BYTES
        and re.fullmatch(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*", parts[1])
        and len(parts[1].split(":")) == FINGERPRINT_BYTES[parts[0].lower()]
        for parts in fingerprints
    ):
        return "the offer has no valid DTLS fingerprint (a=fingerprint:sha-256 followed by 32 hex bytes)"
    candidates = [line for line in lines if line.startswith("a=candidate:")]
    if not any(_reachable(line) for line in candidates):
        return (
            "the offer has no ICE candidate the audio could come from (a UDP address and a port "
            f"from {CANDIDATE_PORTS.start} to {CANDIDATE_PORTS.stop - 1}): gather ICE fully "
            "before sending the offer"
        )
    return None


def _reachable(candidate: str) -> bool:
    """``a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ..``"""
    fields = candidate.split()
    if len(fields) < 8 or fields[2].lower() != "udp" or not fields[5].isdigit():
        return False
    if int(fields[5]) not in CANDIDATE_PORTS:
        return False
    address = fields[4]
    if _MDNS_NAME.fullmatch(address):  # a browser hiding its local address behind a name
        return True
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (parsed.is_unspecified or parsed.is_multicast or parsed == ipaddress.ip_address("255.255.255.255"))


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
