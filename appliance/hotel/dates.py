"""Dates as guests say them and as the speech-to-text writes them."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    name: index
    for index, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"


def _day_number(text: str) -> int | None:
    """'15', '15th', 'fifteenth', 'twenty first', 'twenty-first'."""
    text = text.strip().lower().replace("-", " ")
    if m := re.fullmatch(_DAY, text):
        return int(m.group(1))
    if text in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[text]
    parts = text.split()
    if len(parts) == 2 and parts[0] in ("twenty", "thirty") and parts[1] in _ORDINAL_WORDS:
        return {"twenty": 20, "thirty": 30}[parts[0]] + _ORDINAL_WORDS[parts[1]]
    return None


def _future(month: int, day: int, year: int | None, today: date) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


_DAY_WORDS = r"(?:\d{1,2}(?:st|nd|rd|th)?|(?:twenty|thirty)[\s-](?:\w+)|\w+(?:st|nd|rd|th))"


def parse_date(text: str, today: date) -> date | None:
    """A date from ISO ('2027-01-15'), 'January 15th', '15th of January', 'Jan 15 2027',
    'today', 'tonight', 'tomorrow', 'friday', 'next friday'. None if it is not a date."""
    spoken = text.strip().lower().rstrip(".,!?")
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", spoken):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if spoken in ("today", "tonight", "this evening"):
        return today
    if spoken == "tomorrow":
        return today + timedelta(days=1)
    if spoken in ("day after tomorrow", "the day after tomorrow"):
        return today + timedelta(days=2)
    if m := re.fullmatch(r"(?:this |next |on )?(" + "|".join(WEEKDAYS) + r")", spoken):
        # "friday" and "next friday" both mean the coming one, as most callers use them.
        ahead = (WEEKDAYS.index(m.group(1)) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    spoken = re.sub(r"^(?:on |the )+", "", spoken)
    year_part = r"(?:,?\s+(\d{4}))?"
    if m := re.fullmatch(rf"({_MONTH})\.?\s+(?:the\s+)?({_DAY_WORDS}){year_part}", spoken):
        day = _day_number(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
        return _future(MONTHS[m.group(1)], day, year, today) if day else None
    if m := re.fullmatch(rf"({_DAY_WORDS})\s+(?:of\s+)?({_MONTH}){year_part}", spoken):
        day = _day_number(m.group(1))
        year = int(m.group(3)) if m.group(3) else None
        return _future(MONTHS[m.group(2)], day, year, today) if day else None
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", spoken):  # US month/day
        year = int(m.group(3)) if m.group(3) else None
        if year is not None and year < 100:
            year += 2000
        return _future(int(m.group(1)), int(m.group(2)), year, today)
    return None


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def spoken_date(value: date, with_weekday: bool = False) -> str:
    """'January 15th' (or 'Friday, January 15th')."""
    text = f"{value.strftime('%B')} {ordinal(value.day)}"
    return f"{value.strftime('%A')}, {text}" if with_weekday else text
