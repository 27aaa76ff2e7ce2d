"""The rules understander: keyword patterns for intents, the slot extractors for details.

The appliance's first understander, kept as a baseline and for boxes that want no encoder.
It knows the words it was written for; the semantic understander generalises beyond them.
The rules expect what whisper writes:
digits or words ("two nights", "2 nights"), ordinals either way ("15th", "fifteenth"), and its
usual slips ("tonight's" for "two nights", "Kek out" for "check out").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from appliance.hotel.dates import MONTHS, WEEKDAYS, parse_date
from appliance.hotel.model import Hotel
from appliance.understanding import commands as c
from appliance.understanding.base import QUESTION, Today
from appliance.understanding.slots import callback_time
from appliance.understanding.slots import find_code as find_spoken_code

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14, "a week": 7,
}  # fmt: skip
_NUM = r"(\d{1,2}|a couple of|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen)"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL_WORD = (
    r"(?:twenty[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty[\s-]first|"
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD})"
_DATE_PATTERNS = [
    rf"(?:{_MONTH})\.?\s+(?:the\s+)?{_DAY}(?:,?\s+\d{{4}})?",
    rf"(?:the\s+)?{_DAY}\s+of\s+(?:{_MONTH})(?:,?\s+\d{{4}})?",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b(?:the day after tomorrow|tomorrow|today|tonight|this evening)\b(?!')",
    rf"\b(?:this |next |on )?(?:{'|'.join(WEEKDAYS)})\b",
    rf"\bthe\s+{_DAY}\b",
]
_DATE_RE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS))

YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|correct|right|ok|okay|please do|go ahead|absolutely|definitely|"
    r"book it|sounds good|perfect|that's right|that is right|do it|confirm|of course|please)\b"
)
NO = re.compile(r"\b(no|nope|nah|not really|don't|do not|wrong|incorrect|wait|hold on|not right)\b")
GOODBYE = re.compile(
    r"\b(bye|goodbye|good bye|that's all|that is all|that'll be all|nothing else|that's it|"
    r"have a (good|nice|great) (day|night|evening)|hang up)\b"
)
REPEAT = re.compile(
    r"\b(repeat|say (that|it) again|come again|pardon|what did you say|didn't (catch|hear|get) that|"
    r"one more time|sorry what)\b"
)
TRANSFER = re.compile(
    r"\b(speak|talk) (to|with)\b|\btransfer\b|\bconnect me\b|\bput me through\b|\b(real|actual|live) "
    r"(person|human)\b|\boperator\b|\bget me (the|a)\b|\bhuman\b"
)
CALLBACK = re.compile(r"\bcall (me )?back\b|\bcall-?back\b|\bring me back\b")
CANCEL = re.compile(r"\bcancel(?!lation)")
FIND = re.compile(
    r"\b(check|find|look up|lookup|look at|confirm|verify|about|change|modify) (on )?my (reservation|booking)\b|"
    r"\bconfirmation (code|number)\b|\b(do|did) i have a (reservation|booking)\b|\bmy (reservation|booking)\b"
)
BOOK = re.compile(
    r"\b(book|reserve|make a reservation|reservation for|new reservation|(need|want|like|get|have) a room|a room for|"
    r"stay(ing)? (for|from|with)|staying|check in on|arriving|arrive on)\b"
)
AVAILABILITY = re.compile(
    r"\b(available|availability|any rooms|have rooms|rooms free|vacanc(y|ies)|free rooms|open rooms)\b"
)
GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|how are you)\b")
THANKS = re.compile(r"\b(thank you|thanks|cheers|appreciate it)\b")
CHANGE = re.compile(r"\b(instead|actually|change|make it|rather|switch)\b")
CALLER_NUMBER = re.compile(
    r"\b(this number|this phone|the number i'?m calling from|same number|number i'?m (calling|on)|my cell|calling from)\b"
)

DEPARTMENT_WORDS = {
    "front_desk": ("front desk", "reception", "receptionist", "concierge", "operator", "someone", "a person",
                   "a human", "human", "real person", "somebody", "staff", "agent"),
    "housekeeping": ("housekeeping", "house keeping", "cleaning", "towels", "maid"),
    "management": ("manager", "management", "supervisor", "someone in charge"),
    "maintenance": ("maintenance", "engineering", "repair", "technician", "broken", "not working"),
}  # fmt: skip


@dataclass
class Understanding:
    """Everything found in one utterance."""

    text: str
    intents: set[str] = field(default_factory=set)
    dates: list[date] = field(default_factory=list)
    nights: int | None = None
    guests: int | None = None
    room_type: str | None = None
    name: str | None = None
    phone: str | None = None
    use_caller_number: bool = False
    code: str | None = None
    department: str | None = None
    topic: str | None = None
    yes: bool = False
    no: bool = False
    number: int | None = None

    @property
    def has_booking_details(self) -> bool:
        return bool(self.dates or self.nights or self.guests or self.room_type)


def normalize(text: str) -> str:
    """Lower case, plain apostrophes, no punctuation but what dates and codes need."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[^a-z0-9'\-/ ]+", " ", text)
    text = re.sub(r"\bkek out\b", "check out", text)  # tiny.en on espeak voices
    text = re.sub(r"\bcheck-(in|out)\b", r"check \1", text)
    return re.sub(r"\s+", " ", text).strip()


