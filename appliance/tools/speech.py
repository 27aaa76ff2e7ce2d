"""format_for_voice: data as a receptionist would say it. Plain sentences, no markup."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.errors import ToolError
from appliance.hotel.dates import spoken_date

_CURRENCY_WORDS = {"USD": ("dollar", "dollars", "cent", "cents"), "EUR": ("euro", "euros", "cent", "cents"),
                   "GBP": ("pound", "pounds", "penny", "pence"), "CAD": ("dollar", "dollars", "cent", "cents")}  # fmt: skip


def say_list(items: Sequence[Any], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = [str(i) for i in items if str(i).strip()]
    if not words:
        return "nothing"
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def say_date(value: Any, with_weekday: bool = False) -> str:
    """ISO dates and datetimes become 'January 15th'; already spoken dates pass through."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return spoken_date(value, with_weekday)
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return spoken_date(date.fromisoformat(text), with_weekday)
        except ValueError:
            pass
    return text


def say_time(value: Any) -> str:
    """'07:00' -> '7 AM', '14:30' -> '2:30 PM', '12:00' -> 'noon', '00:00' -> 'midnight'."""
    text = str(value).strip()
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", text)
    if not m:
        return text
    hour, minute = int(m.group(1)), int(m.group(2))
    if (hour, minute) == (12, 0):
        return "noon"
    if (hour, minute) in ((0, 0), (24, 0)):
        return "midnight"
    suffix = "AM" if hour < 12 else "PM"
    hour12 = hour % 12 or 12
    return f"{hour12} {suffix}" if minute == 0 else f"{hour12}:{minute:02d} {suffix}"


def say_price(value: Any, currency: str = "USD") -> str:
    """199 -> '199 dollars', 199.5 -> '199 dollars and 50 cents', 1 -> '1 dollar'."""
    if isinstance(value, dict):
        currency = str(value.get("currency", currency))
        value = value.get("amount", value.get("price"))
    try:
        amount = Decimal(str(value).replace(",", "").lstrip("$€£")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ToolError("bad-argument", f"{value!r} is not a price") from None
    one, many, cent, cents = _CURRENCY_WORDS.get(
        currency.upper(), (currency, currency, "cent", "cents")
    )
    whole, fraction = int(amount), int((amount - int(amount)) * 100)
    text = f"{whole:,} {one if whole == 1 else many}".replace(",", "")
    if fraction:
        text += f" and {fraction} {cent if fraction == 1 else cents}"
    return text


def say_phone(value: Any) -> str:
    """Digit by digit, grouped as people read them: '+15551234567' -> '5 5 5, 1 2 3, 4 5 6 7'."""
    digits = re.sub(r"\D", "", str(value))
    if not digits:
        raise ToolError("bad-argument", f"{value!r} has no digits to read")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    groups = [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else _chunks(digits, 3)
    return ", ".join(" ".join(group) for group in groups if group)


def say_code(value: Any) -> str:
    """Confirmation codes one character at a time: 'K7M2QX' -> 'K, 7, M, 2, Q, X'."""
    return ", ".join(ch for ch in str(value).upper() if ch.isalnum())


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _availability(data: dict[str, Any]) -> str:
    available = int(data.get("available", 0))
    room = str(data.get("room_name") or "room")
    span = ""
    if data.get("check_in") and data.get("check_out"):
        span = f" from {say_date(data['check_in'])} to {say_date(data['check_out'])}"
    if available <= 0:
        return f"I'm sorry, we have no {room}s available{span}."
    return (
        f"Excellent! We have {available} {room if available == 1 else room + 's'} available{span}."
    )


def _reservation(data: dict[str, Any]) -> str:
    parts = ["Your reservation is confirmed."]
    if data.get("guest_name"):
        parts[0] = f"Thank you, {data['guest_name']}. Your reservation is confirmed."
    if data.get("room_name") and data.get("check_in"):
        nights = data.get("nights")
        stay = f" for {nights} night{'s' if nights != 1 else ''}" if nights else ""
        parts.append(
            f"A {data['room_name']} from {say_date(data['check_in'])} to {say_date(data['check_out'])}{stay}."
        )
    if data.get("total") is not None:
        parts.append(f"The total is {say_price(data['total'], data.get('currency', 'USD'))}.")
    if data.get("code"):
        parts.append(f"Your confirmation code is {say_code(data['code'])}.")
    return " ".join(parts)


def _price(data: Any) -> str:
    return say_price(data)


def _list(data: Any) -> str:
    items = data.get("items", []) if isinstance(data, dict) else data
    return say_list(items)


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "availability": _availability,
    "reservation": _reservation,
    "confirmation": _reservation,
    "price": _price,
    "time": lambda d: say_time(d.get("time") if isinstance(d, dict) else d),
    "date": lambda d: say_date(d.get("date") if isinstance(d, dict) else d, with_weekday=True),
    "phone": lambda d: say_phone(d.get("phone") if isinstance(d, dict) else d),
    "code": lambda d: say_code(d.get("code") if isinstance(d, dict) else d),
    "list": _list,
}


def format_for_voice(data: Any, kind: str) -> str:
    """Say ``data`` as the ``kind`` of thing it is (availability, reservation, price, time,
    date, phone, code, list)."""
    formatter = FORMATTERS.get(kind)
    if formatter is None:
        raise ToolError(
            "unknown-kind",
            f"format_for_voice has no kind {kind!r}; use one of {', '.join(FORMATTERS)}",
        )
    try:
        return formatter(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ToolError("bad-argument", f"cannot say {data!r} as {kind}: {err}") from err
