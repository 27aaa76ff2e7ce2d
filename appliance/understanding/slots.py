"""Booking details out of what the speech-to-text wrote: dates, nights, guests, the room,
and (from ``identifiers``) names, phone numbers and confirmation codes.

Number words go through text2num, phone numbers through phonenumbers, and free-form dates
that the spoken forms below do not cover through dateparser. What no library knows is here:
whisper's usual slips ("tonight's" for "two nights", "Kek out"), codes read out a character
or a group at a time, and "the number I'm calling from".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from text_to_num import alpha2digit

from appliance.hotel.dates import MONTHS, WEEKDAYS, parse_date
from appliance.hotel.model import Hotel
from appliance.understanding.commands import Expecting, SetSlots
from appliance.understanding.identifiers import CALLER_NUMBER, find_name, find_phone


def normalize(text: str) -> str:
    """Lower case, plain apostrophes, no punctuation but what dates and codes need, and
    whisper's slips repaired."""
    # Fillers as whisper writes them ("um", "Uh,"); in capitals they are letters being read
    # out ("5Y UM 9V"), and stay.
    text = re.sub(r"\b([Uu]m+|[Uu]h+|[Ee]rm|[Ee]r|[Uu]hm|[Hh]mm)\b", " ", text)
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"[^a-z0-9'\-/ ]+", " ", text)
    text = re.sub(r"\b(kek|cheque|chek|czech) out\b|\bcheck-out\b|\bcheckout\b", "check out", text)
    text = re.sub(r"\b(cheque|chek|czech) in\b|\bcheck-in\b|\bcheckin\b", "check in", text)
    text = re.sub(r"\btelly\b", "tv", text)
    text = re.sub(r"\bfortnight\b", "2 weeks", text)
    text = re.sub(r"\bwi-? ?fi\b|\bwifi\b|\bwhy fi\b", "wifi", text)
    return re.sub(r"\s+", " ", text).strip()


#: Words the speech-to-text writes for a number it misheard ("Two adults." as "Do adults.").
SOUNDS_LIKE = {"do": "2", "to": "2", "too": "2", "tu": "2", "for": "4", "fore": "4",
               "won": "1", "ate": "8", "tree": "3", "free": "3"}  # fmt: skip
_SOUND = "|".join(SOUNDS_LIKE)
#: What a count of guests or nights is a count of.
_COUNTED = r"(?:adults?|grown ?ups?|people|persons?|guests?|of us|kids|children|nights?|night's|knights?)"
_POLITE = r"(?:just |only |um |uh |er |it'?s |make it |maybe )*"


def numbers_in_context(text: str, expecting: Expecting | None) -> str:
    """The numbers a caller said where the speech-to-text wrote a word that sounds like one:
    before what is counted ("do adults" is 2 adults, "for nights" 4 nights), and, when the
    agent just asked for a number of guests or nights, alone ("for." is 4; "tonight" is two
    nights). The one place these repairs are made. ``text`` is normalized."""
    text = re.sub(rf"\b({_SOUND}) (?={_COUNTED}\b)", lambda m: f"{SOUNDS_LIKE[m.group(1)]} ", text)
    if expecting in ("guests", "nights"):
        bare = re.fullmatch(rf"{_POLITE}({_SOUND})(?: please| thanks| thank you)?", text)
        if bare:
            return SOUNDS_LIKE[bare.group(1)]
    if expecting == "nights" and re.fullmatch(
        rf"{_POLITE}(?:to|too|two|good)? ?nights?'?s?(?: please)?|{_POLITE}tonight'?s?", text
    ):
        return "2 nights"  # "tonight", "to nights", "goodnight": how "two nights" comes out
    return text


_SHORT_DAYS = {"mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
               "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday",
               "sat": "saturday", "sun": "sunday"}  # fmt: skip


