"""Caller scripts for the agent, as the speech-to-text writes callers' words, each graded by
its outcome: the reservation row, the tool called, the fact spoken, how the call ended."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from appliance.app import Appliance
from appliance.hotel.dates import parse_date
from appliance.tools.registry import SPECS


@dataclass(frozen=True)
class Scenario:
    name: str
    turns: list[str]
    #: Text some reply must contain (case-insensitive), each.
    says: list[str] = field(default_factory=list)
    #: The confirmed reservation the call must leave: room_type, nights, guests, guest_name, check_in (spoken).
    booking: dict[str, Any] | None = None
    #: No confirmed reservation may come out of the call.
    no_booking: bool = False
    #: A tool the call must have run, with arguments that must match.
    tool: tuple[str, dict[str, Any]] | None = None
    #: The call must end (with this outcome) after the last turn.
    ends: str | None = None
    #: Reservations the hotel holds before the call: (guest, room_type, check_in, nights).
    existing: list[tuple[str, str, str, int]] = field(default_factory=list)
    caller_id: str | None = "+15550142000"


SCENARIOS = [
    # --- questions ------------------------------------------------------------------------
    Scenario("check-out time", ["What time is check out?"], says=["11 AM"]),
    Scenario("check-out misheard", ["What time is Kek out?"], says=["11 AM"]),
    Scenario("check-in", ["When can I check in?"], says=["3 PM"]),
    Scenario("breakfast", ["And when is breakfast served?"], says=["6:30 AM to 10:30 AM"]),
    Scenario("restaurant", ["Is the restaurant open for dinner?"], says=["5:30 PM", "Lighthouse Grill"]),
    Scenario("parking", ["Do you have parking?"], says=["25 dollars a night"]),
    Scenario("wifi", ["What's the Wi-Fi password?"], says=["Harbor View Guest"]),
    Scenario("pool", ["Is there a swimming pool?"], says=["7 AM to 10 PM"]),
    Scenario("pets", ["Can I bring my dog?"], says=["40 pounds"]),
    Scenario("cancellation policy", ["What is your cancellation policy?"], says=["48 hours"]),
    Scenario("faq shuttle", ["Is there a shuttle to the airport?"], says=["every hour"]),
    Scenario("address", ["Where are you located?"], says=["12 Harbor Street"]),
    Scenario("room prices", ["What rooms do you have?"], says=["149 dollars", "289 dollars"]),
    Scenario("two questions", ["What time is check out?", "And breakfast?"], says=["11 AM", "6:30 AM"]),
    Scenario("unknown fact", ["Do you have a helipad?"], says=["don't have that information"], no_booking=True),
    # --- bookings -------------------------------------------------------------------------
    Scenario(
        "booking in one go",
        ["Hi, I'd like to book a room for two nights from December 20th.", "Two people.",
         "The deluxe king, please.", "My name is Ana Silva.", "Yes."],
        booking={"room_type": "deluxe_king", "nights": 2, "guests": 2, "guest_name": "Ana Silva", "check_in": "December 20th"},
        says=["Let me confirm", "confirmation code"],
    ),
    Scenario(
        "booking slot by slot",
        ["I need a room.", "January 15th.", "Three nights.", "Just me.", "Queen.", "It's John Smith.", "Yes please."],
        booking={"room_type": "standard_queen", "nights": 3, "guests": 1, "guest_name": "John Smith", "check_in": "January 15th"},
    ),
    Scenario(
        "two nights heard as tonight's",
        ["Can I book a room for tonight's starting March 3rd?", "2", "suite", "my name is Lee Chan", "correct"],
        booking={"room_type": "family_suite", "nights": 2, "guests": 2, "guest_name": "Lee Chan", "check_in": "March 3rd"},
    ),
    Scenario(
        "ordinal in words",
        ["I'd like to reserve a king room from the fifteenth of February for 4 nights for two adults",
         "my name is Maria Garcia", "yes"],
        booking={"room_type": "deluxe_king", "nights": 4, "guests": 2, "guest_name": "Maria Garcia", "check_in": "February 15th"},
    ),
    Scenario(
        "change of mind before confirming",
        ["Book a queen room for 2 nights from April 10th for 2 guests.", "My name is Sam Lee.", "No.",
         "Make it three nights instead.", "Yes."],
        booking={"room_type": "standard_queen", "nights": 3, "guests": 2, "guest_name": "Sam Lee", "check_in": "April 10th"},
    ),
    Scenario(
        "three nights instead after booking",
        ["I'd like to book a king room for two nights from May 5th for two people.", "My name is Ana Silva.", "Yes.",
         "And for three nights instead?", "Yes."],
        booking={"room_type": "deluxe_king", "nights": 3, "guests": 2, "guest_name": "Ana Silva", "check_in": "May 5th"},
        says=["Your reservation is changed"],
    ),
    Scenario(
        "declines at confirmation",
        ["Book a suite for one night from June 1st for 4 people.", "My name is Tom Hardy.", "No, that's all, goodbye."],
        no_booking=True, ends="completed",
    ),
    Scenario(
        "too many guests for a room",
        ["I need a queen room from July 4th for two nights for four people."],
        no_booking=True, says=["family suite"],
    ),
    Scenario(
        "date in the past",
        ["I want to book a room for yesterday."],
        no_booking=True, says=["What date would you like to arrive"],
    ),
    Scenario(
        "last suite already taken",
        ["Book the family suite from August 8th for two nights for 3 guests."],
        existing=[(f"Guest {n}", "family_suite", "August 8th", 2) for n in range(4)],
        no_booking=True, says=["fully booked"],
    ),
    Scenario(
        "question in the middle of a booking",
        ["I'd like to book a room from September 9th for one night.", "Is breakfast included?", "Two guests.",
         "King.", "Name is Priya Patel.", "Sure."],
        booking={"room_type": "deluxe_king", "nights": 1, "guests": 2, "guest_name": "Priya Patel", "check_in": "September 9th"},
        says=["included with every room"],
    ),
    Scenario(
        "no caller id asks for a phone",
        ["Book a queen room from October 2nd for 2 nights for 2 guests", "My name is Kim Park.", "555 201 3344", "Yes."],
        booking={"room_type": "standard_queen", "nights": 2, "guests": 2, "guest_name": "Kim Park", "check_in": "October 2nd",
                 "phone": "+15552013344"},
        caller_id=None,
    ),
    # --- reservations by code --------------------------------------------------------------
    Scenario(
        "find by code",
        ["Can you check my reservation?", "{code}"],
        existing=[("Olga Ivanova", "deluxe_king", "November 30th", 2)], says=["Olga Ivanova"],
    ),
    Scenario(
        "cancel by spelled code",
        ["I need to cancel my reservation.", "{spelled}", "Yes."],
        existing=[("Hans Muller", "standard_queen", "December 1st", 1)],
        tool=("cancel_reservation", {}), says=["is cancelled"],
    ),
    Scenario("unknown code", ["Check my booking please.", "z z z 9 9 9"], says=["couldn't find"]),
    # --- people, callbacks, repeat, goodbye -------------------------------------------------
    Scenario("transfer front desk", ["Can I speak to someone at the front desk?"], tool=("transfer_to_human", {"department": "front_desk"})),
    Scenario("transfer manager", ["I want to talk to the manager."], tool=("transfer_to_human", {"department": "management"})),
    Scenario("transfer housekeeping", ["Connect me to housekeeping please."], tool=("transfer_to_human", {"department": "housekeeping"})),
    Scenario("callback", ["Could someone call me back tomorrow morning?"], tool=("schedule_callback", {"time": "tomorrow morning"})),
    Scenario("repeat", ["When is breakfast?", "Sorry, can you repeat that?"], says=["6:30 AM"]),
    Scenario("goodbye", ["Thanks, that's all. Bye!"], ends="completed"),
    Scenario("anything else no", ["What time is check out?", "Thank you.", "No thanks."], ends="completed"),
    # --- nonsense and silence ----------------------------------------------------------------
    Scenario("nonsense", ["Purple monkey dishwasher."], says=["I can book a room"], no_booking=True),
    Scenario("empty", [""], says=["didn't hear anything"]),
    Scenario("keeps failing", ["Blah.", "Flibbertigibbet.", "Zorp."], says=["call you back"]),
]  # fmt: skip


#: The tools that change something: a reply prepared ahead never runs them.
WRITES = sorted(name for name, spec in SPECS.items() if not spec.reads_only)


async def _writes(state: Appliance, session_id: str) -> int:
    """Tool runs that changed something, of this call or of no call."""
    return int(
        (
            await state.store.read(
                lambda db: db.execute(
                    "SELECT count(*) FROM tool_executions WHERE (session_id = ? OR session_id IS NULL)"
                    f" AND tool IN ({', '.join('?' * len(WRITES))})",
                    [session_id, *WRITES],
                ).fetchone()
            )
        )[0]
    )


async def run_scenario(
    state: Appliance, scenario: Scenario, prepare: bool = False
) -> tuple[list[str], list[str]]:
    """Play the scenario; returns the agent's replies and the failed checks.

    With ``prepare``, each turn goes as the loop takes it: the reply is prepared for the first
    half of the words (the caller paused, then went on: dropped), then for all of them, and
    the turn is answered with it. A reply that could not be prepared must be one that wrote
    something; one prepared must be used; a dropped one must change nothing."""
    today = date.today()
    codes: list[str] = []
    for guest, room_type, check_in, nights in scenario.existing:
        made = await state.toolbox.execute(
            "create_reservation",
            check_in=check_in,
            guest_name=guest,
            room_type=room_type,
            nights=nights,
        )
        assert made["ok"], made
        codes.append(made["code"])
    session = await state.sessions.create_session(channel="phone", caller_id=scenario.caller_id)
    replies: list[str] = []
    failures: list[str] = []
    ended = None
    for said in scenario.turns:
        if codes:
            said = said.format(code=codes[0], spelled=" ".join(codes[0].lower()))
        if not prepare:
            reply = await state.agent.respond(session, said)
        else:
            agent = state.agent
            words = said.split()
            writes = await _writes(state, session.id)
            if len(words) >= 2:
                await agent.prepare(session, " ".join(words[: len(words) // 2]))
            prepared = await agent.prepare(session, said)
            await session.flush()
            if await _writes(state, session.id) != writes:
                failures.append(f"preparing a reply to {said!r} wrote something")
            reply = await agent.respond(session, said, prepared)
            await session.flush()
            wrote = await _writes(state, session.id) != writes
            if prepared.reply is not None and not reply.prepared:
                failures.append(f"the reply prepared for {said!r} was not used")
            if prepared.reply is None and not wrote:
                failures.append(f"the reply to {said!r} wrote nothing, yet was not prepared")
        replies.append(reply.text)
        if reply.end_call:
            ended = reply.outcome
            break
    await session.flush()
    spoken = " ".join(replies).lower()
    failures += [f"never said {text!r}" for text in scenario.says if text.lower() not in spoken]
    rows = await state.store.read(
        lambda db: db.execute(
            "SELECT room_type, check_in, check_out, guests, guest_name, phone FROM reservations"
            " WHERE session_id = ? AND status = 'confirmed'",
            [session.id],
        ).fetchall()
    )
    if scenario.booking is not None:
        want = scenario.booking
        if len(rows) != 1:
            failures.append(f"expected one reservation, found {len(rows)}")
        else:
            room_type, check_in, check_out, guests, name, phone = rows[0]
            got = {"room_type": room_type, "nights": (check_out - check_in).days, "guests": guests, "guest_name": name,
                   "check_in": check_in, "phone": phone}  # fmt: skip
            expected = {**want, "check_in": parse_date(want["check_in"], today)}
            failures += [
                f"{k}: expected {v!r}, got {got[k]!r}" for k, v in expected.items() if got[k] != v
            ]
    if scenario.no_booking and rows:
        failures.append(f"booked {rows} though it should not have")
    if scenario.tool is not None:
        name, args = scenario.tool
        runs = await state.store.read(
            lambda db: db.execute(
                "SELECT arguments FROM tool_executions WHERE tool = ? AND (session_id = ? OR session_id IS NULL)",
                [name, session.id],
            ).fetchall()
        )
        if not any(all(json.loads(r[0]).get(k) == v for k, v in args.items()) for r in runs):
            failures.append(f"tool {name} with {args} never ran")
    if scenario.ends is not None and ended != scenario.ends:
        failures.append(f"expected the call to end {scenario.ends}, ended {ended}")
    return replies, failures