def _number(word: str) -> int | None:
    word = word.strip()
    if word.isdigit():
        return int(word)
    if word in ("a couple of", "couple"):
        return 2
    return NUMBER_WORDS.get(word)


def find_nights(text: str) -> int | None:
    # whisper writes "two nights" as "tonight's" or "to nights" now and then.
    if re.search(r"\b(tonight's|tonights|to nights|too nights)\b", text):
        return 2
    if m := re.search(
        rf"\b{_NUM}\s+(?:more\s+)?(?:nights?|night's|knights?|nites?|evenings)\b", text
    ):
        return _number(m.group(1))
    if re.search(r"\b(a|one|for a) week\b", text):
        return 7
    if re.search(r"\b(the|this|next) weekend\b", text):
        return 2
    return None


def find_guests(text: str) -> int | None:
    if m := re.search(
        rf"\b{_NUM}\s+adults?\b(?:\s+and\s+{_NUM}\s+(?:kids?|children|child))?", text
    ):
        adults = _number(m.group(1)) or 0
        kids = _number(m.group(2)) if m.group(2) else 0
        return adults + (kids or 0)
    if m := re.search(
        rf"\b{_NUM}\s+(?:people|persons|guests|of us|adults|travell?ers|pax)\b", text
    ):
        return _number(m.group(1))
    if m := re.search(rf"\bfamily of {_NUM}\b|\bparty of {_NUM}\b", text):
        return _number(m.group(1) or m.group(2))
    if re.search(r"\b(just me|only me|myself|by myself|alone|just one)\b", text):
        return 1
    if re.search(
        r"\bme and my (wife|husband|partner|friend|girlfriend|boyfriend|colleague|son|daughter)\b|\bmy (wife|husband|partner) and i\b|\bcouple\b",
        text,
    ):
        return 2
    return None


def find_dates(text: str, today: date) -> list[date]:
    found: list[date] = []
    for match in _DATE_RE.finditer(text):
        span = match.group(0).strip()
        parsed = parse_date(span, today)
        if parsed is None and (m := re.fullmatch(rf"the\s+({_DAY})", span)):
            parsed = _day_of_month(m.group(1), today, found[-1] if found else None)
        if parsed is not None and parsed not in found:
            found.append(parsed)
    return found