def digits_for_words(text: str) -> str:
    """Number words as digits ("three nights" -> "3 nights", "fifteenth" -> "15th"), and
    short weekday names in full."""
    text = re.sub(r"\b(a couple of|a couple|couple of)\b", "2", text)
    text = re.sub(
        r"\b(mon|tues?|wed|thur?s?|fri|sat|sun)\b(?= (?:to|till|until|through|-|and|night|for)\b| *$)",
        lambda m: _SHORT_DAYS[m.group(1)], text,
    )
    text = re.sub(
        r"\b(to|till|until|through|from|and) (mon|tues?|wed|thur?s?|fri|sat|sun)\b",
        lambda m: f"{m.group(1)} {_SHORT_DAYS[m.group(2)]}", text,
    )
    converted = alpha2digit(text, "en", threshold=0)
    return re.sub(r"\s+", " ", converted)


_NUM = r"(\d{1,2}|a|an|one|single)"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?:\d{1,2}(?:st|nd|rd|th)?)"
_DATE_PATTERNS = [
    rf"(?:{_MONTH})\.?\s+(?:the\s+)?{_DAY}\b(?:,?\s+\d{{4}})?",
    rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?:{_MONTH})\b(?:,?\s+\d{{4}})?",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
    r"\b(?:the day after tomorrow|tomorrow|today|tonight|this evening)\b(?!')",
    rf"\b(?:{'|'.join(WEEKDAYS)}) the \d{{1,2}}(?:st|nd|rd|th)\b(?: of (?:{_MONTH}))?",
    rf"\b(?:this coming |this |next |on |coming )?(?:{'|'.join(WEEKDAYS)})\b",
    r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b(?! (?:floor|time|row|person|one|of us))",
    r"\bin (?:\d{1,2}|a) (?:weeks?|days?)\b",
]
_DATE_RE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS))
_WEEKEND = re.compile(r"\b(this|next|the|for the|over the) weekend\b")


def _weekday(name: str, today: date, next_week: bool) -> date:
    ahead = (WEEKDAYS.index(name) - today.weekday()) % 7 or 7
    coming = today + timedelta(days=ahead)
    # "next friday" on a Wednesday is the Friday of next week; "next monday" is the coming one.
    same_week = coming.isocalendar()[:2] == today.isocalendar()[:2]
    return coming + timedelta(days=7) if next_week and same_week else coming


def _parse_span(
    span: str, today: date, previous: date | None, month: str | None = None
) -> date | None:
    span = span.strip()
    if m := re.fullmatch(rf"(?:{'|'.join(WEEKDAYS)}) (the \d{{1,2}}(?:st|nd|rd|th))(?: of ({_MONTH}))?", span):
        # "monday the 7th": the date is the day of the month; the weekday only confirms it.
        return _parse_span(m.group(1), today, previous, m.group(2) or month)
    if m := re.fullmatch(rf"(this coming |this |next |on |coming )?({'|'.join(WEEKDAYS)})", span):
        return _weekday(m.group(2), today, (m.group(1) or "").strip() == "next")
    if m := re.fullmatch(r"the\s+(\d{1,2})(?:st|nd|rd|th)", span):
        if month is not None:
            return parse_date(f"{month} {m.group(1)}", today)
        return _day_of_month(m.group(1), today, previous)
    parsed = parse_date(span, today)
    if parsed is None:
        parsed = _dateparser(span, today)
    return parsed


@lru_cache(maxsize=1)
def _dateparser_module() -> Any:
    import dateparser  # a fifth of a second to import: only when a span needs it

    return dateparser


def _dateparser(span: str, today: date) -> date | None:
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
    }
    found = _dateparser_module().parse(span, languages=["en"], settings=settings)
    return found.date() if found is not None else None


def _day_of_month(day_text: str, today: date, after: date | None) -> date | None:
    """'the 15th' with no month: the next 15th (after the arrival, for a departure)."""
    day = int(re.sub(r"\D", "", day_text) or 0)
    start = after or today
    for months_ahead in range(0, 13):
        month = (start.month - 1 + months_ahead) % 12 + 1
        year = start.year + (start.month - 1 + months_ahead) // 12
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate > start or (after is None and candidate >= start):
            return candidate
    return None


