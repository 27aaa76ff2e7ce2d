"""Twilio Media Streams messages as typed values: pure parse and serialise, no side effects.

Twilio sends JSON text frames: ``connected``, ``start``, ``media`` (base64 mu-law, 160 bytes
= 20 ms at 8 kHz), ``dtmf``, ``mark`` (the echo of one we sent) and ``stop``; its numbers
arrive as strings. We send ``media``, ``mark`` and ``clear``. A frame that is not one of these,
or is missing a field, raises ``ProtocolError`` naming what is wrong, so the call can log it
and go on.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import ChannelError

MULAW_ENCODING = "audio/x-mulaw"


#: The most audio one media frame may carry: one second of 8 kHz mu-law.
MAX_MEDIA_BYTES = 8000
MAX_MEDIA_B64 = (MAX_MEDIA_BYTES + 2) // 3 * 4


class ProtocolError(ChannelError):
    """A Media Streams frame that cannot be used."""

    def __init__(self, message: str) -> None:
        super().__init__("twilio-bad-frame", message)


@dataclass(frozen=True)
class Connected:
    protocol: str
    version: str


@dataclass(frozen=True)
class MediaFormat:
    encoding: str
    sample_rate_hz: int
    channels: int


@dataclass(frozen=True)
class Start:
    sequence_number: int
    stream_sid: str
    call_sid: str
    account_sid: str
    tracks: tuple[str, ...]
    media_format: MediaFormat
    custom_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Media:
    sequence_number: int
    stream_sid: str
    track: str
    chunk: int
    timestamp_ms: int
    payload: bytes


@dataclass(frozen=True)
class Dtmf:
    sequence_number: int
    stream_sid: str
    track: str
    digit: str


@dataclass(frozen=True)
class Mark:
    sequence_number: int
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    sequence_number: int
    stream_sid: str
    account_sid: str
    call_sid: str


Inbound = Connected | Start | Media | Dtmf | Mark | Stop


@dataclass(frozen=True)
class SendMedia:
    stream_sid: str
    payload: bytes


@dataclass(frozen=True)
class SendMark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Clear:
    stream_sid: str


Outbound = SendMedia | SendMark | Clear


def _table(message: dict[str, Any], key: str, event: str) -> dict[str, Any]:
    value = message.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{event} frame has no {key!r} object")
    return value


def _text(table: dict[str, Any], key: str, event: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{event} frame: {key!r} is missing or not text ({value!r})")
    return value


def _number(table: dict[str, Any], key: str, event: str) -> int:
    value = table.get(key)
    if isinstance(value, bool):
        raise ProtocolError(f"{event} frame: {key!r} is not a number ({value!r})")
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProtocolError(f"{event} frame: {key!r} is not a number ({value!r})") from None


def parse(frame: str | bytes) -> Inbound:
    """One WebSocket frame from Twilio. Binary frames are not part of the protocol."""
    if isinstance(frame, bytes):
        raise ProtocolError(f"binary frame of {len(frame)} bytes; Media Streams sends JSON text")
    try:
        message = json.loads(frame)
    except json.JSONDecodeError as err:
        raise ProtocolError(f"frame is not JSON ({err.msg} at {err.pos}): {frame[:80]!r}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"frame is not a JSON object: {frame[:80]!r}")
    event = message.get("event")
    if event == "connected":
        return Connected(
            protocol=str(message.get("protocol", "")), version=str(message.get("version", ""))
        )
    sequence = _number(message, "sequenceNumber", str(event))
    if event == "start":
        start = _table(message, "start", event)
        media_format = _table(start, "mediaFormat", event)
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            raise ProtocolError("start frame: 'customParameters' is not an object")
        tracks = start.get("tracks") or []
        return Start(
            sequence_number=sequence,
            stream_sid=_text(start, "streamSid", event),
            call_sid=_text(start, "callSid", event),
            account_sid=_text(start, "accountSid", event),
            tracks=tuple(str(t) for t in tracks) if isinstance(tracks, list) else (),
            media_format=MediaFormat(
                encoding=_text(media_format, "encoding", event),
                sample_rate_hz=_number(media_format, "sampleRate", event),
                channels=_number(media_format, "channels", event),
            ),
            custom_parameters={str(k): str(v) for k, v in parameters.items()},
        )
    stream_sid = _text(message, "streamSid", str(event))
    if event == "media":
        media = _table(message, "media", event)
        encoded = _text(media, "payload", event)
        if len(encoded) > MAX_MEDIA_B64:
            # Twilio sends 20 ms (160 bytes); hours of audio in one frame would stall every call.
            raise ProtocolError(
                f"media frame: payload of {len(encoded)} base64 characters; at most "
                f"{MAX_MEDIA_B64} ({MAX_MEDIA_BYTES} bytes, one second of audio) are taken"
            )
        try:
            payload = base64.b64decode(encoded, validate=True)
        except binascii.Error as err:
            raise ProtocolError(f"media frame: payload is not base64 ({err})") from None
        return Media(
            sequence_number=sequence,
            stream_sid=stream_sid,
            track=str(media.get("track", "inbound")),
            chunk=_number(media, "chunk", event),
            timestamp_ms=_number(media, "timestamp", event),
            payload=payload,
        )
    if event == "dtmf":
        dtmf = _table(message, "dtmf", event)
        digit = _text(dtmf, "digit", event)
        if len(digit) != 1 or digit not in "0123456789*#ABCD":
            raise ProtocolError(f"dtmf frame: {digit!r} is not a key")
        return Dtmf(sequence, stream_sid, str(dtmf.get("track", "inbound_track")), digit)
    if event == "mark":
        return Mark(sequence, stream_sid, _text(_table(message, "mark", event), "name", event))
    if event == "stop":
        stop = _table(message, "stop", event)
        return Stop(
            sequence, stream_sid, _text(stop, "accountSid", event), _text(stop, "callSid", event)
        )
    raise ProtocolError(f"unknown event {event!r}")


def serialise(message: Outbound | Inbound) -> str:
    """One frame as JSON text: what we send, or (for simulators and tests) what Twilio sends."""
    if isinstance(message, SendMedia):
        body: dict[str, Any] = {"event": "media", "streamSid": message.stream_sid,
                                "media": {"payload": base64.b64encode(message.payload).decode()}}  # fmt: skip
    elif isinstance(message, SendMark):
        body = {"event": "mark", "streamSid": message.stream_sid, "mark": {"name": message.name}}
    elif isinstance(message, Clear):
        body = {"event": "clear", "streamSid": message.stream_sid}
    elif isinstance(message, Connected):
        body = {"event": "connected", "protocol": message.protocol, "version": message.version}
    elif isinstance(message, Start):
        body = {
            "event": "start", "sequenceNumber": str(message.sequence_number), "streamSid": message.stream_sid,
            "start": {
                "streamSid": message.stream_sid, "callSid": message.call_sid, "accountSid": message.account_sid,
                "tracks": list(message.tracks), "customParameters": dict(message.custom_parameters),
                "mediaFormat": {"encoding": message.media_format.encoding,
                                "sampleRate": message.media_format.sample_rate_hz,
                                "channels": message.media_format.channels},
            },
        }  # fmt: skip
    elif isinstance(message, Media):
        body = {
            "event": "media", "sequenceNumber": str(message.sequence_number), "streamSid": message.stream_sid,
            "media": {"track": message.track, "chunk": str(message.chunk), "timestamp": str(message.timestamp_ms),
                      "payload": base64.b64encode(message.payload).decode()},
        }  # fmt: skip
    elif isinstance(message, Dtmf):
        body = {"event": "dtmf", "sequenceNumber": str(message.sequence_number), "streamSid": message.stream_sid,
                "dtmf": {"track": message.track, "digit": message.digit}}  # fmt: skip
    elif isinstance(message, Mark):
        body = {"event": "mark", "sequenceNumber": str(message.sequence_number), "streamSid": message.stream_sid,
                "mark": {"name": message.name}}  # fmt: skip
    else:
        body = {"event": "stop", "sequenceNumber": str(message.sequence_number), "streamSid": message.stream_sid,
                "stop": {"accountSid": message.account_sid, "callSid": message.call_sid}}  # fmt: skip
    return json.dumps(body)


def parse_outbound(frame: str) -> Outbound:
    """What we sent, read back (for the call simulator in the tests)."""
    message = json.loads(frame)
    event = message.get("event")
    stream_sid = _text(message, "streamSid", str(event))
    if event == "media":
        return SendMedia(
            stream_sid, base64.b64decode(_text(_table(message, "media", event), "payload", event))
        )
    if event == "mark":
        return SendMark(stream_sid, _text(_table(message, "mark", event), "name", event))
    if event == "clear":
        return Clear(stream_sid)
    raise ProtocolError(f"unknown outbound event {event!r}")
