"""Tools over the hotel's own data: availability, bookings, and the facts in hotel.toml."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from appliance.errors import ToolError
from appliance.hotel.dates import parse_date
from appliance.hotel.effects import Book, BookingRefused, CancelBooking
from appliance.hotel.model import RoomType
from appliance.hotel.phones import normalize_phone
from appliance.tools.context import ToolContext
from appliance.tools.speech import format_for_voice

Result = dict[str, Any]
MAX_NIGHTS = 30


def _stay(
    ctx: ToolContext, check_in: str, check_out: str | None, nights: int | None
) -> tuple[date, date]:
    today = ctx.desk.today()
    arrival = parse_date(check_in, today)
    if arrival is None:
        raise ToolError("bad-argument", f"check_in {check_in!r} is not a date")
    if arrival < today:
        raise ToolError("date-in-past", f"check_in {arrival.isoformat()} has already passed")
    if check_out:
        departure = parse_date(check_out, arrival)
        if departure is None:
            raise ToolError("bad-argument", f"check_out {check_out!r} is not a date")
    elif nights is not None:
        departure = arrival + timedelta(days=nights)
    else:
        raise ToolError("bad-argument", "give check_out or nights")
    stay = (departure - arrival).days
    if stay < 1:
        raise ToolError(
            "bad-argument",
            f"check_out {departure.isoformat()} must be after check_in {arrival.isoformat()}",
        )
    if stay > MAX_NIGHTS:
        raise ToolError(
            "bad-argument",
            f"{stay} nights is longer than the {MAX_NIGHTS} nights that can be booked by phone",
        )
    return arrival, departure


async def check_availability(
    ctx: ToolContext,
    check_in: str,
    check_out: str | None = None,
    nights: int | None = None,
    guests: int = 1,
    room_type: str | None = None,
) -> Result:
    lines = ctx.lines
    arrival, departure = _stay(ctx, check_in, check_out, nights)
    if guests < 1:
        raise ToolError("bad-argument", f"guests must be at least 1, got {guests}")
    if room_type:
        _room(ctx, room_type)
    options = await ctx.desk.for_call(None).availability(
        arrival, (departure - arrival).days, guests, room_type
    )
    total = sum(o.available for o in options)
    rooms = [
        {"room_type": o.room_type.id, "room_name": o.room_type.name, "available": o.available,
         "nightly_rate": str(o.room_type.nightly_rate)}
        for o in options
    ]  # fmt: skip
    data: dict[str, Any] = {"available": total, "check_in": arrival, "check_out": departure}
    if room_type and options:
        data["room_name"] = options[0].room_type.name
    say = format_for_voice(data, "availability", lines)
    free = [o for o in options if o.available > 0]
    currency = ctx.desk.hotel.currency
    if free and not room_type:
        prices = [lines.say("booking.room_at", room=o.room_type.name,
                            price=lines.price(o.room_type.nightly_rate, currency)) for o in free]  # fmt: skip
        say = lines.join(say, lines.say("booking.rooms_at", rooms=lines.listing(prices, "or")))
    elif free:
        price = lines.price(free[0].room_type.nightly_rate, currency)
        say = lines.join(say, lines.say("booking.it_costs", price=price))
    if not options:
        say = lines.say("booking.none_sleeps", guests=guests)
    return {"ok": True, "check_in": arrival.isoformat(), "check_out": departure.isoformat(),
            "nights": (departure - arrival).days, "available": total, "rooms": rooms, "say": say}  # fmt: skip


async def create_reservation(
    ctx: ToolContext,
    check_in: str,
    guest_name: str,
    room_type: str,
    check_out: str | None = None,
    nights: int | None = None,
    guests: int = 1,
    phone: str | None = None,
    session_id: str | None = None,
) -> Result:
    arrival, departure = _stay(ctx, check_in, check_out, nights)
    name = " ".join(guest_name.split())
    if not name:
        raise ToolError("bad-argument", "guest_name is empty")
    session = ctx.sessions.find(session_id) if session_id else None
    number = normalize_phone(phone) if phone else (session.caller_id if session else None)
    room = _room(ctx, room_type)
    outcome = await ctx.desk.for_call(session, record=_not_again).perform(
        Book(arrival, (departure - arrival).days, guests, room.id, name, number)
    )
    lines = ctx.lines
    if isinstance(outcome, BookingRefused):
        if outcome.reason == "too-many-guests":
            return {"ok": False, "error": "too-many-guests",
                    "say": lines.say("booking.room_sleeps", room=room.name, capacity=room.capacity, guests=guests)}  # fmt: skip
        if outcome.reason == "date-in-past":
            raise ToolError("date-in-past", f"check_in {arrival.isoformat()} has already passed")
        return {"ok": False, "error": "no-availability",
                "say": lines.say("booking.room_just_taken", room=room.name)}  # fmt: skip
    result: Result = {"ok": True, "reservation": outcome.to_dict(), "code": outcome.code}
    result["say"] = format_for_voice(
        {**outcome.to_dict(), "room_name": outcome.room_name, "currency": ctx.desk.hotel.currency},
        "reservation",
        lines,
    )
    return result


def _room(ctx: ToolContext, room_type: str) -> RoomType:
    room = ctx.desk.hotel.room_type(room_type)
    if room is None:
        names = ", ".join(r.name for r in ctx.desk.hotel.room_types)
        raise ToolError(
            "unknown-room-type", f"there is no room type {room_type!r}; the hotel has {names}"
        )
    return room


def _not_again(run: Any) -> None:
    """The registry records an API client's tool run itself: the desk need not."""