_HOLIDAYS = {"new year's eve": (12, 31), "new years eve": (12, 31), "christmas eve": (12, 24),
             "christmas day": (12, 25), "christmas": (12, 25), "new year's day": (1, 1),
             "valentine's day": (2, 14), "halloween": (10, 31), "fourth of july": (7, 4),
             "independence day": (7, 4)}  # fmt: skip
_HOLIDAY_RE = re.compile(r"\b(" + "|".join(re.escape(h) for h in _HOLIDAYS) + r")\b")
_MONTH_WORD = re.compile(rf"\b({_MONTH})\b(?! \d)")


def find_dates(text: str, today: date) -> list[date]:
    """Dates in order of mention; ``text`` with digits for number words."""
    found: list[date] = []
    # "as in november" spells a letter of a code, not a date.
    text = re.sub(r"\bas in \w+", " ", text)
    holidays = list(_HOLIDAY_RE.finditer(text))
    if holidays:
        arriving = [h for h in holidays if re.search(r"(arriv\w*|from|on|for|coming) $", text[: h.start()])]
        holiday = (arriving or holidays)[0]
        h_month, h_day = _HOLIDAYS[holiday.group(1)]
        candidate = date(today.year, h_month, h_day)
        found.append(candidate if candidate >= today else date(today.year + 1, h_month, h_day))
    # "in july, like the 10th": a month said on its own gives a bare day its month.
    lone_month = _MONTH_WORD.search(text)
    month = lone_month.group(1) if lone_month and len(lone_month.group(1)) > 3 else None
    for match in _DATE_RE.finditer(text):
        parsed = _parse_span(match.group(0), today, found[-1] if found else None, month)
        if parsed is not None and parsed not in found:
            found.append(parsed)
    return found


def find_weekend(text: str, today: date) -> date | None:
    """'this weekend': the coming Saturday (two nights)."""
    if m := _WEEKEND.search(text):
        saturday = _weekday("saturday", today, m.group(1) == "next")
        return saturday
    return None


_WEEKDAY_NIGHTS = re.compile(r"\b(\w+day) and (\w+day) nights?\b")


def find_nights(text: str) -> int | None:
    # whisper writes "two nights" as "tonight's" or "to nights" now and then.
    if re.search(r"\b(tonight's|tonights|to nights|too nights)\b", text):
        return 2
    if m := re.search(
        r"\b(\d{1,2})\s+(?:more\s+|extra\s+)?(?:nights?|night's|knights?|nites?|evenings)\b", text
    ):
        return _number(m.group(1))
    # "a night" is a stay only after "for"/"just": "199 dollars a night" is a price.
    if re.search(r"\b(?:for|just|only|stay|staying) (?:a|an|one|the one|a single) (?:more )?night\b", text):
        return 1
    if m := _WEEKDAY_NIGHTS.search(text):
        first, second = m.group(1), m.group(2)
        if first in WEEKDAYS and second in WEEKDAYS:
            return (WEEKDAYS.index(second) - WEEKDAYS.index(first)) % 7 + 1
    weeks = re.search(r"\b(\d|a|one)\s+weeks?\b", text)
    if weeks and not re.search(r"\bin (a|\d) weeks?\b", text):
        return 7 * (_number(weeks.group(1)) or 1)
    days = re.search(r"\b(\d{1,2})\s+days\b", text)
    if days and not re.search(r"\bin \d{1,2} days\b", text):
        return _number(days.group(1))
    if _WEEKEND.search(text):
        return 2
    if re.search(r"\bovernight\b|\bjust (?:for )?tonight\b", text):
        return 1
    return None


def _number(word: str) -> int | None:
    word = word.strip()
    if word.isdigit():
        return int(word)
    return {"a": 1, "an": 1, "one": 1, "single": 1}.get(word)