def _day_of_month(day_text: str, today: date, after: date | None) -> date | None:
    """'the 15th' with no month: the next 15th (after the arrival, for a departure)."""
    parsed = parse_date(f"january {day_text}", today)
    if parsed is None:
        return None
    start = after or today
    for months_ahead in range(0, 13):
        month = (start.month - 1 + months_ahead) % 12 + 1
        year = start.year + (start.month - 1 + months_ahead) // 12
        try:
            candidate = date(year, month, parsed.day)
        except ValueError:
            continue
        if candidate > start or (after is None and candidate >= start):
            return candidate
    return None


def find_phone(text: str) -> str | None:
    words = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
             "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip
    digits = ""
    for token in re.findall(r"\+?\d+|[a-z]+", text):
        if token.lstrip("+").isdigit():
            digits += token.lstrip("+")
        elif token in words:
            digits += words[token]
        elif token == "double" or token == "triple":
            continue
        elif len(digits) >= 10:
            break
        else:
            digits = ""
    if 10 <= len(digits) <= 15:
        return "+" + digits if len(digits) > 10 else "+1" + digits
    return None


_CODE_ALPHABET = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
_CODE_LOOKALIKES = {
    "thanks",
    "answer",
    "causes",
    "search",
    "gather",
    "bunch",
    "cheers",
    "change",
    "wanted",
    "master",
}
_LETTER_WORDS = {
    "ay": "A", "bee": "B", "be": "B", "see": "C", "sea": "C", "cee": "C", "dee": "D", "ee": "E", "eff": "F",
    "gee": "G", "aitch": "H", "jay": "J", "kay": "K", "el": "L", "em": "M", "en": "N", "pee": "P",
    "queue": "Q", "cue": "Q", "are": "R", "ar": "R", "ess": "S", "tee": "T", "tea": "T", "you": "U",
    "vee": "V", "double you": "W", "ex": "X", "why": "Y", "zed": "Z", "zee": "Z",
}  # fmt: skip
_DIGIT_WORDS = {
    "zero": "2",
    "oh": "0",
}  # codes hold no 0 or 1, so "oh" can only be a misheard letter
_CODE_DIGITS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def find_code(text: str, expecting: bool = False) -> str | None:
    """A six-character confirmation code, written whole ('K7M2QX') or read out one character
    at a time ('k 7 m 2 q x', 'kay seven em two queue ex')."""
    for token in re.findall(r"\b[a-z0-9]{6}\b", text):
        if re.search(r"\d", token) and re.search(r"[a-z]", token):
            return token.upper()
        # Codes can be all letters or all digits too; when one was asked for, a six-character
        # word made only of code characters is taken as the code.
        if expecting and set(token.upper()) <= _CODE_ALPHABET and token not in _CODE_LOOKALIKES:
            return token.upper()
    if not expecting and "code" not in text and "reservation" not in text and "booking" not in text:
        return None
    chars = []
    for token in re.findall(r"[a-z0-9]+", text):
        if len(token) == 1:
            chars.append(token.upper())
        elif token in _CODE_DIGITS:
            chars.append(_CODE_DIGITS[token])
        elif token in _LETTER_WORDS:
            chars.append(_LETTER_WORDS[token])
        elif token.isdigit() and len(token) <= 6:
            chars.extend(token)
        elif len(chars) >= 6:
            break
        else:
            chars = []
    return "".join(chars[:6]) if len(chars) >= 6 else None


_NAME_PATTERNS = [
    r"\b(?:my )?name is ([a-z][a-z' -]+)",
    r"\bname'?s ([a-z][a-z' -]+)",
    r"\bunder (?:the name )?(?:of )?([a-z][a-z' -]+)",
    r"\bthis is ([a-z][a-z' -]+)",
    r"\bit'?s ([a-z][a-z' -]+)",
    r"\bi'?m ([a-z][a-z' -]+)",
    r"\bcall me ([a-z][a-z' -]+)",
]
_NOT_NAMES = {"looking", "calling", "interested", "trying", "wondering", "just", "not", "sure", "here", "fine",
              "good", "great", "okay", "ok", "going", "staying", "arriving", "checking", "a", "the", "for", "in"}  # fmt: skip
