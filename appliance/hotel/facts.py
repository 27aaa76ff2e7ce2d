"""The hotel's facts as topics: a key per fact, its spoken answer, and the hotel file's own
words about it (what the understander indexes).

Keys: check_in, early_check_in, check_out, late_check_out, each [hours] table, each
[amenities] entry, address, phone, rooms, room:<room type id>, faq:<id>.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.hotel.model import Hotel
from appliance.tools.speech import format_for_voice, say_list, say_price, say_time


@dataclass(frozen=True)
class Topic:
    key: str
    answer: str
    #: Phrases from the hotel file that say what the topic is about.
    seeds: tuple[str, ...] = ()


def _room_answer(hotel: Hotel, room_id: str) -> str | None:
    room = next((r for r in hotel.room_types if r.id == room_id), None)
    if room is None:
        return None
    sleeps = f"sleeps up to {room.capacity} guest{'s' if room.capacity != 1 else ''}"
    details = f" with {room.description}," if room.description else ""
    return (
        f"The {room.name} has{details} {sleeps}, and costs "
        f"{say_price(room.nightly_rate, hotel.currency)} a night."
    ).replace("has with", "has").replace(" has,", ",")


def topics(hotel: Hotel) -> dict[str, Topic]:
    """Every fact of the hotel file, by key."""
    found: dict[str, Topic] = {}

    def add(key: str, answer: str, *seeds: str) -> None:
        if answer.strip():
            found[key] = Topic(key, answer.strip(), tuple(s for s in seeds if s))

    add("check_in", f"Check-in is from {say_time(hotel.check_in_time)}. {hotel.early_check_in}")
    add(
        "early_check_in",
        f"{hotel.early_check_in or 'Early check-in depends on the room being ready.'} "
        f"Regular check-in is from {say_time(hotel.check_in_time)}.",
        hotel.early_check_in,
    )
    add("check_out", f"Check-out is at {say_time(hotel.check_out_time)}. {hotel.late_check_out}")
    add(
        "late_check_out",
        f"{hotel.late_check_out or 'Late check-out depends on availability.'} "
        f"Regular check-out is at {say_time(hotel.check_out_time)}.",
        hotel.late_check_out,
    )
    for key, h in hotel.hours.items():
        name = key.replace("_", " ")
        add(
            key,
            f"{name.capitalize()} is served from {say_time(h.opens)} to {say_time(h.closes)} in {h.where}. {h.note}",
            f"{name} hours", f"when is {name}", f"where is {name}", h.note,
        )  # fmt: skip
    for key, text in hotel.amenities.items():
        name = key.replace("_", " ")
        add(key, text, f"is there {name}", f"tell me about {name}", text)
    add("address", f"We are at {hotel.address}.")
    add("phone", f"Our phone number is {format_for_voice(hotel.phone, 'phone')}.")
    rooms = [f"the {r.name} at {say_price(r.nightly_rate, hotel.currency)}" for r in hotel.room_types]
    add("rooms", f"We have {say_list(rooms)} a night.")
    for room in hotel.room_types:
        answer = _room_answer(hotel, room.id)
        if answer:
            add(f"room:{room.id}", answer, f"the {room.name}, {room.description}")
    for entry in hotel.faq:
        add(f"faq:{entry.id}", entry.answer, entry.question, *entry.keywords, entry.answer)
    return found


def fact(hotel: Hotel, key: str) -> str | None:
    """The spoken answer for ``key``; None if the hotel file does not have it."""
    topic = topics(hotel).get(key)
    return topic.answer if topic else None
