"""The TwiML documents the appliance answers Twilio with (built with twilio's own builder)."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, Dial, VoiceResponse

VOICE = "Polly.Joanna"


def connect_stream(stream_url: str, parameters: dict[str, str]) -> str:
    """Open a bidirectional media stream to the appliance; Twilio forbids a query string on the
    stream URL, so per-call values travel as <Parameter>s."""
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=stream_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    return str(response)


def say_and_dial(
    message: str, number: str | None, caller_id: str | None, timeout_s: int, call_again: str
) -> str:
    """A sentence, then the front desk: for a full appliance or a closed line. Never silence."""
    response = VoiceResponse()
    response.say(message, voice=VOICE)
    if number:
        response.dial(number, caller_id=caller_id or None, timeout=timeout_s)
    else:
        response.say(call_again, voice=VOICE)
    return str(response)


def transfer(number: str, caller_id: str | None, timeout_s: int, fallback: str) -> str:
    """Ring a department; if nobody answers, say ``fallback`` rather than drop the caller."""
    response = VoiceResponse()
    dial = Dial(caller_id=caller_id or None, timeout=timeout_s)
    dial.number(number)
    response.append(dial)
    response.say(fallback, voice=VOICE)
    return str(response)


def hold(music_url: str) -> str:
    response = VoiceResponse()
    response.play(music_url, loop=0)
    return str(response)


def hang_up() -> str:
    """End the call at once (a webhook for a call that has already ended)."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
