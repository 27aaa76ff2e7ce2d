"""The loop's turn-taking in milliseconds: the real endpointer, agent, flows, journal and
database, with the speech-to-text, the voice and understanding stood in for (tests/fakes.py)
and a clock that moves 20 ms with each frame the caller sends. The same behaviour runs on the
real models in test_loop.py."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fakes import (
    FRAME_MS,
    Caller,
    CollectingSink,
    ScriptedEars,
    ScriptedUnderstander,
    ToneVoice,
    VirtualClock,
    fake_engines,
    voice,
)

from appliance.app import UNASKED, Appliance, open_appliance
from appliance.audio.frames import AudioFrame
from appliance.config import Config, DepartmentSettings
from appliance.dialogue.chunker import chunk_reply
from appliance.sessions import CallStatus, Session
from appliance.store import calls
from appliance.switchboard import LiveCall
from appliance.understanding import commands as c

PHONE_HZ = 8000


@dataclass
class Line:
    appliance: Appliance
    call: LiveCall
    caller: Caller
    sink: CollectingSink
    clock: VirtualClock
    ears: ScriptedEars
    voice: ToneVoice
    meanings: ScriptedUnderstander

    def heard_since(self, at_s: float) -> float:
        """Milliseconds of reply audio sent from ``at_s`` on."""
        return sum(frame.duration_ms for sent, frame in self.sink.frames if sent >= at_s)


async def open_line(
    config: Config, channel: str = "phone", caller_id: str | None = "+15550142000", **dialogue: object
) -> AsyncIterator[Line]:
    ears, tone = ScriptedEars(), ToneVoice()
    settings = dataclasses.replace(
        config, dialogue=dataclasses.replace(config.dialogue, small_talk_with_llm=False, **dialogue)  # type: ignore[arg-type]
    )
    clock = VirtualClock()
    async with open_appliance(settings, fake_engines(ears, tone)) as appliance:
        meanings = ScriptedUnderstander()
        appliance.agent.understander = meanings
        appliance.switchboard.clock = clock
        await appliance.engines.start(("stt", "tts"))
        appliance.open_for_calls()
        sink = CollectingSink(PHONE_HZ, clock)
        call = await appliance.switchboard.open(channel, sink, caller_id=caller_id, greet=False)
        caller = Caller(call, clock, ears, lambda: call.results, appliance.engines, PHONE_HZ)
        yield Line(appliance, call, caller, sink, clock, ears, tone, meanings)
        if not call.done.is_set():
            await call.close()


@pytest.fixture()
async def line(config: Config) -> AsyncIterator[Line]:
    async for opened in open_line(config):
        yield opened


async def test_a_question_is_answered_in_the_voice_and_every_turn_is_kept(line: Line) -> None:
    line.meanings.meanings["What time is check out?"] = [c.AskFact("check_out")]
    result = await line.caller.says("What time is check out?")
    assert result.transcript == "What time is check out?"
    assert result.reply.startswith("Check-out is at 11 AM.") and result.heard == result.reply
    assert result.timings is not None and result.timings.voice_to_voice_ms > 0
    # The voice said the reply, and the channel got all of it.
    assert line.voice.spoken and line.heard_since(0) >= len(result.reply) * 60 * 0.9
    await line.appliance.store.drain()
    row = await line.appliance.store.read(calls.get_call, line.call.session_id)
    assert [t["role"] for t in row["turns"]] == ["user", "assistant"]
    assert {m["metric_name"] for m in row["metrics"]} >= {"voice_to_voice_ms", "endpoint_ms"}


async def test_a_finished_sentence_ends_the_turn_at_the_early_endpoint(line: Line) -> None:
    line.meanings.meanings["What time is check out?"] = [c.AskFact("check_out")]
    result = await line.caller.says("What time is check out?")
    early = line.appliance.config.vad.early_endpoint_ms
    assert result.timings is not None
    assert early <= result.timings.endpoint_ms < line.appliance.config.vad.endpoint_silence_ms


async def test_talking_over_the_reply_stops_it_within_two_frames(line: Line) -> None:
    line.meanings.meanings["What rooms do you have?"] = [c.AskFact("rooms")]
    await line.caller.speak("What rooms do you have?")
    while not line.sink.frames:  # the reply starts
        await line.caller.silence(FRAME_MS)
    await line.caller.silence(600)
    # The caller talks over it: barge-in needs 120 ms of voice, loud enough.
    started = line.clock.now()
    await line.caller.feed(voice(400, PHONE_HZ))
    assert line.sink.flushes, "the channel was never told to drop what it buffered"
    stopped = line.sink.flushes[0]
    min_s = line.appliance.config.dialogue.barge_in_min_ms / 1000
    assert stopped - started <= min_s + 0.1, f"stopped {1000 * (stopped - started):.0f} ms into the caller's words"
    # Nothing more of the reply went out after the stop.
    assert not [sent for sent, _ in line.sink.frames if sent > stopped]
    line.meanings.meanings["for two nights"] = [c.StartBooking(), c.SetSlots(nights=2)]
    second = await line.caller.says("for two nights")
    first = line.call.results[0]
    assert first.interrupted and first.heard.endswith("...") and len(first.heard) < len(first.reply)
    assert second.reply == "What date would you like to arrive?"
    kept = [m.content for m in line.appliance.sessions.get(line.call.session_id).messages if m.role == "assistant"]
    assert kept[0] == first.heard


async def test_a_silent_caller_is_asked_then_the_call_ends_abandoned(line: Line) -> None:
    prompt_s = line.appliance.config.dialogue.silence_prompt_s
    await line.caller.silence(prompt_s * 1000 + 200)
    assert line.voice.spoken[-1] == "Are you still there?"
    await line.caller.silence(line.appliance.config.dialogue.silence_hangup_s * 1000)
    for _ in range(500):
        if line.call.done.is_set():
            break
        await line.caller.silence(FRAME_MS)
    assert line.call.outcome is CallStatus.ABANDONED
    row = await line.appliance.store.read(calls.get_call, line.call.session_id)
    assert row["status"] == "abandoned" and row["turns"][-1]["content"].endswith("Goodbye!")


async def test_a_caller_who_pauses_and_goes_on_is_answered_for_all_they_said(line: Line) -> None:
    line.meanings.meanings["I'd like to book a room"] = [c.StartBooking()]
    line.meanings.meanings["I'd like to book a room for two nights"] = [c.StartBooking(), c.SetSlots(nights=2)]
    # A pause longer than the early transcript waits for, shorter than the endpoint.
    result = await line.caller.says("I'd like to book a room", 400, "for two nights")
    said = [s for s, _ in line.meanings.heard]
    assert "I'd like to book a room" in said, "no reply was prepared on the pause"
    assert result.transcript == "I'd like to book a room for two nights"
    assert result.reply == "What date would you like to arrive?"
    booking = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id)).booking
    assert booking is not None and booking.nights == 2
    assert len(line.call.results) == 1, "the pause split the utterance into two turns"


async def test_a_reply_worked_out_in_the_silence_is_used_and_a_booking_waits_for_the_turn(line: Line) -> None:
    line.meanings.meanings["Book the king for two nights from December 20th for two people"] = [
        c.StartBooking(), c.SetSlots(nights=2, guests=2, room_type="deluxe_king",
                                     check_in=line.appliance.agent.today().replace(month=12, day=20)),
    ]  # fmt: skip
    line.meanings.meanings["Anna Smith"] = [c.SetSlots(name="Anna Smith")]
    line.meanings.meanings["yes please"] = [c.Affirm()]
    asked = await line.caller.says("Book the king for two nights from December 20th for two people")
    assert asked.prepared and asked.reply == "May I have your name for the reservation?"
    confirm = await line.caller.says("Anna Smith")
    assert confirm.prepared and confirm.reply.startswith("Let me confirm")
    booked = await line.caller.says("yes please")
    assert not booked.prepared, "a booking was made before the turn was confirmed"
    assert "Your reservation is confirmed" in booked.reply
    await line.appliance.store.drain()
    rows = await line.appliance.store.read(
        lambda db: db.execute("SELECT session_id FROM reservations").fetchall()
    )
    assert rows == [(line.call.session_id,)]


async def test_menu_keys_are_commands_and_a_keyed_number_is_never_kept(config: Config) -> None:
    staffed = dataclasses.replace(config, departments=DepartmentSettings(front_desk="+12075550199"))
    async for line in open_line(staffed, channel="webrtc"):
        for digit in "4111111111111111":  # a card keyed in: its 1s and 4s are menu keys too
            line.call.key(digit)
            await line.caller.silence(100)
        await line.caller.silence(2000)
        assert not line.call.results
        line.call.key("2")  # the front desk; a browser call cannot be transferred
        result = await line.caller.answer(0)
        assert result.transcript == "[key 2]"
        assert "can't transfer a browser call" in result.reply and "call you back" in result.reply
        session = line.appliance.sessions.get(line.call.session_id)
        assert [t.arguments["digit"] for t in session.tools if t.name == "handle_ivr_menu"] == ["2"]
        assert "4111" not in str(session.messages) and "4111" not in str(session.tools)


async def test_the_call_is_warned_a_minute_before_its_time_limit_then_ended(config: Config) -> None:
    limited = dataclasses.replace(config, voice=dataclasses.replace(config.voice, max_call_duration_minutes=2))
    async for line in open_line(limited, silence_prompt_s=100.0, silence_hangup_s=600.0):
        session = line.appliance.sessions.get(line.call.session_id)

        def said(session: Session = session) -> list[str]:
            return [m.content for m in session.messages if m.role == "assistant"]

        await line.caller.silence(59_000)
        assert not said()
        await line.caller.silence(5_000)
        assert said() == ["We have about one minute left on this call."]
        await line.caller.silence(60_000)
        for _ in range(500):
            if line.call.done.is_set():
                break
            await line.caller.silence(FRAME_MS)
        assert line.call.outcome is CallStatus.COMPLETED
        assert "reached the time limit for this call" in said()[-1]


async def test_a_number_missed_twice_can_be_keyed_and_a_third_miss_goes_to_a_person(
    config: Config,
) -> None:
    staffed = dataclasses.replace(config, departments=DepartmentSettings(front_desk="+12075550199"))
    async for line in open_line(staffed):
        m = line.meanings.meanings
        m["I'd like to book a room from December 20th for two nights"] = [
            c.StartBooking(), c.SetSlots(nights=2, check_in=line.appliance.agent.today().replace(month=12, day=20)),
        ]  # fmt: skip
        m["mumble"] = [c.Unclear()]
        asked = await line.caller.says("I'd like to book a room from December 20th for two nights")
        assert asked.reply == "How many guests will there be?"
        first = await line.caller.says("mumble")
        assert first.reply == "Sorry, I didn't catch that. How many guests will there be?"
        second = await line.caller.says("mumble")
        assert second.reply.endswith("You can also type the number of guests on your keypad.")
        before = len(line.call.results)
        line.call.key("2")
        line.call.key("#")
        keyed = await line.caller.answer(before)
        assert keyed.transcript == "[keyed the guests]" and keyed.reply.startswith("We have")
        state = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id))
        assert state.booking is not None and state.booking.guests == 2
        # The room question missed three times: never a fourth, a person takes over (a line
        # that cannot be transferred offers the front desk's call back), and the call is flagged.
        for _ in range(3):
            last = await line.caller.says("mumble")
        assert "can't transfer a phone call" in last.reply and "call you back" in last.reply
        await line.appliance.store.drain()
        row = await line.appliance.store.read(calls.get_call, line.call.session_id)
        assert "room type was not caught three times" in row["flag_reason"]
        assert [t["tool"] for t in row["tools"]].count("transfer_to_human") == 1


async def test_a_phone_number_can_be_keyed_and_a_keyed_card_fills_nothing(config: Config) -> None:
    async for line in open_line(config, caller_id=None):
        line.meanings.meanings["Book the king for two nights from December 20th for two people"] = [
            c.StartBooking(), c.SetSlots(nights=2, guests=2, room_type="deluxe_king",
                                         check_in=line.appliance.agent.today().replace(month=12, day=20)),
        ]  # fmt: skip
        line.meanings.meanings["Anna Smith"] = [c.SetSlots(name="Anna Smith")]
        await line.caller.says("Book the king for two nights from December 20th for two people")
        asked = await line.caller.says("Anna Smith")
        assert asked.reply == "What phone number should we use for the reservation?"
        before = len(line.call.results)
        for digit in "4539148803436467#":  # a card keyed where a phone number was asked for
            line.call.key(digit)
        await line.caller.silence(2000)
        assert len(line.call.results) == before
        for digit in "5552013344#":
            line.call.key(digit)
        keyed = await line.caller.answer(before)
        assert keyed.transcript == "[keyed the phone]" and keyed.reply.startswith("Let me confirm")
        session = line.appliance.sessions.get(line.call.session_id)
        booking = line.appliance.agent.state(session).booking
        assert booking is not None and booking.phone == "+15552013344"
        assert "4539" not in str(session.messages) and "5552013344" not in str(session.messages)


async def test_the_speech_to_text_is_told_what_the_question_asked_expects(line: Line) -> None:
    m = line.meanings.meanings
    m["I'd like a room for two nights"] = [c.StartBooking(), c.SetSlots(nights=2)]
    await line.caller.says("I'd like a room for two nights")
    assert "December 20th" not in (line.ears.prompts[-1] or "")  # no date asked yet
    await line.caller.says("mumble")
    prompt = line.ears.prompts[-1] or ""
    # The agent's own question, then the kind of answer it expects.
    assert prompt.startswith("What date would you like to arrive? ")
    assert "December 20th" in prompt and "Two adults" not in prompt


async def test_details_heard_with_doubt_are_read_back_and_a_no_asks_again(line: Line) -> None:
    today = line.appliance.agent.today()
    m = line.meanings.meanings
    m["Book a room from December 20th for two nights"] = [
        c.StartBooking(), c.SetSlots(check_in=today.replace(month=12, day=20), nights=2)
    ]  # fmt: skip
    m["do adults"], m["three adults"] = [c.SetSlots(guests=2)], [c.SetSlots(guests=3)]
    m["four adults"] = [c.SetSlots(guests=4)]
    m["yes"], m["no"] = [c.Affirm()], [c.Deny()]
    # Heard clearly: no read-back, the next question.
    asked = await line.caller.says("Book a room from December 20th for two nights")
    assert asked.reply == "How many guests will there be?"
    line.ears.unsure = {"do adults", "four adults"}
    checked = await line.caller.says("do adults")
    assert checked.reply == "2 guests, is that right?"
    wrong = await line.caller.says("no")
    assert wrong.reply == "Sorry about that. How many guests will there be?"
    again = await line.caller.says("four adults")
    assert again.reply == "4 guests, is that right?"
    # A new number instead of yes: taken (heard clearly, so not read back again).
    corrected = await line.caller.says("three adults")
    assert corrected.reply.startswith("We have")
    state = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id))
    assert state.booking is not None and state.booking.guests == 3
    assert state.misses == {"guests": 1}


async def test_a_doubted_detail_confirmed_with_yes_goes_on(line: Line) -> None:
    m = line.meanings.meanings
    m["book a room for tonight"] = [c.StartBooking(), c.SetSlots(nights=2)]
    m["yes"] = [c.Affirm()]
    line.ears.unsure = {"book a room for tonight"}
    checked = await line.caller.says("book a room for tonight")
    assert checked.reply == "2 nights, is that right?"
    confirmed = await line.caller.says("yes")
    assert confirmed.reply == "What date would you like to arrive?"


async def test_a_goodbye_in_answer_to_a_booking_question_is_asked_about_before_the_call_ends(
    line: Line,
) -> None:
    m = line.meanings.meanings
    m["Book a room for two people"] = [c.StartBooking(), c.SetSlots(guests=2)]
    m["goodnight"] = [c.Goodbye()]  # "two nights", as the speech-to-text may write it
    await line.caller.says("Book a room for two people")
    again = await line.caller.says("goodnight")
    assert again.reply == "Sorry, I didn't catch that. What date would you like to arrive?"
    assert not line.call.done.is_set()
    bye = await line.caller.says("goodnight")
    assert bye.reply == "Thank you for calling Harbor View Hotel. Goodbye!"
    await line.caller.silence(3000)
    assert line.call.outcome is CallStatus.COMPLETED


async def test_a_date_missed_twice_can_be_keyed_as_month_and_day(line: Line) -> None:
    m = line.meanings.meanings
    m["Book a room for two people"] = [c.StartBooking(), c.SetSlots(guests=2)]
    await line.caller.says("Book a room for two people")
    await line.caller.says("mumble")
    offered = await line.caller.says("mumble")
    assert offered.reply.endswith(
        "You can also type the date on your keypad: two digits for the month, then two for the"
        " day, then the hash key."
    )
    today = line.appliance.agent.today()
    wanted = today + timedelta(days=40)
    before = len(line.call.results)
    for key in f"{wanted.month:02d}{wanted.day:02d}#":
        line.call.key(key)
    keyed = await line.caller.answer(before)
    assert keyed.transcript == "[keyed the check in]"
    assert keyed.reply == "How many nights will you stay?"
    state = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id))
    assert state.booking is not None and state.booking.check_in == wanted


async def test_a_goodbye_that_carries_the_detail_asked_for_is_the_detail(line: Line) -> None:
    m = line.meanings.meanings
    m["Book a room for two people"] = [c.StartBooking(), c.SetSlots(guests=2)]
    m["goodnight"] = [c.Goodbye(), c.SetSlots(nights=2)]  # "two nights", misheard
    await line.caller.says("Book a room for two people")
    state = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id))
    state.expecting = "nights"
    answered = await line.caller.says("goodnight")
    assert answered.reply == "What date would you like to arrive?"
    state = line.appliance.agent.state(line.appliance.sessions.get(line.call.session_id))
    assert state.booking is not None and state.booking.nights == 2


async def test_asking_again_and_again_over_a_booking_question_never_loops(config: Config) -> None:
    staffed = dataclasses.replace(config, departments=DepartmentSettings(front_desk="+12075550199"))
    async for line in open_line(staffed):
        m = line.meanings.meanings
        m["Book a room for two nights"] = [c.StartBooking(), c.SetSlots(nights=2)]
        m["what was that"] = [c.Repeat()]
        asked = await line.caller.says("Book a room for two nights")
        first = await line.caller.says("what was that")
        assert first.reply == asked.reply == "What date would you like to arrive?"
        second = await line.caller.says("what was that")
        assert second.reply.startswith("Of course. What date would you like to arrive? You can also type")
        third = await line.caller.says("what was that")
        assert "call you back" in third.reply or "front desk" in third.reply, third.reply
        await line.appliance.store.drain()
        row = await line.appliance.store.read(calls.get_call, line.call.session_id)
        assert "check in was not caught three times" in row["flag_reason"]


async def test_a_read_back_turned_down_three_times_with_nothing_changed_goes_to_a_person(
    config: Config,
) -> None:
    staffed = dataclasses.replace(config, departments=DepartmentSettings(front_desk="+12075550199"))
    async for line in open_line(staffed):
        today = line.appliance.agent.today()
        m = line.meanings.meanings
        m["Book the king for two nights from December 20th for two, name Anna Smith"] = [
            c.StartBooking(), c.SetSlots(nights=2, guests=2, room_type="deluxe_king", name="Anna Smith",
                                         check_in=today.replace(month=12, day=20) if today.month < 12 or today.day < 20
                                         else today.replace(year=today.year + 1, month=12, day=20)),
        ]  # fmt: skip
        m["no"], m["mumble"] = [c.Deny()], [c.Unclear()]
        confirm = await line.caller.says("Book the king for two nights from December 20th for two, name Anna Smith")
        assert confirm.reply.startswith("Let me confirm:")
        change = await line.caller.says("no")
        assert change.reply == "No problem. What would you like to change?"
        again = await line.caller.says("mumble")  # the change not caught
        assert again.reply == "Sorry, I didn't catch that. What would you like to change?"
        last = await line.caller.says("no")
        assert "front desk" in last.reply or "call you back" in last.reply, last.reply
        await line.appliance.store.drain()
        row = await line.appliance.store.read(calls.get_call, line.call.session_id)
        assert "read-back was turned down three times" in row["flag_reason"]


async def test_a_code_found_under_no_reservation_three_times_goes_to_a_person(config: Config) -> None:
    """A misheard code ("the 2nd" as THE2ND) looked up again and again never loops."""
    staffed = dataclasses.replace(config, departments=DepartmentSettings(front_desk="+12075550199"))
    async for line in open_line(staffed):
        m = line.meanings.meanings
        m["my reservation is T H E 2 N D"] = [c.FindReservation(code="THE2ND")]
        first = await line.caller.says("my reservation is T H E 2 N D")
        assert first.reply.startswith("I couldn't find a reservation under the code T, H, E, 2, N, D")
        second = await line.caller.says("my reservation is T H E 2 N D")
        assert second.reply.startswith("I couldn't find a reservation")
        third = await line.caller.says("my reservation is T H E 2 N D")
        assert "front desk" in third.reply, third.reply
        await line.appliance.store.drain()
        row = await line.appliance.store.read(calls.get_call, line.call.session_id)
        assert "no reservation was found under the code heard, three times" in row["flag_reason"]


class HeldVoice(ToneVoice):
    """A voice whose sentences wait for the test, but for those it lets through."""

    def __init__(self) -> None:
        super().__init__()
        self.through: set[str] = set()
        self.go = threading.Event()

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        if text not in self.through:
            self.go.wait(10)
        return super().synthesize(text)


async def test_calls_are_taken_before_the_questions_are_rendered(config: Config) -> None:
    """Start-up renders what every call hears unasked before calls are taken; the questions'
    first pieces are rendered after, so the phone is answered sooner after a restart."""
    voice = HeldVoice()
    settings = dataclasses.replace(
        config, dialogue=dataclasses.replace(config.dialogue, small_talk_with_llm=False)
    )
    async with open_appliance(settings, fake_engines(ScriptedEars(), voice)) as appliance:
        appliance.agent.understander = ScriptedUnderstander()
        await appliance.engines.start(("stt", "tts"))
        agent = appliance.agent
        unasked = [agent.greeting(settings.dialogue.greeting), *(agent.lines.say(f"call.{k}") for k in UNASKED)]
        voice.through = {piece for text in unasked for piece in chunk_reply(text)}
        question = chunk_reply(agent.lines.say("booking.ask_nights"))[0]

        await asyncio.wait_for(appliance.prepare(), 5)  # the questions are still held
        assert voice.through <= set(appliance.engines.rendered)
        assert question not in appliance.engines.rendered

        voice.go.set()
        await asyncio.wait_for(appliance.settled(), 5)
        assert question in appliance.engines.rendered
