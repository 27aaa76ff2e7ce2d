"""A caller who books a room by phone as a guest does: answers each question the agent asks,
says "no" to a detail read back wrong and gives it again, types a number when the agent
offers the keypad, and checks the read-back before saying yes.

The caller follows the agent by its words (the catalogue's sentences, as the call's
transcript has them): what a guest hears. Its own words cross the simulated phone line in a
voice that is not the appliance's, so everything the appliance learns of the booking it has
to hear.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from twilio_fakes import SimulatedCall
from voices import Voice

from appliance.app import Appliance
from appliance.sentences import english

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
_TEENS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
          "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
          "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
#: 1 -> "first" ... 31 -> "thirty-first": how callers say the day of a date.
ORDINAL_WORDS = {
    **{n: word for n, word in enumerate(_TEENS, 1)}, 20: "twentieth", 30: "thirtieth",
    **{20 + n: f"twenty-{_TEENS[n - 1]}" for n in range(1, 10)}, 31: "thirty-first",
}  # fmt: skip


@dataclass(frozen=True)
class Stay:
    """What the caller wants booked."""

    check_in: date
    nights: int
    guests: int
    room_type: str
    room_said: str
    name: str

    def says(self, detail: str) -> str:
        """How this caller gives ``detail`` when asked for it."""
        lines = english()
        if detail == "check_in":
            month = lines.word("months")[self.check_in.month - 1]
            return f"{month} the {ORDINAL_WORDS[self.check_in.day]}."
        if detail == "nights":
            return f"{NUMBER_WORDS[self.nights].capitalize()} nights."
        if detail == "guests":
            return f"{NUMBER_WORDS[self.guests].capitalize()} adults."
        if detail == "room_type":
            return f"{self.room_said[0].upper()}{self.room_said[1:]}, please."
        if detail == "name":
            return f"My name is {self.name}."
        raise ValueError(f"no way to say {detail!r}")


#: The questions of the booking flow, by words of theirs, and the detail each asks for.
QUESTIONS = (
    ("what date would you like to arrive", "check_in"), ("how many nights", "nights"),
    ("how many guests", "guests"), ("which room", "room_type"),
    ("which would you like", "room_type"), ("your name", "name"),
)  # fmt: skip
KEYPAD = (("number of guests", "guests"), ("number of nights", "nights"), ("type the date", "check_in"))


@dataclass
class Booked:
    """How the call went."""

    replies: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    read_backs: int = 0
    keyed: int = 0
    confirmed: bool = False
    gave_up: str = ""


class BookingCaller:
    def __init__(
        self,
        call: SimulatedCall,
        appliance: Appliance,
        voice: Voice,
        stay: Stay,
        max_turns: int = 20,
    ) -> None:
        self.call, self.appliance, self.voice, self.stay = call, appliance, voice, stay
        self.max_turns = max_turns
        self.outcome = Booked()
        self._changing: str | None = None

    async def book(self, opening: str = "I'd like to book a room.") -> Booked:
        await self.call.listen(0)  # the greeting
        self.session = self.appliance.sessions.get(self.call.call_sid)
        await self._say(opening)
        for _ in range(self.max_turns):
            if self.call.closed.is_set():
                self.outcome.gave_up = f"the call ended after {self.outcome.replies[-1]!r}"
                return self.outcome
            reply = self.outcome.replies[-1].lower()
            if "is confirmed" in reply:
                self.outcome.confirmed = True
                return self.outcome
            keyed = next((d for words, d in KEYPAD if words in reply and "keypad" in reply), None)
            if keyed is not None:
                day = self.stay.check_in
                digits = f"{day.month:02d}{day.day:02d}" if keyed == "check_in" else str(getattr(self.stay, keyed))
                await self._key(digits)
                continue
            await self._say(self._answer(reply))
        self.outcome.gave_up = "no booking within the turns allowed"
        return self.outcome

    def _answer(self, reply: str) -> str:
        if reply.endswith("is that right?"):
            self.outcome.read_backs += 1
            return "Yes." if self._right(reply) else "No."
        if "shall i book it" in reply or "shall i do that" in reply:
            wrong = self._wrong_in(reply)
            if wrong is None:
                return "Yes, please."
            self._changing = wrong
            return "No."
        if reply.endswith("?") and ("front desk" in reply or "call you back" in reply):
            return "No, thank you."  # the offer of a person: this caller wants to book
        if "what would you like to change" in reply and self._changing:
            detail, self._changing = self._changing, None
            return f"The {detail.replace('_', ' ').replace('check in', 'date')}: {self.stay.says(detail)}"
        asked = [(reply.rfind(words), d) for words, d in QUESTIONS if words in reply]
        if asked:
            return self.stay.says(max(asked)[1])  # the question asked last
        return "I'd like to book a room."

    def _right(self, reply: str) -> bool:
        """Whether the details read back are the caller's own."""
        return self._wrong_in(reply) is None

    def _wrong_in(self, reply: str) -> str | None:
        """The first detail the agent's words get wrong, if any."""
        stay, lines = self.stay, english()
        checks = {
            "guests": ("guest", f"{stay.guests} guest"),
            "nights": ("night", f"{stay.nights} night"),
            "check_in": ("arriving", lines.date(stay.check_in).lower()),
        }
        for detail, (mentioned, right) in checks.items():
            if mentioned in reply and right not in reply:
                return detail
        room = next((r.name for r in self.appliance.hotel.room_types if r.id == stay.room_type), "")
        if "shall i book it" in reply and room not in reply:
            return "room_type"
        return None

    async def _say(self, text: str) -> None:
        """Say ``text`` and wait for the answer; said again if none comes, as callers do
        when the other end stays quiet."""
        for _ in range(3):
            self.outcome.said.append(text)
            await self.call.say(self.voice.speak(text), then_silence_s=0.8)
            if await self._await_reply():
                return
        said = [(m.role, m.content) for m in self.session.messages]
        raise AssertionError(f"no reply to {text!r}: {said}")

    async def _key(self, digits: str) -> None:
        self.outcome.keyed += 1
        self.outcome.said.append(f"[keys {digits}#]")
        for digit in (*digits, "#"):
            await self.call.press(digit)
        if not await self._await_reply():
            raise AssertionError(f"no reply to the keys {digits}#")

    async def _await_reply(self, limit_s: float = 15) -> bool:
        """Stay on the line until the agent has answered, and its reply has been heard."""
        session = self.session
        before, heard = len(self.outcome.replies), len(self.call.arrivals)
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            answers = [m.content for m in session.messages if m.role == "assistant"]
            if len(answers) > before + 1 and session.messages[-1].role == "assistant":
                self.outcome.replies = answers[1:]  # the greeting first
                await self.call.listen(heard)
                return True
            if self.call.closed.is_set():
                return False
            await self.call.hold(100)
        return False
