"""format_for_voice: data as a receptionist would say it, in the sentence catalogue's words.
Plain sentences, no markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from appliance.errors import ToolError
from appliance.sentences import Catalogue, english


def say_list(items: Sequence[Any], conjunction: str = "and") -> str:
    return english().listing(items, conjunction)


def say_date(value: Any, with_weekday: bool = False) -> str:
    return english().date(value, with_weekday)


def say_time(value: Any) -> str:
    return english().time(value)


def say_price(value: Any, currency: str = "USD") -> str:
    return english().price(value, currency)


def say_phone(value: Any) -> str:
    return Catalogue.phone(value)


def say_code(value: Any) -> str:
    return Catalogue.code(value)


def _rooms(lines: Catalogue, count: int, room_name: str | None) -> str:
    if room_name is None:
        return lines.count(count, "room")
    return f"{count} {room_name if count == 1 else room_name + 's'}"


def availability(lines: Catalogue, data: dict[str, Any]) -> str:
    available = int(data.get("available", 0))
    room_name = str(data["room_name"]) if data.get("room_name") else None
    span = ""
    if data.get("check_in") and data.get("check_out"):
        span = lines.say("booking.span", check_in=lines.date(data["check_in"]),
                         check_out=lines.date(data["check_out"]))  # fmt: skip
    if available <= 0:
        room = room_name + "s" if room_name else lines.word("room")[1]
        return lines.say("booking.not_available", room=room, span=span)
    return lines.say("booking.available", count=_rooms(lines, available, room_name), span=span)


def reservation(lines: Catalogue, data: dict[str, Any]) -> str:
    nights = data.get("nights") or 0
    return lines.say(
        "booking.confirmed", name=data.get("guest_name", ""), room=data.get("room_name", ""),
        check_in=lines.date(data.get("check_in", "")), check_out=lines.date(data.get("check_out", "")),
        nights=lines.count(int(nights), "night"), total=lines.price(data.get("total", 0), data.get("currency", "USD")),
        code=lines.code(data.get("code", "")),
    )  # fmt: skip


def _items(data: Any) -> Any:
    return data.get("items", []) if isinstance(data, dict) else data


def _field(name: str) -> Callable[[Any], Any]:
    return lambda d: d.get(name) if isinstance(d, dict) else d


FORMATTERS: dict[str, Callable[[Catalogue, Any], str]] = {
    "availability": availability,
    "reservation": reservation,
    "confirmation": reservation,
    "price": lambda lines, d: lines.price(d),
    "time": lambda lines, d: lines.time(_field("time")(d)),
    "date": lambda lines, d: lines.date(_field("date")(d), with_weekday=True),
    "phone": lambda lines, d: lines.phone(_field("phone")(d)),
    "code": lambda lines, d: lines.code(_field("code")(d)),
    "list": lambda lines, d: lines.listing(_items(d)),
}


def format_for_voice(data: Any, kind: str, lines: Catalogue | None = None) -> str:
    """Say ``data`` as the ``kind`` of thing it is (availability, reservation, price, time,
    date, phone, code, list)."""
    formatter = FORMATTERS.get(kind)
    if formatter is None:
        raise ToolError(
            "unknown-kind",
            f"format_for_voice has no kind {kind!r}; use one of {', '.join(FORMATTERS)}",
        )
    try:
        return formatter(lines or english(), data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ToolError("bad-argument", f"cannot say {data!r} as {kind}: {err}") from err
