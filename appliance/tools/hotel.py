"""Tools over the hotel's own data: availability, bookings, and the facts in hotel.toml."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from appliance.errors import ToolError
from appliance.hotel import facts as hotel_facts  # module import: facts uses tools.speech
from appliance.hotel.dates import parse_date
from appliance.hotel.reservations import NoRoomAvailable
from appliance.tools.context import ToolContext
from appliance.tools.speech import (
    format_for_voice,
    say_code,
    say_date,
    say_list,
    say_price,
)
from appliance.tools.voice import normalize_phone

Result = dict[str, Any]
MAX_NIGHTS = 30


def _stay(
    ctx: ToolContext, check_in: str, check_out: str | None, nights: int | None
) -> tuple[date, date]:
    today = ctx.today()
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
    arrival, departure = _stay(ctx, check_in, check_out, nights)
    if guests < 1:
        raise ToolError("bad-argument", f"guests must be at least 1, got {guests}")
    options = await ctx.reservations.availability(arrival, departure, guests, room_type)
    total = sum(o.available for o in options)
    rooms = [
        {"room_type": o.room_type.id, "room_name": o.room_type.name, "available": o.available,
         "nightly_rate": str(o.room_type.nightly_rate)}
        for o in options
    ]  # fmt: skip
    data = {"available": total, "check_in": arrival, "check_out": departure}
    if room_type and options:
        data["room_name"] = options[0].room_type.name
    say = format_for_voice(data, "availability")
    free = [o for o in options if o.available > 0]
    if free and not room_type:
        prices = [
            f"a {o.room_type.name} at {say_price(o.room_type.nightly_rate, ctx.hotel.currency)}"
            for o in free
        ]
        say += f" We have {say_list(prices, 'or')} a night."
    elif free:
        say += f" It is {say_price(free[0].room_type.nightly_rate, ctx.hotel.currency)} a night."
    if not options:
        say = f"I'm sorry, none of our rooms sleeps {guests} guests. We could book more than one room."
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
    try:
        reservation = await ctx.reservations.book(
            room_type, arrival, departure, guests, name, number, session_id
        )
    except NoRoomAvailable:
        room = ctx.hotel.room_type(room_type)
        return {"ok": False, "error": "no-availability",
                "say": f"I'm sorry, the last {room.name if room else room_type} for those dates has just been taken."}  # fmt: skip
    if session is not None:
        session.set_reservation(reservation.code)
    result: Result = {"ok": True, "reservation": reservation.to_dict(), "code": reservation.code}
    result["say"] = format_for_voice(
        {
            **reservation.to_dict(),
            "room_name": reservation.room_name,
            "currency": ctx.hotel.currency,
        },
        "reservation",
    )
    return result


async def find_reservation(
    ctx: ToolContext, code: str | None = None, caller: str | None = None
) -> Result:
    if code:
        found = await ctx.reservations.find(code)
        matches = [found] if found else []
    elif caller:
        matches = await ctx.reservations.find_by_phone(normalize_phone(caller))
    else:
        raise ToolError("bad-argument", "give a confirmation code or the caller's phone number")
    if not matches:
        what = f"the code {say_code(code)}" if code else "your phone number"
        return {
            "ok": False,
            "error": "not-found",
            "say": f"I couldn't find a reservation under {what}.",
        }
    first = matches[0]
    state = "is confirmed" if first.status == "confirmed" else "was cancelled"
    say = (
        f"I found reservation {say_code(first.code)} for {first.guest_name}: a {first.room_name} from "
        f"{say_date(first.check_in)} to {say_date(first.check_out)}. It {state}."
    )
    return {"ok": True, "reservations": [m.to_dict() for m in matches], "say": say}


async def cancel_reservation(ctx: ToolContext, code: str) -> Result:
    cancelled = await ctx.reservations.cancel(code)
    if cancelled is None:
        existing = await ctx.reservations.find(code)
        if existing is not None:
            return {"ok": False, "error": "already-cancelled",
                    "say": f"Reservation {say_code(existing.code)} was already cancelled."}  # fmt: skip
        return {
            "ok": False,
            "error": "not-found",
            "say": f"I couldn't find a reservation under the code {say_code(code)}.",
        }
    return {
        "ok": True, "reservation": cancelled.to_dict(),
        "say": f"Your reservation {say_code(cancelled.code)} from {say_date(cancelled.check_in)} is cancelled. "
        f"{ctx.hotel.amenities.get('cancellation', '')}".strip(),
    }  # fmt: skip


_TOPIC_SYNONYMS = {
    "check_in": ("check in", "checkin", "arrival", "arrive"),
    "check_out": ("check out", "checkout", "departure", "leave", "kek out"),
    "breakfast": ("breakfast", "morning meal"),
    "restaurant": ("restaurant", "dinner", "lunch", "dining", "eat", "food"),
    "parking": ("parking", "park", "car", "garage", "charger", "valet"),
    "wifi": ("wifi", "wi fi", "wi-fi", "internet", "wireless", "password", "network", "online"),
    "pool": ("pool", "swim", "swimming"),
    "gym": ("gym", "fitness", "workout", "exercise"),
    "spa": ("spa", "massage", "sauna", "treatment", "treatments", "facial", "beauty", "manicure"),
    "pets": ("pet", "pets", "dog", "dogs", "cat", "cats", "animal", "puppy", "kitten"),
    "cancellation": ("cancellation", "cancel policy", "cancellation policy", "refund"),
    "smoking": ("smoking", "smoke", "cigarette"),
    "accessibility": ("accessible", "accessibility", "wheelchair", "disabled"),
    "address": ("address", "where are you", "located", "location", "directions", "zip code",
                "postcode", "post code", "sat nav", "gps", "whereabouts"),
    "phone": ("phone number", "your number", "telephone"),
    "rooms": ("rooms", "room types", "what rooms", "prices", "rates"),
}  # fmt: skip


def topic_key(topic: str) -> str | None:
    text = " " + re.sub(r"[^a-z0-9 ]+", " ", topic.lower().replace("-", " ")) + " "
    for key, words in _TOPIC_SYNONYMS.items():
        if any(f" {w} " in text for w in words) or f" {key.replace('_', ' ')} " in text:
            return key
    return None


def hotel_fact(ctx: ToolContext, key: str) -> str | None:
    """One fact of the hotel as a spoken sentence; None if the hotel file does not have it."""
    return hotel_facts.fact(ctx.hotel, key)


async def get_hotel_info(ctx: ToolContext, topic: str) -> Result:
    """A fact by its key (check_out, faq:shuttle, room:deluxe_king) or by words about it."""
    known = hotel_facts.topics(ctx.hotel)
    key = topic if topic in known else topic_key(topic)
    answer = hotel_fact(ctx, key) if key else None
    if answer:
        return {"ok": True, "topic": key, "say": answer}
    words = set(re.findall(r"[a-z]+", topic.lower()))
    for entry in ctx.hotel.faq:
        if any((k in topic.lower()) if " " in k else (k in words) for k in entry.keywords):
            return {"ok": True, "topic": "faq", "question": entry.question, "say": entry.answer}
    return {
        "ok": False, "error": "unknown-topic", "alternative": "transfer_to_human",
        "say": "I'm sorry, I don't have that information. I can put you through to the front desk, or they can call you back.",
    }  # fmt: skip
