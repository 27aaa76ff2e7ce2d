"""Booking details out of what the speech-to-text wrote: dates, nights, guests, the room,
names, phone numbers and confirmation codes.

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

import phonenumbers
from text_to_num import alpha2digit

from appliance.hotel.dates import MONTHS, WEEKDAYS, parse_date
from appliance.hotel.model import Hotel
from appliance.understanding.commands import Expecting, SetSlots


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


_PHONE_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
                "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip


def find_phone(text: str, region: str = "US") -> str | None:
    """A phone number spoken digit by digit or written, as E.164."""
    digits = ""
    repeat = 1
    for token in re.findall(r"\+?\d+|[a-z]+", text):
        bare = token.lstrip("+")
        if bare.isdigit():
            digits += bare * repeat if len(bare) == 1 else bare
            repeat = 1
        elif token in _PHONE_WORDS:
            digits += _PHONE_WORDS[token] * repeat
            repeat = 1
        elif token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
        elif len(digits) >= 10:
            break
        elif token in ("plus", "dash", "area", "code", "and"):
            continue
        else:
            digits, repeat = "", 1
    if not 10 <= len(digits) <= 15:
        return None
    try:
        number = phonenumbers.parse("+" + digits if len(digits) > 10 else digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


CALLER_NUMBER = re.compile(
    r"\b(this number|this phone|the number i'?m calling (from|on)|the one i'?m calling (from|on)|same number|"
    r"number i'?m (calling|on)|my cell|calling from|ringing from|the number you have|the number that shows|this one|"
    r"the one i'?m on|the one i am on|this mobile|the mobile i'?m)\b"
)

_CODE_ALPHABET = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
_CODE_LOOKALIKES = {"thanks", "answer", "causes", "search", "gather", "bunch", "cheers",
                    "change", "wanted", "master", "please", "number", "cancel", "letter"}  # fmt: skip
_LETTER_WORDS = {
    "ay": "A", "bee": "B", "be": "B", "see": "C", "sea": "C", "cee": "C", "dee": "D", "ee": "E",
    "eff": "F", "gee": "G", "aitch": "H", "jay": "J", "kay": "K", "el": "L", "em": "M", "en": "N",
    "pee": "P", "queue": "Q", "cue": "Q", "are": "R", "ar": "R", "ess": "S", "tee": "T", "tea": "T",
    "you": "U", "vee": "V", "ex": "X", "why": "Y", "zed": "Z", "zee": "Z",
}  # fmt: skip
_NATO = {
    "alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E",
    "foxtrot": "F", "golf": "G", "hotel": "H", "india": "I", "juliet": "J", "juliett": "J",
    "kilo": "K", "lima": "L", "mike": "M", "november": "N", "oscar": "O", "papa": "P",
    "quebec": "Q", "romeo": "R", "sierra": "S", "tango": "T", "uniform": "U", "victor": "V",
    "whiskey": "W", "whisky": "W", "xray": "X", "x-ray": "X", "yankee": "Y", "zulu": "Z",
}  # fmt: skip
_CODE_DIGITS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                "eight": "8", "nine": "9"}  # fmt: skip
_CODE_TRIGGERS = {"reservation", "code", "number", "is", "booking", "confirmation", "it's", "its"}
#: What may come before a code said on its own: "yes, the code is ...".
_CODE_LEAD_IN = _CODE_TRIGGERS | {"yes", "yeah", "sure", "ok", "okay", "so", "right", "it", "the", "my"}
_CODE_FILLER = {"as", "in", "for", "like", "is", "it's", "its", "and", "then", "dash", "space",
                "the", "code", "my", "confirmation", "number", "capital", "letter", "um", "uh"}  # fmt: skip


def find_code(text: str, expecting: bool = False) -> str | None:
    """A six-character confirmation code, written whole ('K7M2QX'), read out one character at
    a time ('k 7 m 2 q x', 'kay seven em two queue ex', 'b as in bravo'), or in groups
    ('F8 8, V N 6')."""
    for token in re.findall(r"\b[a-z0-9]{6}\b", text):
        if re.search(r"\d", token) and re.search(r"[a-z]", token):
            return token.upper()
        if (
            expecting and set(token.upper()) <= _CODE_ALPHABET
            and token not in _CODE_LOOKALIKES and token not in _NATO
        ):
            return token.upper()
    if grouped := _grouped_code(text, expecting):
        return grouped
    if not expecting and not re.search(r"\b(code|reservation|booking|confirmation|number)\b", text):
        return None
    chars: list[str] = []
    tokens = re.findall(r"[a-z0-9'-]+", text)
    index = 0
    repeat = 1
    while index < len(tokens):
        token = tokens[index]
        index += 1
        started = len(chars)
        if token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
            continue
        after_trigger = index >= 2 and tokens[index - 2] in _CODE_TRIGGERS
        # "b as in bravo": the letter is said twice; keep one.
        if token in _NATO and index >= 3 and tokens[index - 2] == "in" and tokens[index - 3] == "as":
            continue
        if token in _NATO and chars and tokens[index - 2:index - 1] == ["for"]:
            continue
        if len(token) == 1:
            chars.append(token.upper())
        elif token in _CODE_DIGITS and (expecting or chars or index > 1):
            chars.append(_CODE_DIGITS[token])
        elif token in _LETTER_WORDS and (chars or expecting or after_trigger):
            chars.append(_LETTER_WORDS[token])
        elif token in _NATO:
            chars.append(_NATO[token])
        elif token in _CODE_FILLER:
            continue
        elif re.fullmatch(r"[a-z0-9]{2,3}", token) and (
            re.search(r"\d", token) or (expecting and set(token.upper()) <= _CODE_ALPHABET)
        ):
            chars.extend(token.upper())  # a group: "f8", "8vn", "tzg"
        elif token.isdigit() and len(token) <= 6:
            chars.extend(token)
        elif len(chars) >= 6:
            break
        else:
            chars = []
        if repeat > 1 and len(chars) == started + 1:
            chars.extend(chars[-1] * (repeat - 1))
        repeat = 1
    if len(chars) > 6:
        # "j... j 6 w 8 p e": a stutter says a letter twice.
        for i in range(len(chars) - 1):
            if chars[i] == chars[i + 1] and chars[i].isalpha():
                del chars[i]
                break
    if len(chars) >= 6:
        return "".join(chars[:6])
    return None


def _grouped_code(text: str, expecting: bool) -> str | None:
    """A code read in groups of two or three ('5y um 9v', 'k2m y4t'): a run of short tokens
    of the code's characters, six in all, read as groups first, so a pair that is also a
    filler or a spoken letter ('um', 'em', 'be') keeps both its characters. Without a digit
    among them it must be groups of one size, asked for, and all that was said after 'the
    code is' ('call me at my room' is no code)."""
    tokens = re.findall(r"[a-z0-9'-]+", text)
    start = 0
    for end, token in enumerate([*tokens, "."]):
        if 2 <= len(token) <= 3 and set(token.upper()) <= _CODE_ALPHABET:
            continue
        run = tokens[start:end]
        joined = "".join(run).upper()
        if len(run) >= 2 and len(joined) == 6:
            if re.search(r"\d", joined):
                return joined
            only_code = end == len(tokens) and set(tokens[:start]) <= _CODE_LEAD_IN
            if expecting and only_code and len({len(t) for t in run}) == 1:
                return joined
        start = end + 1
    return None


