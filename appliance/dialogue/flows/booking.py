"""Booking a room: the details one by one, free rooms offered, the whole read back and
confirmed, then booked, with the details sent by text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from appliance.dialogue.state import Booking, Slot
from appliance.dialogue.steps import Act, Say, Step
from appliance.dialogue.turn import Turn
from appliance.hotel.effects import Book, BookingRefused, SendText
from appliance.hotel.reservations import Availability, Reservation
from appliance.understanding import commands as c

#: The longest stay booked by phone.
MAX_NIGHTS = 30
QUESTIONS: dict[Slot, str] = {
    "check_in": "booking.ask_check_in", "nights": "booking.ask_nights",
    "guests": "booking.ask_guests", "room_type": "booking.ask_room_type",
    "name": "booking.ask_name", "phone": "booking.ask_phone",
}  # fmt: skip
#: The details read back when the speech-to-text doubted the words they came in.
READ_BACK: tuple[Slot, ...] = ("check_in", "nights", "guests")


async def route(t: Turn) -> Step | None:
    """A new booking, or details that go on one."""
    state, heard = t.state, t.heard
    if not (
        heard.has(c.StartBooking)
        or heard.has_booking_details
        or (state.booking is not None and heard.has(c.SetSlots))
    ):
        return None
    if heard.has(c.StartBooking) and state.reservation is not None:
        state.booking, state.reservation = None, None  # a second, new booking
    return await book(t, heard.slots)


def next_question(t: Turn) -> str:
    """The question for the booking's next missing detail ("" when none is)."""
    booking = t.state.booking
    missing = booking.missing() if booking is not None else None
    return t.say(QUESTIONS[missing]) if missing is not None else ""


def apply(booking: Booking, slots: c.SetSlots) -> bool:
    """Put the details heard into the booking; True if anything changed."""
    updates: dict[str, Any] = {}
    if slots.check_in is not None:
        updates["check_in"] = slots.check_in
    if slots.check_in is not None and slots.check_out is not None and slots.check_out > slots.check_in:
        updates["nights"] = (slots.check_out - slots.check_in).days
    elif slots.check_out is not None and booking.check_in is not None and slots.check_out > booking.check_in:
        updates["nights"] = (slots.check_out - booking.check_in).days
    for name in ("nights", "guests", "room_type", "name", "phone"):
        value = getattr(slots, name)
        if value is not None and name not in updates:
            updates[name] = value
    changed = False
    for name, value in updates.items():
        if getattr(booking, name) != value:
            setattr(booking, name, value)
            changed = True
    return changed


async def book(t: Turn, slots: c.SetSlots) -> Step:
    state = t.state
    booking = state.booking = state.booking or Booking()
    before = {name: getattr(booking, name) for name in READ_BACK}
    apply(booking, slots)
    if state.expecting == "phone" and booking.phone is None and slots.use_caller_number:
        booking.phone = t.caller_id
    if booking.check_in is not None and booking.check_in < t.today:
        booking.check_in = None
        state.expecting = "check_in"
        return Say(t.say("booking.date_passed"))
    changed = tuple(
        name for name in READ_BACK if getattr(booking, name) not in (None, before[name])
    )
    if t.heard.doubtful and changed:
        return read_back(t, changed)
    return await go_on(t)


def read_back(t: Turn, doubted: tuple[Slot, ...]) -> Say:
    """Details heard unclearly, said back to be confirmed: "2 guests, is that right?"."""
    booking = t.state.booking
    assert booking is not None
    said = {
        "check_in": lambda: t.say("booking.arriving", date=t.lines.date(booking.check_in or t.today, with_weekday=True)),
        "nights": lambda: t.lines.count(booking.nights or 0, "night"),
        "guests": lambda: t.lines.count(booking.guests or 0, "guest"),
    }  # fmt: skip
    t.state.ask("check", slots=doubted)
    t.state.expecting = doubted[0]
    details = t.lines.listing([said[name]() for name in doubted])
    return Say(t.say("booking.check", details=details[:1].upper() + details[1:]))


async def checked(t: Turn, yes: bool, no: bool) -> Step | None:
    """The answer to a read-back, when it settles it: other details replace the ones read
    back; a yes goes on. None otherwise (a no is a miss: see patterns.answer)."""
    if t.state.booking is None:
        return None
    slots = t.heard.slots
    if any(getattr(slots, name) is not None for name in (*READ_BACK, "check_out")):
        return await book(t, slots)
    if yes and not no:
        return await go_on(t)
    return None


async def go_on(t: Turn) -> Step:
    """Ask for what is missing, offer what is free, or read the whole booking back."""
    state = t.state
    booking = state.booking
    assert booking is not None
    missing = booking.missing()
    if missing == "phone" and t.caller_id:
        booking.phone = t.caller_id
        missing = booking.missing()
    if missing in ("check_in", "nights", "guests"):
        state.expecting = missing
        return Say(next_question(t))
    assert booking.check_in and booking.nights and booking.guests
    if booking.nights > MAX_NIGHTS:
        booking.nights = None
        state.expecting = "nights"
        return Say(t.say("booking.too_many_nights", max_nights=MAX_NIGHTS))
    if booking.room_type is not None and t.hotel.room_type(booking.room_type) is None:
        booking.room_type = None
        state.expecting = "room_type"
        return Say(t.say("booking.unknown_room", rooms=t.lines.listing(room_names(t), "or")))
    if missing == "room_type" or booking.room_type:
        offered = await _rooms(t, booking)
        if offered is not None:
            return offered
    if booking.name is None:
        state.expecting = "name"
        return Say(t.say("booking.ask_name"))
    if booking.phone is None:
        state.expecting = "phone"
        return Say(t.say("booking.ask_phone"))
    state.ask("book")
    state.expecting = None
    return Say(confirmation(t, booking))