_NAME_STOP = re.compile(
    r"\b(and|for|from|with|please|thanks|thank|i|my|phone|number|at|on|to)\b.*$"
)


def find_name(text: str, expecting: bool = False) -> str | None:
    candidates = [m.group(1) for p in _NAME_PATTERNS if (m := re.search(p, text))]
    if expecting and not candidates:
        candidates = [re.sub(r"^(it is|it's|yes|yeah|sure|ok|okay|um|uh|er)\s+", "", text)]
    for candidate in candidates:
        words = _NAME_STOP.sub("", candidate).strip(" -'").split()
        words = [w for w in words if w not in ("um", "uh", "er")][:4]
        if words and words[0] not in _NOT_NAMES and not any(ch.isdigit() for ch in "".join(words)):
            return " ".join(w.capitalize() for w in words)
    return None


def find_department(text: str) -> str | None:
    for dept, words in DEPARTMENT_WORDS.items():
        if dept == "front_desk":
            continue
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            return dept
    if any(re.search(rf"\b{re.escape(w)}\b", text) for w in DEPARTMENT_WORDS["front_desk"]):
        return "front_desk"
    return None


def find_room_type(text: str, hotel: Hotel) -> str | None:
    for room in hotel.room_types:
        words = [w for w in room.name.lower().split() if w not in ("room", "a", "the")]
        if any(re.search(rf"\b{re.escape(w)}s?\b", text) for w in words):
            # "standard queen": prefer the room with the most words heard.
            matches = [r for r in hotel.room_types if any(re.search(rf"\b{re.escape(w)}s?\b", text)
                       for w in r.name.lower().split() if w not in ("room", "a", "the"))]  # fmt: skip
            best = max(
                matches,
                key=lambda r: sum(
                    bool(re.search(rf"\b{re.escape(w)}\b", text)) for w in r.name.lower().split()
                ),
            )
            return best.id
    return None


def understand(said: str, hotel: Hotel, today: date, expecting: str | None = None) -> Understanding:
    """Intents and slots in ``said``. ``expecting`` names the slot the agent just asked for,
    so a bare answer ("three", "Ana Silva", "k 7 m 2 q x") lands in it."""
    from appliance.tools.hotel import topic_key  # the topic words get_hotel_info knows

    text = normalize(said)
    u = Understanding(text=text)
    if not text:
        return u
    u.yes = bool(YES.search(text)) and not re.search(r"\bnot (sure|right)\b", text)
    u.no = bool(NO.search(text)) and not re.search(r"\bno problem\b", text)
    u.dates = find_dates(text, today)
    u.nights = find_nights(text)
    u.guests = find_guests(text)
    u.room_type = find_room_type(text, hotel)
    u.phone = find_phone(text)
    u.use_caller_number = bool(CALLER_NUMBER.search(text))
    u.code = find_code(text, expecting == "code")
    u.department = find_department(text)
    u.topic = topic_key(text)
    if m := re.fullmatch(rf"(?:um |uh |just |only |maybe )?{_NUM}(?: please)?", text):
        u.number = _number(m.group(1))
    if expecting == "name" or re.search(
        r"\b(my name|name is|name's|under the name|this is)\b", text
    ):
        u.name = find_name(text, expecting == "name")

    if GOODBYE.search(text):
        u.intents.add("goodbye")
    if REPEAT.search(text):
        u.intents.add("repeat")
    if TRANSFER.search(text) or (
        u.department and re.fullmatch(r"(the )?[a-z ]{0,20}( please)?", text) and expecting is None
    ):
        u.intents.add("transfer")
    if CALLBACK.search(text):
        u.intents.add("callback")
    if CANCEL.search(text):
        u.intents.add("cancel")
    if FIND.search(text):
        u.intents.add("find")
    if BOOK.search(text):
        u.intents.add("book")
    if AVAILABILITY.search(text):
        u.intents.add("availability")
    if CHANGE.search(text):
        u.intents.add("change")
    if GREETING.search(text):
        u.intents.add("greeting")
    if THANKS.search(text):
        u.intents.add("thanks")
    if any(re.search(rf"\b{re.escape(k)}\b", text) for entry in hotel.faq for k in entry.keywords):
        u.intents.add("info")
    if u.topic and not (
        {"book", "availability", "cancel", "find"} & u.intents
        and u.topic in ("rooms", "cancellation")
    ):
        u.intents.add("info")
    return u