async def find_reservation(
    ctx: ToolContext, code: str | None = None, caller: str | None = None
) -> Result:
    desk, lines = ctx.desk.for_call(None), ctx.lines
    if code:
        found = await desk.find(code)
        matches = [found] if found else []
    elif caller:
        matches = await desk.reservations_of(caller)
    else:
        raise ToolError("bad-argument", "give a confirmation code or the caller's phone number")
    if not matches:
        say = (
            lines.say("reservation.not_found_code", code=lines.code(code))
            if code
            else lines.say("reservation.not_found_number")
        )
        return {"ok": False, "error": "not-found", "say": say}
    first = matches[0]
    key = "reservation.found" if first.status == "confirmed" else "reservation.found_cancelled"
    say = lines.say(key, code=lines.code(first.code), name=first.guest_name, room=first.room_name,
                    check_in=lines.date(first.check_in), check_out=lines.date(first.check_out))  # fmt: skip
    return {"ok": True, "reservations": [m.to_dict() for m in matches], "say": say}


async def cancel_reservation(ctx: ToolContext, code: str) -> Result:
    lines = ctx.lines
    cancelled = await ctx.desk.for_call(None).perform(CancelBooking(code))
    if cancelled is None:
        existing = await ctx.desk.reservations.find(code)
        if existing is not None:
            return {"ok": False, "error": "already-cancelled",
                    "say": lines.say("reservation.was_already_cancelled", code=lines.code(existing.code))}  # fmt: skip
        return {"ok": False, "error": "not-found",
                "say": lines.say("reservation.not_found_code", code=lines.code(code))}  # fmt: skip
    return {
        "ok": True, "reservation": cancelled.to_dict(),
        "say": lines.say("reservation.cancelled", code=lines.code(cancelled.code),
                         check_in=lines.date(cancelled.check_in),
                         policy=ctx.desk.hotel.amenities.get("cancellation", "")),
    }  # fmt: skip


async def get_hotel_info(ctx: ToolContext, topic: str) -> Result:
    """A fact by its key (check_out, faq:shuttle, room:deluxe_king) or by words about it."""
    answer = ctx.desk.fact(topic)
    if answer:
        return {"ok": True, "topic": topic, "say": answer}
    return {
        "ok": False, "error": "unknown-topic", "alternative": "transfer_to_human",
        "say": ctx.lines.say("call.no_information"),
    }  # fmt: skip