async def _rooms(t: Turn, booking: Booking) -> Step | None:
    """What is free for the stay: the room asked for, or the rooms to choose from. None when
    the room asked for is free."""
    assert booking.check_in and booking.nights and booking.guests
    state = t.state
    options = await t.desk.availability(booking.check_in, booking.nights, booking.guests, booking.room_type)
    free = [o for o in options if o.available > 0]
    span = t.say("booking.span", check_in=t.lines.date(booking.check_in),
                 check_out=t.lines.date(booking.check_in + timedelta(days=booking.nights)))  # fmt: skip
    if booking.room_type and not free:
        room = t.hotel.room_type(booking.room_type)
        booking.room_type = None
        state.expecting = "room_type"
        others = await t.desk.availability(booking.check_in, booking.nights, booking.guests)
        alternatives = [o for o in others if o.available > 0]
        if not alternatives:
            state.booking, state.expecting = None, None
            return Say(t.say("booking.fully_booked", span=span))
        if room is not None and room.capacity < booking.guests:
            why = t.say("booking.room_sleeps", room=room.name, capacity=room.capacity, guests=booking.guests)
            return Say(f"{why} {t.say('booking.rooms_free', rooms=offer(t, alternatives), span=span)}")
        return Say(t.say("booking.room_fully_booked", room=room.name if room else booking.room_type,
                         span=span, rooms=offer(t, alternatives)))  # fmt: skip
    if not free:
        state.booking, state.expecting = None, None
        if not options:
            return Say(t.say("booking.none_sleeps", guests=booking.guests))
        return Say(t.say("booking.no_room_for_guests", guests=booking.guests, span=span))
    if booking.room_type is None:
        state.expecting = "room_type"
        return Say(t.say("booking.rooms_free", rooms=offer(t, free), span=span))
    return None


def room_names(t: Turn) -> list[str]:
    return [r.name for r in t.hotel.room_types]


def offer(t: Turn, rooms: list[Availability]) -> str:
    return t.lines.listing(
        [t.say("booking.room_at_price", room=o.room_type.name, price=t.price(o.room_type.nightly_rate))
         for o in rooms],
        "or",
    )  # fmt: skip


def confirmation(t: Turn, booking: Booking, rebook: bool = False) -> str:
    assert booking.check_in and booking.nights and booking.guests and booking.room_type
    room = t.hotel.room_type(booking.room_type)
    rate = room.nightly_rate if room else 0
    details = t.say(
        "booking.details", room=room.name if room else booking.room_type,
        guests=t.lines.count(booking.guests, "guest"),
        check_in=t.lines.date(booking.check_in, with_weekday=True),
        nights=t.lines.count(booking.nights, "night"), total=t.price(rate * booking.nights),
    )  # fmt: skip
    if rebook:
        return t.say("booking.confirm_change", details=details)
    return t.say("booking.confirm", details=details, name=booking.name)


def make(t: Turn, changed: bool = False) -> Step:
    """Book what was confirmed; the outcome is said, and the details texted."""
    booking = t.state.booking
    assert booking and booking.check_in and booking.nights and booking.guests
    assert booking.room_type and booking.name

    async def booked(outcome: Reservation | BookingRefused) -> Step:
        if isinstance(outcome, BookingRefused):
            return refused(t, outcome)
        t.state.reservation = outcome
        t.state.expecting = "anything_else"
        told = _confirmed(t, outcome, changed)
        if not outcome.phone:
            return Say(t.lines.join(told, t.say("call.anything_else")))

        async def texted(sid: str | None) -> Step:
            also = t.say("booking.texted") if sid is not None else ""
            return Say(t.lines.join(told, also, t.say("call.anything_else")))

        return Act(SendText(outcome.phone, text_message(t, outcome)), texted)

    return Act(
        Book(booking.check_in, booking.nights, booking.guests, booking.room_type, booking.name, booking.phone),
        booked,
    )  # fmt: skip


def refused(t: Turn, why: BookingRefused) -> Step:
    booking = t.state.booking
    assert booking is not None
    if why.reason == "date-in-past":
        booking.check_in = None
        t.state.expecting = "check_in"
        return Say(t.say("booking.date_passed_which"))
    room = t.hotel.room_type(booking.room_type or "")
    booking.room_type = None
    t.state.expecting = "room_type"
    if why.reason == "too-many-guests" and room is not None:
        return Say(t.say("booking.room_sleeps", room=room.name, capacity=room.capacity, guests=booking.guests))
    if why.reason == "unknown-room" or room is None:
        return Say(t.say("booking.unknown_room", rooms=t.lines.listing(room_names(t), "or")))
    return Say(t.say("booking.room_just_taken", room=room.name))


def _confirmed(t: Turn, reservation: Reservation, changed: bool) -> str:
    return t.say(
        "booking.changed" if changed else "booking.confirmed", name=reservation.guest_name,
        room=reservation.room_name, check_in=t.lines.date(reservation.check_in),
        check_out=t.lines.date(reservation.check_out), nights=t.lines.count(reservation.nights, "night"),
        total=t.price(reservation.total), code=t.lines.code(reservation.code),
    )  # fmt: skip


def text_message(t: Turn, reservation: Reservation) -> str:
    """The confirmation as a text message to the reservation's own number."""
    return t.say(
        "booking.text_message", hotel=t.hotel.name, code=reservation.code,
        room=reservation.room_name.capitalize(), check_in=t.lines.date(reservation.check_in),
        check_out=t.lines.date(reservation.check_out), guests=t.lines.count(reservation.guests, "guest"),
        total=t.price(reservation.total), policy=t.hotel.amenities.get("cancellation", ""),
    )  # fmt: skip