_PARTNER = r"(wife|husband|partner|friend|girlfriend|boyfriend|colleague|son|daughter|mom|mum|dad|mother|father|fiance|fiancee|sister|brother)"


def find_guests(text: str) -> int | None:
    if m := re.search(
        r"\b(\d{1,2}|a|one)\s+(?:adults?|grown ups?|grownups?)\b(?:\s+and\s+(\d{1,2}|a|one|an)\s+(?:kids?|children|child|baby|babies|toddlers?|teenagers?|teens?|infants?))?",
        text,
    ):
        return (_number(m.group(1)) or 0) + (_number(m.group(2)) or 0 if m.group(2) else 0)
    if m := re.search(
        rf"\b(?:me|i|myself),? (?:and )?my {_PARTNER},? and (?:i |me )?(?:and )?(?:our|my) (\d{{1,2}}|a|one) (?:kids?|children|child|boys|girls|sons|daughters)\b",
        text,
    ):
        return 2 + (_number(m.group(2)) or 0)
    if m := re.search(
        rf"\bmy {_PARTNER} and (?:i|me) and (?:our|my) (\d{{1,2}}|a|one) (?:kids?|children|child|boys|girls)\b",
        text,
    ):
        return 2 + (_number(m.group(2)) or 0)
    if m := re.search(
        r"\b(\d{1,2}|one|a)\s+(?:people|persons?|guests?|of us|adults|travell?ers|pax|guys|ppl)\b",
        text,
    ):
        return _number(m.group(1))
    if m := re.search(r"\b(?:family|party|group) of (\d{1,2})\b", text):
        return _number(m.group(1))
    # "a king room for two from the 9th", "a table for 4": a count with no unit after it.
    if m := re.search(
        r"\b(?:room|suite|king|queen|double|something|one|reservation|booking) for (\d{1,2})\b(?! (?:nights?|days?|weeks?|am|pm|a m|p m|o'?clock|th|st|nd|rd))",
        text,
    ):
        return _number(m.group(1))
    if m := re.search(rf"\bme(?:,)? my {_PARTNER} and (?:our|my) (\d{{1,2}}) (?:kids|children)\b", text):
        return 2 + (_number(m.group(2)) or 0)
    if re.search(r"\bfor my (?:parents|grandparents|in-laws|in laws)\b", text):
        return 2
    if m := re.search(r"\b(?:me|myself) and (?:my|our) (\d{1,2}) (?:colleagues|friends|kids|children|sons|daughters|coworkers|co-workers|mates)\b", text):
        return 1 + (_number(m.group(1)) or 0)
    if re.search(
        rf"\bme and (?:a|my|me) {_PARTNER}\b|\bmy {_PARTNER} and (?:i|me|myself)\b|\b(?:a|the|just) couple\b|\bthe two of us\b|\bboth of us\b|\bus two\b",
        text,
    ):
        return 2
    if re.search(r"\b(just me|only me|myself|by myself|alone|just one|on my own|single person|solo)\b", text):
        return 1
    return None


def find_room_type(text: str, hotel: Hotel, expecting: bool = False) -> str | None:
    """A room type by the words of its name that were heard ("king", "family suite")."""
    for room in hotel.room_types:
        rate = str(int(room.nightly_rate))
        if re.search(rf"\b{rate}\b(?: dollars?| bucks| euros?| pounds?)?(?: a night)? (?:one|room)\b", text):
            return room.id  # "the 149 one"
    best, best_hits = None, 0
    names = [[w for w in r.name.lower().split() if w not in ("room", "a", "the")] for r in hotel.room_types]
    for room, words in zip(hotel.room_types, names, strict=True):
        if not words:
            continue
        # The head noun ("suite", "king") names the room; "family" or "standard" alone do not,
        # unless it is "the standard one", or the answer to "which room?".
        head = re.search(rf"\b{re.escape(words[-1])}s?\b", text)
        unique = [w for w in words[:-1] if sum(w in n for n in names) == 1]
        modifier = any(
            re.search(rf"\b{re.escape(w)}\b" + ("" if expecting else r" (?:room|one)\b"), text)
            for w in unique
        )
        if not head and not modifier:
            continue
        hits = sum(bool(re.search(rf"\b{re.escape(w)}s?\b", text)) for w in words)
        if hits > best_hits:
            best, best_hits = room.id, hits
    return best


