"""Payments are never taken by voice: a caller who wants to pay, or starts reading a card, is
told so and offered a secure link by text (through the hotel's Twilio account, here a real
HTTP server on loopback that speaks its API) or the front desk; from the moment the talk
turns to paying until it turns away, the caller's side of the recording is silent. The real
agent, flows, rules understander, journal and DuckDB file; no model."""

from __future__ import annotations

import dataclasses
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import pytest
from twilio_fakes import FakeTwilioRest, phone_ready_appliance

from appliance.app import Appliance
from appliance.audio.frames import AudioFrame
from appliance.audio.recording import CALLER
from appliance.config import Config, PaymentSettings, RecordingSettings, UnderstandingSettings
from appliance.engines import build_engines
from appliance.sessions import Session

LINK = "https://pay.example.com/harbor-view?booking={code}"
CALLER_ID = "+15557654321"
NEVER = "never take card details over the phone"


@dataclass
class Desk:
    appliance: Appliance
    rest: FakeTwilioRest

    def texts(self) -> list[dict[str, str]]:
        return [form for _, path, form in self.rest.requests if path.endswith("/Messages.json")]


async def desk_for(config: Config, link: str) -> AsyncIterator[Desk]:
    settings = dataclasses.replace(
        config,
        understanding=UnderstandingSettings(understander="rules"),
        recording=RecordingSettings(enabled=True),
        payments=PaymentSettings(link_url=link),
    )
    async with phone_ready_appliance(settings, build_engines(settings), "+12075550199") as (appliance, _, rest):
        yield Desk(appliance, rest)


@pytest.fixture()
async def desk(config: Config) -> AsyncIterator[Desk]:
    async for opened in desk_for(config, LINK):
        yield opened


async def turn(appliance: Appliance, session: Session, said: str) -> str:
    """A second of the caller's voice, then their words, as the loop takes a turn."""
    for _ in range(50):
        session.record(CALLER, AudioFrame.from_float(0.3 * np.sin(np.arange(160) / 3.0), 8000))
    session.journal.caller_turn(said, None, appliance.agent.asked_for(session))
    reply = await appliance.agent.respond(session, said)
    session.journal.agent_heard(reply.text)
    return reply.text


async def test_a_guest_who_wants_to_pay_gets_a_secure_link_by_text_with_their_code(desk: Desk) -> None:
    appliance = desk.appliance
    session = await appliance.sessions.create_session(channel="phone", caller_id=CALLER_ID)
    for said in ["I'd like to book a king room from January 15th for two nights for two guests",
                 "My name is Ana Silva", "Yes please"]:  # fmt: skip
        await turn(appliance, session, said)
    reservation = appliance.agent.state(session).reservation
    assert reservation is not None
    offered = await turn(appliance, session, "Can I pay the deposit now?")
    assert NEVER in offered and "text you a secure link" in offered
    sent = await turn(appliance, session, "Yes please")
    assert "sent you a secure payment link" in sent
    link = [t for t in desk.texts() if "pay securely" in t["Body"]]
    assert len(link) == 1 and link[0]["To"] == CALLER_ID
    assert LINK.format(code=reservation.code) in link[0]["Body"]
    said = " ".join(m.content for m in session.messages if m.role == "assistant").lower()
    assert "card number" not in said and "read me" not in said  # nothing asks for a card


async def test_a_card_read_out_unasked_is_met_with_the_same_answer(desk: Desk) -> None:
    appliance = desk.appliance
    session = await appliance.sessions.create_session(channel="phone", caller_id=CALLER_ID)
    await turn(appliance, session, "Hello there.")
    reply = await turn(appliance, session, "4539 1488 0343 6467")
    assert NEVER in reply and "4539" not in reply


async def test_without_a_payment_link_the_front_desk_is_offered(config: Config) -> None:
    async for desk in desk_for(config, ""):
        appliance = desk.appliance
        session = await appliance.sessions.create_session(channel="phone", caller_id=CALLER_ID)
        offered = await turn(appliance, session, "I want to pay for my reservation over the phone")
        assert NEVER in offered and "front desk" in offered and "link" not in offered
        await turn(appliance, session, "yes")
        assert [t.name for t in session.tools if t.name == "transfer_to_human"] == ["transfer_to_human"]
        assert not desk.texts()


async def test_the_caller_is_silent_in_the_recording_while_the_talk_is_of_paying(desk: Desk) -> None:
    appliance = desk.appliance
    session = await appliance.sessions.create_session(channel="phone", caller_id=CALLER_ID)
    turns = [
        ("What time is breakfast?", True),
        ("I want to pay by credit card", False),  # from here on: silent...
        ("it's a visa, the long number on the front", False),
        ("Actually, never mind. Is there parking?", True),  # ...until the talk turns away
    ]
    for said, _ in turns:
        await turn(appliance, session, said)
    url = session.recording_url
    await appliance.sessions.end_session(session.id)
    assert url is not None
    with wave.open(url) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        rate = wav.getframerate()
    heard = [bool(np.abs(samples[int((i + 0.1) * rate) : int((i + 0.9) * rate)]).max() > 1000)
             for i in range(len(turns))]  # fmt: skip
    assert heard == [kept for _, kept in turns], heard
