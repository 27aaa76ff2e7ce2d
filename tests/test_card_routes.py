"""Card data on every route a call has: the caller's turns, the agent's words, tool arguments
and results (with the call, never without one), log lines, what screens are shown, and the
recording. The real agent, flows, rules understander, journal and DuckDB file; no model."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from appliance.app import Appliance, open_appliance
from appliance.audio.frames import AudioFrame
from appliance.audio.recording import CALLER
from appliance.config import Config, RecordingSettings, UnderstandingSettings
from appliance.logs import TextFormatter
from appliance.sessions import Session
from appliance.sessions.events import CallEvent
from appliance.store import calls

CARD = "4539 1488 0343 6467"
GROUPS = CARD.split()


@pytest.fixture()
async def desk(config: Config) -> AsyncIterator[Appliance]:
    settings = dataclasses.replace(
        config,
        understanding=UnderstandingSettings(understander="rules"),
        recording=RecordingSettings(enabled=True),
    )
    async with open_appliance(settings) as appliance:
        yield appliance


@pytest.fixture()
def written_log() -> AsyncIterator[io.StringIO]:
    """The log as the appliance writes it (its own formatter), at every level."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield out  # type: ignore[misc]
    root.removeHandler(handler)
    root.setLevel(level)


async def turn(appliance: Appliance, session: Session, said: str, seconds: float = 1.0) -> str:
    """The caller says ``said`` over ``seconds`` of audio; the agent answers as the loop does."""
    for _ in range(int(seconds * 50)):
        session.record(CALLER, AudioFrame.from_float(0.3 * np.sin(np.arange(160) / 3.0), 8000))
    session.journal.caller_turn(said, None, appliance.agent.asked_for(session))
    reply = await appliance.agent.respond(session, said)
    session.journal.agent_says(reply.text)
    session.journal.agent_heard(reply.text)
    return reply.text


def digits_in(text: str) -> list[str]:
    """The card's groups in ``text``, written whole or digit by digit ("4, 5, 3, 9")."""
    joined = re.sub(r"(?<=\d)[ ,.-]+(?=\d)", "", text)
    return [group for group in GROUPS if group in joined]


async def everything_kept(appliance: Appliance, session: Session) -> str:
    """The words every row the call left holds: its turns and transcript, its tool runs'
    arguments and results, and every tool run kept with no call (ids and times left out:
    random hex may hold any four digits)."""
    await appliance.sessions.end_session(session.id)
    call = await appliance.store.read(calls.get_call, session.id)
    orphans = await appliance.store.read(
        lambda db: db.execute("SELECT arguments, result FROM tool_executions WHERE session_id IS NULL").fetchall()
    )
    words = [t["content"] for t in call["turns"]] + [str(call.get("transcription"))]
    words += [f"{r['arguments']} {r['result']}".replace(session.id, "") for r in call["tools"]]
    return " ".join([*words, str(orphans)])


async def test_a_card_read_out_when_a_code_was_asked_for_is_no_code_and_reaches_no_route(
    desk: Appliance, written_log: io.StringIO
) -> None:
    session = await desk.sessions.create_session(channel="phone", caller_id=None)
    shown: list[CallEvent] = []
    session.journal.listen(shown.append)
    asked = await turn(desk, session, "I'd like to check on my reservation please")
    assert "confirmation code" in asked
    answer = await turn(desk, session, CARD.replace(" ", ", "))
    # Never taken for a code: nothing was looked up under it, and nothing of it is said back.
    assert not digits_in(answer), answer
    assert not [t for t in session.tools if t.name == "find_reservation" and "code" in t.arguments]
    kept = await everything_kept(desk, session)
    assert not digits_in(kept), digits_in(kept)
    assert not digits_in(" ".join(str(e) for e in shown))
    assert not digits_in(written_log.getvalue()), digits_in(written_log.getvalue())


@pytest.mark.parametrize(
    "turns",
    [
        # Misheard over a noisy line: "four one one one" as "for one one one one".
        ["Hello there.", "I want to pay with my card", "for one one one one, one one one"],
        # In groups, with filler turns between them.
        ["Hello there.", "my card number is", "4539", "hold on", "1488", "okay", "0343 6467"],
        # As tens.
        ["Hello there.", "the card is forty five thirty nine, fourteen eighty eight",
         "oh three forty three, sixty four sixty seven"],
    ],
    ids=["misheard", "filler-between-groups", "tens"],
)
async def test_card_digits_however_said_are_not_kept_and_their_audio_is_silenced(
    desk: Appliance, turns: list[str]
) -> None:
    session = await desk.sessions.create_session(channel="phone")
    for said in turns:
        await turn(desk, session, said)
    kept_turns = [m.content for m in session.messages if m.role == "user"]
    assert all(not re.search(r"\d", t) for t in kept_turns), kept_turns
    assert not re.search(r"\b(one|forty|sixty|fourteen)\b", " ".join(kept_turns)), kept_turns
    url = session.recording_url
    await desk.sessions.end_session(session.id)
    assert url is not None
    with wave.open(url) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        rate = wav.getframerate()
    # Each turn has a second of audio: the greeting is kept; from the moment the talk turns to
    # a card, every turn is silent (the digits, and the words around them).
    heard = [
        bool(np.abs(samples[int((i + 0.1) * rate) : int((i + 0.9) * rate)]).max() > 0)
        for i in range(len(turns))
    ]
    assert heard == [True] + [False] * (len(turns) - 1), heard


async def test_the_agent_s_own_numbers_are_kept_and_a_phone_number_is_labelled(
    desk: Appliance, tmp_path: Path
) -> None:
    session = await desk.sessions.create_session(channel="phone", caller_id=None)
    rooms = await turn(desk, session, "what rooms do you have")
    assert "149 dollars" in rooms
    await turn(desk, session, "I'd like to book a queen room from January 15th for two nights for two guests")
    await turn(desk, session, "my name is Kim Park")
    await turn(desk, session, "my number is 555 201 3344")
    await desk.sessions.end_session(session.id)
    call = await desk.store.read(calls.get_call, session.id)
    said = [t["content"] for t in call["turns"]]
    assert any("149 dollars" in t for t in said if t.startswith("We have")), said
    assert "my number is [phone number]" in said, said
    assert not any("[card number removed]" in t for t in said), said
