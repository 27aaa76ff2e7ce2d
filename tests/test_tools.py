"""Every tool through the one registry, with good and bad arguments, on a real DuckDB file."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest

from appliance.app import Appliance
from appliance.config import DEFAULT_CONFIG_PATH, DepartmentSettings
from appliance.errors import ConfigError
from appliance.hotel.model import load_hotel
from appliance.tools import (
    SPECS,
    cancel_reservation,
    check_availability,
    create_reservation,
    execute_voice_tool,
    find_reservation,
    format_for_voice,
    get_caller_history,
    get_hotel_info,
    handle_ivr_menu,
    play_hold_music,
    record_voice_note,
    schedule_callback,
    send_sms_confirmation,
    transfer_to_human,
)

HOTEL_FILE = DEFAULT_CONFIG_PATH.parent / "hotel.toml"


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_format_for_voice_speaks_each_kind() -> None:
    assert (
        format_for_voice(
            {"available": 5, "check_in": "January 15th", "check_out": "January 17th"},
            "availability",
        )
        == "Excellent! We have 5 rooms available from January 15th to January 17th."
    )
    assert format_for_voice(
        {"available": 0, "check_in": "2027-01-15", "check_out": "2027-01-17"}, "availability"
    ) == ("I'm sorry, we have no rooms available from January 15th to January 17th.")
    assert format_for_voice(199, "price") == "199 dollars"
    assert format_for_voice(149.5, "price") == "149 dollars and 50 cents"
    assert format_for_voice("07:00", "time") == "7 AM"
    assert format_for_voice("14:30", "time") == "2:30 PM"
    assert format_for_voice("12:00", "time") == "noon"
    assert format_for_voice("+15551234567", "phone") == "5 5 5, 1 2 3, 4 5 6 7"
    assert format_for_voice("2027-01-15", "date") == "Friday, January 15th"
    assert (
        format_for_voice(["the pool", "the gym", "the spa"], "list")
        == "the pool, the gym and the spa"
    )
    assert format_for_voice("k7m2qx", "code") == "K, 7, M, 2, Q, X"
    confirmation = format_for_voice(
        {"code": "K7M2QX", "guest_name": "Ana Silva", "room_name": "deluxe king room",
         "check_in": "2027-01-15", "check_out": "2027-01-17", "nights": 2, "total": "398.00"},
        "reservation",
    )  # fmt: skip
    assert confirmation == (
        "Thank you, Ana Silva. Your reservation is confirmed. A deluxe king room from January 15th to "
        "January 17th for 2 nights. The total is 398 dollars. Your confirmation code is K, 7, M, 2, Q, X."
    )
    for text in (confirmation, format_for_voice(["a", "b"], "list")):
        assert not any(mark in text for mark in ("*", "#", "`", "_", "<", "["))


async def test_unknown_tools_and_bad_arguments_are_results_not_exceptions(
    state: Appliance,
) -> None:
    unknown = await execute_voice_tool("book_spaceship", destination="mars")
    assert unknown["ok"] is False and unknown["error"] == "unknown-tool" and unknown["say"]
    missing = await execute_voice_tool("check_availability", nights=2)
    assert missing["error"] == "bad-arguments" and "needs check_in" in missing["message"]
    extra = await execute_voice_tool("get_hotel_info", topic="wifi", colour="blue")
    assert extra["error"] == "bad-arguments" and "colour" in extra["message"]
    wrong_type = await execute_voice_tool("check_availability", check_in=in_days(3), nights="two")
    assert wrong_type["error"] == "bad-arguments" and "whole number" in wrong_type["message"]
    bad_date = await check_availability("the day after never", nights=2)
    assert bad_date["ok"] is False and "not a date" in bad_date["message"]
    past = await check_availability((date.today() - timedelta(days=3)).isoformat(), nights=1)
    assert past["error"] == "date-in-past" and "passed" in past["say"]
    no_session = await transfer_to_human("VSnope", "front desk")
    assert no_session["error"] == "unknown-session"
    bad_phone = await send_sms_confirmation("call me maybe", "hi")
    assert bad_phone["error"] == "bad-argument"


async def test_every_tool_run_is_recorded_with_redacted_arguments(state: Appliance) -> None:
    session = await state.sessions.create_session(channel="phone", caller_id="+15553334444")
    await record_voice_note(session.id, "guest read out card 4111 1111 1111 1111 by mistake")
    await get_hotel_info("parking")
    await session.flush()
    runs = await state.store.read(
        lambda db: db.execute(
            "SELECT session_id, tool, arguments, ok FROM tool_executions ORDER BY timestamp"
        ).fetchall()
    )
    assert [(r[1], r[3]) for r in runs] == [("record_voice_note", True), ("get_hotel_info", True)]
    assert runs[0][0] == session.id and "4111" not in runs[0][2]
    notes = await state.store.read(
        lambda db: db.execute("SELECT note, caller_id FROM voice_notes").fetchall()
    )
    assert notes[0][1] == "+15553334444" and "4111" not in notes[0][0]
    assert session.tools[0].name == "record_voice_note"


async def test_a_security_code_in_a_tool_argument_after_a_card_turn_is_not_kept(
    state: Appliance,
) -> None:
    session = await state.sessions.create_session(channel="phone", caller_id="+15553334445")
    session.add_message("user", "my card is 4111 1111 1111 1111")
    session.add_message("assistant", "I can't take card numbers on the phone.")
    await record_voice_note(session.id, "guest tried to pay by card, the code is 737")
    await session.flush()
    runs = await state.store.read(
        lambda db: db.execute("SELECT arguments FROM tool_executions").fetchall()
    )
    notes = await state.store.read(lambda db: db.execute("SELECT note FROM voice_notes").fetchall())
    assert "737" not in runs[0][0] and "737" not in notes[0][0]
    assert "guest tried to pay by card" in notes[0][0]


async def test_hotel_facts_come_from_the_hotel_file(state: Appliance) -> None:
    assert (await get_hotel_info("what time is check-out?"))["say"].startswith(
        "Check-out is at 11 AM."
    )
    breakfast = (await get_hotel_info("when is breakfast"))["say"]
    assert "6:30 AM to 10:30 AM" in breakfast and "Harbor Room" in breakfast
    assert "Harbor View Guest" in (await get_hotel_info("what's the wifi password"))["say"]
    assert "40 pounds" in (await get_hotel_info("can I bring my dog"))["say"]
    assert "shuttle" in (await get_hotel_info("is there an airport pickup"))["say"]
    unknown = await get_hotel_info("do you have a helipad")
    assert unknown["ok"] is False and "front desk" in unknown["say"]


async def test_availability_booking_finding_and_cancelling(state: Appliance) -> None:
    free = await check_availability(in_days(10), nights=2, guests=2, room_type="deluxe king")
    assert free["available"] == 12 and free["nights"] == 2
    assert "199 dollars a night" in free["say"]
    session = await state.sessions.create_session(channel="phone", caller_id="+15557778888")
    booked = await create_reservation(
        in_days(10), "Ana Silva", "deluxe king", nights=2, guests=2, session_id=session.id
    )
    assert booked["ok"] is True
    code = booked["code"]
    assert (
        booked["reservation"]["total"] == "398.00"
        and booked["reservation"]["phone"] == "+15557778888"
    )
    assert ", ".join(code) in booked["say"]
    assert session.reservation_id == code
    assert (await check_availability(in_days(10), nights=2, guests=2, room_type="deluxe king"))[
        "available"
    ] == 11
    assert (await check_availability(in_days(12), nights=1, room_type="king"))[
        "available"
    ] == 12  # checked out

    spoken_code = " ".join(code.lower())  # as a caller reads it out
    found = await find_reservation(code=spoken_code)
    assert found["ok"] and found["reservations"][0]["guest_name"] == "Ana Silva"
    by_phone = await find_reservation(caller="(555) 777-8888")
    assert by_phone["reservations"][0]["code"] == code

    cancelled = await cancel_reservation(code)
    assert cancelled["ok"] and "cancelled" in cancelled["say"]
    again = await cancel_reservation(code)
    assert again["error"] == "already-cancelled"
    assert (await cancel_reservation("ZZZZZZ"))["error"] == "not-found"
    assert (await check_availability(in_days(10), nights=2, room_type="deluxe king"))[
        "available"
    ] == 12


async def test_bookings_reject_what_the_hotel_cannot_do(state: Appliance) -> None:
    too_many = await create_reservation(
        in_days(5), "Big Family", "standard queen", nights=1, guests=4
    )
    assert too_many["ok"] is False and "sleeps 2" in too_many["say"]
    no_room = await create_reservation(in_days(5), "Someone", "penthouse", nights=1)
    assert no_room["error"] == "unknown-room-type"
    reversed_dates = await check_availability(in_days(5), check_out=in_days(3))
    assert reversed_dates["error"] == "bad-argument"


async def test_two_calls_cannot_both_book_the_last_room(state: Appliance) -> None:
    arrival = in_days(20)
    for n in range(3):  # the family suite has 4 rooms: leave one
        assert (await create_reservation(arrival, f"Guest {n}", "family suite", nights=3))["ok"]
    attempts = await asyncio.gather(
        *(create_reservation(arrival, f"Racer {n}", "family suite", nights=3) for n in range(6))
    )
    winners = [a for a in attempts if a["ok"]]
    assert len(winners) == 1
    assert all(
        a["error"] == "no-availability" and "just been taken" in a["say"]
        for a in attempts
        if not a["ok"]
    )
    count = await state.store.read(
        lambda db: db.execute(
            "SELECT count(*) FROM reservations WHERE room_type = 'family_suite' AND status = 'confirmed'"
        ).fetchone()
    )
    assert count == (4,)


async def test_call_actions_on_a_channel_that_cannot_do_them_offer_a_callback(
    state: Appliance,
) -> None:
    state.toolbox.context.desk.departments = DepartmentSettings(front_desk="+12075550199")
    session = await state.sessions.create_session(channel="webrtc")
    transfer = await transfer_to_human(session.id, "reception", "wants to talk to a person")
    assert transfer["ok"] is False and transfer["alternative"] == "schedule_callback"
    assert "browser call" in transfer["say"] and "call you back" in transfer["say"]
    hold = await play_hold_music(session.id)
    assert hold["ok"] is False and "hold music" in hold["say"]
    unstaffed = await transfer_to_human(session.id, "maintenance")
    assert "can't put you through to maintenance" in unstaffed["say"]


async def test_callbacks_sms_history_and_the_menu(state: Appliance) -> None:
    session = await state.sessions.create_session(channel="phone", caller_id="+15559990000")
    callback = await schedule_callback("tomorrow at 10 AM", "late check-out", session_id=session.id)
    assert callback["ok"] and callback["phone"] == "+15559990000"
    assert "5 5 5, 9 9 9, 0 0 0 0" in callback["say"]
    no_number = await schedule_callback("later", "question")
    assert no_number["error"] == "bad-argument"
    sms = await send_sms_confirmation("+15559990000", "Your code is K7M2QX")
    assert (
        sms["ok"] is False and sms["error"] == "sms-unavailable" and "text messages" in sms["say"]
    )
    history = await get_caller_history("+15559990000")
    assert history["previous_calls"] == 0
    await state.sessions.end_session(session.id)
    assert (await get_caller_history("+15559990000"))["previous_calls"] == 1
    menu_session = await state.sessions.create_session(channel="phone")
    menu = await handle_ivr_menu(session_id=menu_session.id, digit="1")
    assert menu["intent"] == "reservations"
    wrong = await execute_voice_tool("handle_ivr_menu", session_id=menu_session.id, digit="7")
    assert wrong["error"] == "not-an-option"
    assert "7 is not an option. Press 0 for front desk, press 1 for reservations" in wrong["say"]
    two_digits = await execute_voice_tool("handle_ivr_menu", session_id=menu_session.id, digit="12")
    assert two_digits["error"] == "bad-arguments"


def test_every_tool_has_a_schema_the_model_can_be_shown() -> None:
    for spec in SPECS.values():
        schema = spec.schema()["function"]
        assert schema["name"] == spec.name and schema["description"]
        assert schema["parameters"]["type"] == "object"
        assert set(schema["parameters"]["required"]) <= set(schema["parameters"]["properties"])


def test_a_broken_hotel_file_names_what_is_wrong(tmp_path: Path) -> None:
    text = HOTEL_FILE.read_text().replace('check_out_time = "11:00"', 'check_out_time = "11am"')
    text = text.replace("capacity = 5", 'capacity = "five"').replace(
        "[amenities]", "[amenities]\n", 1
    )
    text += '\n[departments.kitchen]\ndescription = "the kitchen"\nhours = "all day"\n'
    broken = tmp_path / "hotel.toml"
    broken.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_hotel(broken)
    message = caught.value.message
    assert "[hotel] check_out_time: expected a 24-hour time like 07:30, got '11am'" in message
    assert "[[room_types]] #3 capacity: expected int" in message
    assert "unknown department [departments.kitchen]" in message
    assert load_hotel(HOTEL_FILE).name == "Harbor View Hotel"