def nights_between(check_in: date, check_out: date) -> int:
    return (check_out - check_in).days


def departure(check_in: date, nights: int) -> date:
    return check_in + timedelta(days=nights)


class RulesUnderstander:
    """Intents by keyword, as commands."""

    name = "rules"

    def __init__(self, hotel: Hotel, today: Today) -> None:
        self.hotel = hotel
        self._today = today

    async def prepare(self) -> None:
        return None

    async def understand(self, said: str, context: c.Context) -> list[c.Command]:
        u = understand(said, self.hotel, self._today(), context.expecting)
        return to_commands(u, context, self.hotel)


def _faq_topic(text: str, hotel: Hotel) -> str | None:
    words = set(re.findall(r"[a-z]+", text))
    for entry in hotel.faq:
        if any((k in text) if " " in k else (k in words) for k in entry.keywords):
            return f"faq:{entry.id}"
    return None


def to_commands(u: Understanding, context: c.Context, hotel: Hotel) -> list[c.Command]:
    """The rules' intents and slots as commands, in the precedence the rules always had."""
    if not u.text:
        return []
    out: list[c.Command] = []
    intents = u.intents
    if "repeat" in intents:
        out.append(c.Repeat())
    if "goodbye" in intents:
        out.append(c.Goodbye())
    if u.yes and not u.no:
        out.append(c.Affirm())
    if u.no and not u.yes:
        out.append(c.Deny())
    if "transfer" in intents or (u.department and context.expecting == "department"):
        out.append(c.Handoff(u.department or "front_desk", reason=u.text))  # type: ignore[arg-type]
    if "callback" in intents:
        out.append(c.Callback(callback_time(u.text)))
    code = u.code or find_spoken_code(u.text, context.expecting == "code")
    if "cancel" in intents and (code or "reservation" in u.text or "booking" in u.text):
        out.append(c.Cancel(code))
    elif context.expecting == "code" or "find" in intents and "book" not in intents and not u.has_booking_details:
        out.append(c.FindReservation(code))
    info = "info" in intents
    if {"book", "availability"} & intents:
        out.append(c.StartBooking())
    if "change" in intents and context.pending not in ("book", "rebook"):
        out.append(c.ChangeReservation())
    nights, guests = u.nights, u.guests
    if context.expecting == "nights" and nights is None and u.number:
        nights = u.number
    if context.expecting == "guests" and guests is None and u.number:
        guests = u.number
    check_out = u.dates[1] if len(u.dates) > 1 and u.dates[1] > u.dates[0] else None
    slots = c.SetSlots(
        check_in=u.dates[0] if u.dates else None,
        check_out=check_out,
        nights=nights if check_out is None else None,
        guests=guests,
        room_type=u.room_type,
        name=u.name,
        phone=u.phone,
        use_caller_number=u.use_caller_number or (context.expecting == "phone" and u.yes),
    )
    booking_talk = bool({"book", "availability", "change"} & intents) or context.in_booking
    if slots.given() and (booking_talk or not info or context.pending in ("book", "rebook")):
        out.append(slots)
    if info and not (booking_talk and slots.given() and not context.in_booking):
        topic = u.topic or _faq_topic(u.text, hotel)
        if topic:
            out.append(c.AskFact(topic))
    if "thanks" in intents and not out:
        out.append(c.Thanks())
    if "greeting" in intents and not out:
        out.append(c.Greeting())
    return out or [c.Unclear(question=bool(QUESTION.search(u.text)))]
