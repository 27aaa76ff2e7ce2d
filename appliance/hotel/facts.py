"""The hotel's facts as topics: a key per fact, its spoken answer, and the hotel file's own
words about it (what the understander indexes).

Keys: check_in, early_check_in, check_out, late_check_out, each [hours] table, each
[amenities] entry, address, phone, rooms, room:<room type id>, faq:<id>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.hotel.model import Hotel
from appliance.sentences import Catalogue, english


@dataclass(frozen=True)
class Topic:
    key: str
    answer: str
    #: Phrases from the hotel file that say what the topic is about.
    seeds: tuple[str, ...] = ()


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


def _room_answer(hotel: Hotel, room_id: str, lines: Catalogue) -> str | None:
    room = next((r for r in hotel.room_types if r.id == room_id), None)
    if room is None:
        return None
    price, guests = lines.price(room.nightly_rate, hotel.currency), lines.count(room.capacity, "guest")
    if room.description:
        return lines.say(
            "facts.room", room=room.name, description=room.description, guests=guests, price=price
        )
    return lines.say("facts.room_plain", room=room.name, guests=guests, price=price)


def topics(hotel: Hotel, lines: Catalogue | None = None) -> dict[str, Topic]:
    """Every fact of the hotel file, by key, answered in ``lines``' language."""
    lines = lines or english()
    found: dict[str, Topic] = {}

    def add(key: str, answer: str, *seeds: str) -> None:
        if answer.strip():
            found[key] = Topic(key, answer.strip(), tuple(s for s in seeds if s))

    check_in, check_out = lines.time(hotel.check_in_time), lines.time(hotel.check_out_time)
    add("check_in", lines.say("facts.check_in", time=check_in, note=hotel.early_check_in))
    early = hotel.early_check_in or lines.say("facts.early_check_in_note")
    add("early_check_in", lines.say("facts.early_check_in", note=early, time=check_in), hotel.early_check_in)
    add("check_out", lines.say("facts.check_out", time=check_out, note=hotel.late_check_out))
    late = hotel.late_check_out or lines.say("facts.late_check_out_note")
    add("late_check_out", lines.say("facts.late_check_out", note=late, time=check_out), hotel.late_check_out)
    for key, h in hotel.hours.items():
        name = key.replace("_", " ")
        add(
            key,
            lines.say("facts.hours", name=name.capitalize(), opens=lines.time(h.opens),
                      closes=lines.time(h.closes), where=h.where, note=h.note),
            f"{name} hours", f"when is {name}", f"where is {name}", h.note,
        )  # fmt: skip
    for key, text in hotel.amenities.items():
        name = key.replace("_", " ")
        add(key, text, f"is there {name}", f"tell me about {name}", text)
    add("address", lines.say("facts.address", address=hotel.address))
    add("phone", lines.say("facts.phone", phone=lines.phone(hotel.phone)))
    rooms = [
        lines.say("facts.room_at", room=r.name, price=lines.price(r.nightly_rate, hotel.currency))
        for r in hotel.room_types
    ]
    add("rooms", lines.say("facts.rooms", rooms=lines.listing(rooms)))
    for room in hotel.room_types:
        answer = _room_answer(hotel, room.id, lines)
        if answer:
            add(f"room:{room.id}", answer, f"the {room.name}, {room.description}")
    for entry in hotel.faq:
        add(f"faq:{entry.id}", entry.answer, entry.question, *entry.keywords, entry.answer)
    return found


def fact(hotel: Hotel, key: str, lines: Catalogue | None = None) -> str | None:
    """The spoken answer for ``key``; None if the hotel file does not have it."""
    topic = topics(hotel, lines).get(key)
    return topic.answer if topic else None