def callback_time(text: str) -> str | None:
    """When to call back, as said: 'tomorrow morning', 'after 5 pm', 'in an hour'."""
    text = digits_for_words(text)
    m = re.search(
        r"\b((?:tomorrow|today|tonight|this (?:morning|afternoon|evening)|later today|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
        r"(?: (?:morning|afternoon|evening))?(?: (?:at|around|after|before) [\w: ]+?(?: ?[ap]\.?m\.?)?)?|"
        r"(?:at|around|after|before|about) \d{1,2}(?::\d{2})?(?: ?[ap]\.?m\.?| o'?clock)?|in (?:an|one|two|half an|\d+) hours?|"
        r"(?:after|before|around|about) (?:lunch|breakfast|dinner|noon|midday|work)(?:,? (?:about|around|at) \d{1,2}(?: ?[ap]m)?)?|"
        r"in \d+ minutes|as soon as possible|asap|any ?time|right away|later)\b",
        text,
    )
    return m.group(1) if m else None


_NUMBER_ONLY = re.compile(r"(?:just |only |maybe |it'?s |make it )?(\d{1,2}|a|an|one)(?: please| thanks)?")


def extract_slots(
    said: str, hotel: Hotel, today: date, expecting: Expecting | None = None
) -> SetSlots:
    """Every booking detail in ``said``; a bare answer ("three", "Ana Silva", "the 20th")
    lands in the slot that was just asked for."""
    text = numbers_in_context(normalize(said), expecting)
    numeric = digits_for_words(text)
    dates = find_dates(numeric, today)
    nights = find_nights(numeric)
    weekend = find_weekend(numeric, today)
    if weekend is not None and not dates:
        dates = [weekend]
    guests = find_guests(numeric)
    if expecting in ("nights", "guests") and (m := _NUMBER_ONLY.fullmatch(numeric)):
        number = _number(m.group(1))
        if expecting == "nights" and nights is None:
            nights = number
        elif expecting == "guests" and guests is None:
            guests = number
    if expecting == "nights" and nights is None and re.search(r"\bjust the one\b|\bone\b", text):
        nights = 1
    check_in = dates[0] if dates else None
    check_out = dates[1] if len(dates) > 1 and dates[1] > dates[0] else None
    if check_out is not None and _WEEKDAY_NIGHTS.search(numeric):
        check_out = None  # "friday and saturday night" are two nights, not a departure
    leaving = re.search(
        r"\b(?:leave|leaving|depart|departing|check(?:ing)? out|heading home|go home|going home)\b(?: on)?\s+(?:the\s+)?(?:this |next )?\w+",
        numeric,
    )
    if len(dates) == 1 and leaving and expecting in ("nights", "check_out"):
        check_in, check_out = None, dates[0]
    name = None
    asking = "?" in said or bool(re.match(r"(hang on|wait|sorry|hold on|um)?\s*(is|are|do|does|can|could|what|when|where|how)\b", text))
    if asking and expecting == "name" and not re.search(r"\bname\b", text):
        pass  # "hang on, is parking extra?" is no name
    elif expecting == "name" or re.search(
        r"\b(my name|name is|name's|under|this is|name|down as)\b", text
    ):
        name = find_name(text, expecting == "name")
    phone = find_phone(text)
    return SetSlots(
        check_in=check_in,
        check_out=check_out,
        nights=nights if check_out is None else None,
        guests=guests,
        room_type=find_room_type(text, hotel, expecting == "room_type"),
        name=name,
        phone=phone,
        use_caller_number=bool(CALLER_NUMBER.search(text))
        and (expecting == "phone" or bool(re.search(r"\b(number|phone)\b", text))),
    )