_NAME_PATTERNS = [
    r"\b(?:my |her |his |the )?name is ([a-z][a-z' -]+)",
    r"\bname,? ([a-z][a-z' -]+)$",
    r"\bname\b.*\bchange it to ([a-z][a-z' -]+)",
    r"\bname'?s ([a-z][a-z' -]+)",
    r"\bunder (?:the name )?(?:of )?([a-z][a-z' -]+)",
    r"\bthis is ([a-z][a-z' -]+)",
    r"\bit'?s ([a-z][a-z' -]+)",
    r"\bi'?m ([a-z][a-z' -]+)",
    r"\bcall me ([a-z][a-z' -]+)",
    r"\b(?:it'?s |put it |book it )?under ([a-z][a-z' -]+)",
    r"\b(?:put it|put me|put us|book it|write it) down (?:as|under) ([a-z][a-z' -]+)",
    r"\bput it (?:under|in the name of) ([a-z][a-z' -]+)",
]
_NOT_NAMES = {"looking", "calling", "interested", "trying", "wondering", "just", "not", "sure",
              "here", "fine", "good", "great", "okay", "ok", "going", "staying", "arriving",
              "checking", "a", "the", "for", "in", "me", "my", "us", "our", "sorry", "afraid",
              "from", "on", "booking", "hoping", "after", "about", "planning", "still", "yes",
              "yeah", "yep", "no", "nope", "that", "this", "it", "works", "right", "correct",
              "please", "thanks", "thank", "what", "how", "sounds", "perfect", "actually", "can",
              "could", "wait", "hold", "hello", "hi", "hey", "is", "are", "do", "does",
              "wrong", "hang", "all", "set", "done"}  # fmt: skip
_NAME_STOP = re.compile(
    r"\b(and|for|from|with|please|thanks|thank|i|my|phone|number|at|on|to|spelled|that's|thats|"
    r"is|it's|its|we|room|booking|reservation)\b.*$"
)


def find_name(text: str, expecting: bool = False) -> str | None:
    candidates = [m.group(1) for p in _NAME_PATTERNS if (m := re.search(p, text))]
    if expecting and not candidates:
        candidates = [
            re.sub(r"^((it is|it's|yes|yeah|sure|ok|okay|so|well|the name|name)\s+)+", "", text)
        ]
    for candidate in candidates:
        words = _NAME_STOP.sub("", candidate).strip(" -'").split()
        while len(words) > 2 and len(words[-1]) == 1:
            words.pop()  # "david chen c h e n": the letters spell it
        words = words[:4]
        if any(w in _NOT_NAMES for w in words[1:]):
            continue
        if words and words[0] not in _NOT_NAMES and not any(ch.isdigit() for ch in "".join(words)):
            return " ".join(w.capitalize() for w in words)
    return None


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
    text = normalize(said)
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
