"""Existing reservations: found by their code or by the number the caller phones from,
changed (confirmed, then rebooked), or cancelled (confirmed first)."""

from __future__ import annotations

from appliance.dialogue.flows import booking, handoff
from appliance.dialogue.state import Booking
from appliance.dialogue.steps import Act, Say, Step
from appliance.dialogue.turn import Turn
from appliance.hotel.effects import CancelBooking
from appliance.hotel.reservations import Reservation
from appliance.understanding import commands as c


async def route_cancel(t: Turn) -> Step | None:
    if (cancel := t.heard.first(c.Cancel)) is not None:
        return await ask_to_cancel(t, cancel.code)
    return None


async def route_code(t: Turn) -> Step | None:
    """A code given when one was asked for, to cancel or change."""
    state, found = t.state, t.heard.first(c.FindReservation)
    if state.expecting != "code" or found is None:
        return None
    if state.code_for == "cancel":
        return await ask_to_cancel(t, found.code)
    if state.code_for == "change":
        return await find(t, found.code, then_change=True)
    return None


async def route_find(t: Turn) -> Step | None:
    found = t.heard.first(c.FindReservation)
    if found is not None and not t.heard.has(c.StartBooking):
        return await find(t, found.code)
    return None


async def route_change(t: Turn) -> Step | None:
    state, heard = t.state, t.heard
    if heard.has(c.ChangeReservation) or (
        state.reservation is not None and heard.has_booking_details
        and not heard.has(c.StartBooking) and state.expecting in (None, "anything_else", "change")
    ):  # fmt: skip
        return await change(t)
    return None


def _ask_code(t: Turn, purpose: c.Expecting) -> Say:
    t.state.expecting = "code"
    t.state.code_for = "change" if purpose == "change" else "find"
    return Say(t.say("reservation.ask_code"))


def _found(t: Turn, reservation: Reservation) -> str:
    key = "reservation.found" if reservation.status == "confirmed" else "reservation.found_cancelled"
    return t.say(key, code=t.lines.code(reservation.code), name=reservation.guest_name,
                 room=reservation.room_name, check_in=t.lines.date(reservation.check_in),
                 check_out=t.lines.date(reservation.check_out))  # fmt: skip


async def find(t: Turn, code: str | None, then_change: bool = False) -> Step:
    state = t.state
    if not code and t.caller_id and state.expecting != "code":
        # The number the caller phones from is the one a booking is kept under: look it up.
        mine = await t.desk.reservations_of(t.caller_id)
        if mine:
            state.reservation = mine[0]
            state.expecting = "anything_else"
            return Say(t.lines.join(_found(t, mine[0]), t.say("reservation.yours_by_number"),
                                    t.say("call.anything_else")))  # fmt: skip
    if not code:
        return _ask_code(t, "change" if then_change else "code")
    state.expecting = None
    reservation = await t.desk.find(code)
    if reservation is None:
        state.expecting = "code"
        return _not_found(t, code, "reservation.read_again")
    state.misses.pop("code", None)
    state.reservation = reservation
    if then_change:
        state.expecting = "change"
        state.ask("rebook")
        state.booking = Booking.of(reservation)
        return Say(t.lines.join(_found(t, reservation), t.say("reservation.what_to_change")))
    state.expecting = "anything_else"
    return Say(t.lines.join(_found(t, reservation), t.say("call.anything_else")))


async def change(t: Turn) -> Step:
    """A change to a reservation made or found in this call: confirm, then rebook."""
    state, heard = t.state, t.heard
    old = state.reservation
    if old is None:
        return _ask_code(t, "change")
    if state.booking is None or state.pending is None or state.pending.about != "rebook":
        state.booking = Booking.of(old)
    if not heard.has_booking_details:
        state.expecting = "change"
        state.ask("rebook")
        return Say(t.say("reservation.what_to_change"))
    booking.apply(state.booking, heard.slots)
    state.ask("rebook")
    state.expecting = None
    return Say(booking.confirmation(t, state.booking, rebook=True))


def rebook(t: Turn) -> Step:
    """The change confirmed: the old reservation cancelled, the new one booked."""
    old = t.state.reservation
    assert old is not None

    async def cancelled(gone: Reservation | None) -> Step:
        if gone is None:
            return Say(t.say("reservation.was_already_cancelled", code=t.lines.code(old.code)))
        return booking.make(t, changed=True)

    return Act(CancelBooking(old.code), cancelled)


async def ask_to_cancel(t: Turn, code: str | None) -> Step:
    state = t.state
    code = code or (state.reservation.code if state.reservation else None)
    if not code and t.caller_id:
        confirmed = [r for r in await t.desk.reservations_of(t.caller_id) if r.status == "confirmed"]
        if len(confirmed) == 1:
            code = confirmed[0].code
    if not code:
        state.expecting, state.code_for = "code", "cancel"
        state.pending = None
        return Say(t.say("reservation.ask_code_to_cancel"))
    reservation = await t.desk.find(code)
    if reservation is None:
        state.expecting, state.code_for = "code", "cancel"
        return _not_found(t, code, "reservation.read_again_short")
    state.misses.pop("code", None)
    if reservation.status != "confirmed":
        state.expecting = "anything_else"
        return Say(t.lines.join(t.say("reservation.already_cancelled", code=t.lines.code(code)),
                                t.say("call.anything_else")))  # fmt: skip
    state.ask("cancel", code=reservation.code)
    state.expecting = None
    return Say(t.say("reservation.confirm_cancel", code=t.lines.code(reservation.code),
                     name=reservation.guest_name, check_in=t.lines.date(reservation.check_in)))  # fmt: skip


def cancel(t: Turn, code: str) -> Step:
    """The cancellation confirmed."""

    async def done(cancelled: Reservation | None) -> Step:
        state = t.state
        state.expecting = "anything_else"
        if state.reservation is not None and state.reservation.code == code:
            state.reservation = None
            state.booking = None
        if cancelled is None:
            said = t.say("reservation.was_already_cancelled", code=t.lines.code(code))
        else:
            said = t.say("reservation.cancelled", code=t.lines.code(cancelled.code),
                         check_in=t.lines.date(cancelled.check_in),
                         policy=t.hotel.amenities.get("cancellation", ""))  # fmt: skip
        return Say(t.lines.join(said, t.say("call.anything_else")))

    return Act(CancelBooking(code), done)


def _not_found(t: Turn, code: str, again: str) -> Step:
    """No reservation under the code heard: ask for it again; the third time, never loop: a
    person takes over, and the call is flagged with why."""
    misses = t.state.misses["code"] = t.state.misses.get("code", 0) + 1
    if misses >= 3:
        reason = "no reservation was found under the code heard, three times"
        t.flag(reason)
        return handoff.transfer(t, c.Handoff("front_desk", reason))
    return Say(t.lines.join(t.say("reservation.not_found_code", code=t.lines.code(code)), t.say(again)))
