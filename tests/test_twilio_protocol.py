"""Twilio Media Streams frames: every message type round-trips; bad frames name what is wrong."""

from __future__ import annotations

import json

import pytest

from appliance.channels.twilio.protocol import (
    Clear,
    Connected,
    Dtmf,
    Mark,
    Media,
    MediaFormat,
    ProtocolError,
    SendMark,
    SendMedia,
    Start,
    Stop,
    parse,
    parse_outbound,
    serialise,
)

STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0"
CALL = "CA8ae3d7b6fa3a0ba3cd16ed1d2de1d8c8"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"

INBOUND = [
    Connected("Call", "1.0.0"),
    Start(
        1,
        STREAM,
        CALL,
        ACCOUNT,
        ("inbound",),
        MediaFormat("audio/x-mulaw", 8000, 1),
        {"token": "abc"},
    ),
    Media(2, STREAM, "inbound", 1, 20, bytes(range(160))),
    Dtmf(3, STREAM, "inbound_track", "5"),
    Mark(4, STREAM, "reply-1-chunk-0"),
    Stop(5, STREAM, ACCOUNT, CALL),
]
OUTBOUND = [SendMedia(STREAM, b"\xff" * 160), SendMark(STREAM, "reply-1"), Clear(STREAM)]


@pytest.mark.parametrize("message", INBOUND, ids=lambda m: type(m).__name__)
def test_every_twilio_message_round_trips(message: object) -> None:
    frame = serialise(message)  # type: ignore[arg-type]
    assert parse(frame) == message
    body = json.loads(frame)
    if "sequenceNumber" in body:
        assert isinstance(body["sequenceNumber"], str)  # Twilio sends its numbers as text


@pytest.mark.parametrize("message", OUTBOUND, ids=lambda m: type(m).__name__)
def test_every_message_we_send_round_trips(message: object) -> None:
    assert parse_outbound(serialise(message)) == message  # type: ignore[arg-type]


def test_a_frame_as_twilio_writes_it() -> None:
    media = parse(
        '{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1",'
        '"timestamp":"5","payload":"/////w=="},"streamSid":"MZ1"}'
    )
    assert media == Media(3, "MZ1", "inbound", 1, 5, b"\xff\xff\xff\xff")


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        (b"\x00\x01", "binary frame of 2 bytes"),
        ("{not json", "frame is not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"event":"hangup","sequenceNumber":"1","streamSid":"MZ1"}', "unknown event 'hangup'"),
        (
            '{"event":"media","sequenceNumber":"2","streamSid":"MZ1","media":{"chunk":"1","timestamp":"0","payload":"%%%"}}',
            "payload is not base64",
        ),
        (
            '{"event":"media","sequenceNumber":"x","streamSid":"MZ1","media":{}}',
            "'sequenceNumber' is not a number",
        ),
        ('{"event":"media","sequenceNumber":"2","media":{"payload":""}}', "'streamSid' is missing"),
        (
            '{"event":"dtmf","sequenceNumber":"2","streamSid":"MZ1","dtmf":{"digit":"55"}}',
            "'55' is not a key",
        ),
        (
            '{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ1"}}',
            "no 'mediaFormat' object",
        ),
    ],
)
def test_bad_frames_say_what_is_wrong(frame: str | bytes, why: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(frame)
    assert why in caught.value.message
    assert caught.value.code == "twilio-bad-frame"
