"""The rules understander: keyword patterns for intents, the shared slot extractors for
details.

The appliance's first understander, kept as a baseline and for boxes that want no encoder.
It knows the words it was written for; the semantic understander generalises beyond them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from appliance.hotel.model import Hotel
from appliance.understanding import commands as c
from appliance.understanding.base import QUESTION, Today
from appliance.understanding.identifiers import find_code
from appliance.understanding.slots import callback_time, extract_slots, normalize

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
DEPARTMENT_WORDS = {
    "front_desk": ("front desk", "reception", "receptionist", "concierge", "operator", "someone", "a person",
                   "a human", "human", "real person", "somebody", "staff", "agent"),
    "housekeeping": ("housekeeping", "house keeping", "cleaning", "towels", "maid"),
    "management": ("manager", "management", "supervisor", "someone in charge"),
    "maintenance": ("maintenance", "engineering", "repair", "technician", "broken", "not working"),
}  # fmt: skip


@dataclass
class Understanding:
    """Everything the rules found in one utterance."""

    text: str
    intents: set[str] = field(default_factory=set)
    slots: c.SetSlots = field(default_factory=c.SetSlots)
    code: str | None = None
    department: str | None = None
    topic: str | None = None
    yes: bool = False
    no: bool = False

    @property
    def has_booking_details(self) -> bool:
        s = self.slots
        return any(v is not None for v in (s.check_in, s.check_out, s.nights, s.guests, s.room_type))


def find_department(text: str) -> str | None:
    for dept, words in DEPARTMENT_WORDS.items():
        if dept == "front_desk":
            continue
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            return dept
    if any(re.search(rf"\b{re.escape(w)}\b", text) for w in DEPARTMENT_WORDS["front_desk"]):
        return "front_desk"
    return None


def understand(said: str, hotel: Hotel, today: date, expecting: c.Expecting | None = None) -> Understanding:
    """Intents and slots in ``said``. ``expecting`` names the slot the agent just asked for,
    so a bare answer ("three", "Ana Silva", "k 7 m 2 q x") lands in it."""
    from appliance.hotel.facts import topic_key  # the topic words the front desk knows

    text = normalize(said)
    u = Understanding(text=text)
    if not text:
        return u
    u.yes = bool(YES.search(text)) and not re.search(r"\bnot (sure|right)\b", text)
    u.no = bool(NO.search(text)) and not re.search(r"\bno problem\b", text)
    u.slots = extract_slots(said, hotel, today, expecting)
    u.code = find_code(text, expecting == "code")
    u.department = find_department(text)
    u.topic = topic_key(text)
    if GOODBYE.search(text):
        u.intents.add("goodbye")
    if REPEAT.search(text):
        u.intents.add("repeat")
    if TRANSFER.search(text) or (
        u.department and re.fullmatch(r"(the )?[a-z ]{0,20}( please)?", text) and expecting is None
    ):
        u.intents.add("transfer")
    for intent, pattern in (("callback", CALLBACK), ("cancel", CANCEL), ("find", FIND), ("book", BOOK),
                            ("availability", AVAILABILITY), ("change", CHANGE), ("greeting", GREETING),
                            ("thanks", THANKS)):  # fmt: skip
        if pattern.search(text):
            u.intents.add(intent)
    if any(re.search(rf"\b{re.escape(k)}\b", text) for entry in hotel.faq for k in entry.keywords):
        u.intents.add("info")
    if u.topic and not (
        {"book", "availability", "cancel", "find"} & u.intents
        and u.topic in ("rooms", "cancellation")
    ):
        u.intents.add("info")
    return u


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
    code = u.code
    if "cancel" in intents and (code or "reservation" in u.text or "booking" in u.text):
        out.append(c.Cancel(code))
    elif context.expecting == "code" or "find" in intents and "book" not in intents and not u.has_booking_details:
        out.append(c.FindReservation(code))
    info = "info" in intents
    if {"book", "availability"} & intents:
        out.append(c.StartBooking())
    if "change" in intents and context.pending not in ("book", "rebook"):
        out.append(c.ChangeReservation())
    slots = u.slots
    if context.expecting == "phone" and u.yes and not slots.phone:
        slots = c.SetSlots(**{**slots.given(), "use_caller_number": True})  # type: ignore[arg-type]
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
