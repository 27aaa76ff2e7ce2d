"""The hotel agent: it decides every reply from the caller's words, the conversation so far,
the hotel file and the reservation tables. Facts and bookings go through the tools; the
language model only phrases small talk, and what it says is checked before it is spoken.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from appliance.dialogue.understanding import (
    GOODBYE,
    Understanding,
    departure,
    nights_between,
    understand,
)
from appliance.engines import Engines
from appliance.errors import LlmError, ModelError
from appliance.hotel.model import Hotel
from appliance.llm.base import ChatMessage, ToolCall
from appliance.sessions import Session
from appliance.tools.registry import SPECS, Toolbox
from appliance.tools.speech import say_code, say_date, say_list, say_price

_LOGGER = logging.getLogger(__name__)

ANYTHING_ELSE = "Is there anything else I can help you with?"
FALLBACK = (
    "I'm sorry, I didn't quite get that. I can book a room, answer questions about the hotel, "
    "or put you through to the front desk."
)
MAX_SMALL_TALK_WORDS = 25
#: A question the hotel data cannot answer gets "I don't know" and the front desk, never the
#: model: it would make up an answer ("no, there is no shuttle").
QUESTION = re.compile(
    r"^(what|when|where|which|who|whom|why|how|is|are|do|does|did|can|could|will|would|should|have|has|may)\b"
)

#: Asks the language model for one short sentence; None when it has nothing usable.
Phraser = Callable[[list[ChatMessage]], Awaitable[str | None]]


class Agent(Protocol):
    """Answers one caller turn at a time; one instance serves every call."""

    def greeting(self, template: str) -> str: ...

    async def respond(self, session: Session, said: str) -> Reply: ...

    def forget(self, session: Session) -> None: ...


@dataclass(frozen=True)
class Reply:
    text: str
    end_call: bool = False
    #: Why the call ends: completed, transferred.
    outcome: str | None = None


@dataclass
class Booking:
    check_in: date | None = None
    nights: int | None = None
    guests: int | None = None
    room_type: str | None = None
    name: str | None = None
    phone: str | None = None

    def missing(self) -> str | None:
        for slot in ("check_in", "nights", "guests", "room_type", "name", "phone"):
            if getattr(self, slot) is None:
                return slot
        return None


@dataclass
class DialogueState:
    """What the agent remembers of one call."""

    booking: Booking | None = None
    expecting: str | None = None
    #: A yes/no question waiting for its answer: book, rebook, cancel, callback, transfer.
    pending: str | None = None
    pending_code: str | None = None
    #: What the confirmation code being asked for is for: find or cancel.
    code_for: str = "find"
    last_reply: str = ""
    last_reservation: dict[str, Any] | None = None
    misunderstood: int = 0
    history: list[ChatMessage] = field(default_factory=list)


class HotelAgent:
    """Answers one caller turn at a time; one instance serves every call."""

    def __init__(
        self,
        hotel: Hotel,
        toolbox: Toolbox,
        phraser: Phraser | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.hotel = hotel
        self.toolbox = toolbox
        self.phraser = phraser
        self.today = today
        self._states: dict[str, DialogueState] = {}

    def greeting(self, template: str) -> str:
        return template.format(hotel=self.hotel.name)

    def state(self, session: Session) -> DialogueState:
        return self._states.setdefault(session.id, DialogueState())

    def forget(self, session: Session) -> None:
        self._states.pop(session.id, None)

    async def respond(self, session: Session, said: str) -> Reply:
        state = self.state(session)
        u = understand(said, self.hotel, self.today(), state.expecting)
        reply = await self._decide(session, state, u)
        if reply.text:
            state.last_reply = reply.text
        state.history = [
            *state.history[-6:],
            ChatMessage("user", said),
            ChatMessage("assistant", reply.text),
        ]
        return reply

    async def _tool(self, name: str, **args: Any) -> dict[str, Any]:
        return await self.toolbox.execute(name, **{k: v for k, v in args.items() if v is not None})

    async def _decide(self, session: Session, state: DialogueState, u: Understanding) -> Reply:
        if not u.text:
            return Reply("Sorry, I didn't hear anything. How can I help you?")
        if "repeat" in u.intents and state.last_reply:
            return Reply(state.last_reply)
        if "goodbye" in u.intents or (
            state.expecting == "anything_else" and u.no and not u.intents - {"thanks"}
        ):
            return Reply(
                f"Thank you for calling {self.hotel.name}. Goodbye!",
                end_call=True,
                outcome="completed",
            )
        if state.pending:
            answered = await self._answer_pending(session, state, u)
            if answered is not None:
                return answered
        if "transfer" in u.intents or (u.department and state.expecting == "department"):
            return await self._transfer(session, state, u.department or "front_desk")
        if "callback" in u.intents:
            return await self._callback(session, state, u)
        if "cancel" in u.intents and (
            u.code or "reservation" in u.text or "booking" in u.text or state.last_reservation
        ):
            return await self._cancel(state, u)
        if state.expecting == "code" and state.code_for == "cancel":
            return await self._cancel(state, u)
        if state.expecting == "code" or (
            "find" in u.intents and "book" not in u.intents and not u.has_booking_details
        ):
            return await self._find(state, u)
        if (
            state.booking is not None
            or {"book", "availability"} & u.intents
            or (u.has_booking_details and "info" not in u.intents)
        ):
            if (
                "info" in u.intents
                and state.booking is not None
                and not u.has_booking_details
                and state.expecting not in ("name", "phone")
            ):
                return await self._info(state, u, then=self._next_question(state))
            return await self._book(session, state, u)
        if "info" in u.intents:
            return await self._info(state, u)
        if "thanks" in u.intents:
            state.expecting = "anything_else"
            return Reply(f"You're welcome! {ANYTHING_ELSE}")
        if "greeting" in u.intents:
            return Reply("Hello! How can I help you today?")
        return await self._fallback(state, u)

    # --- yes/no questions ---------------------------------------------------------------

    async def _answer_pending(
        self, session: Session, state: DialogueState, u: Understanding
    ) -> Reply | None:
        pending, state.pending = state.pending, None
        if (
            pending in ("book", "rebook")
            and state.booking is not None
            and not u.yes
            and self._apply_changes(state.booking, u)
        ):
            state.pending = pending  # new details: confirm again
            return Reply(self._confirmation(state.booking, rebook=pending == "rebook"))
        if u.yes and not u.no:
            if pending == "book":
                return await self._make_booking(session, state)
            if pending == "rebook":
                return await self._rebook(session, state)
            if pending == "cancel" and state.pending_code:
                return await self._do_cancel(state, state.pending_code)
            if pending == "callback":
                return await self._callback(session, state, u)
            if pending == "book_offer":
                state.booking = state.booking or Booking()
                return await self._book(session, state, u)
        if u.no and not u.yes:
            if pending in ("book", "rebook"):
                state.expecting = "change"
                state.pending = pending
                return Reply("No problem. What would you like to change?")
            state.expecting = "anything_else"
            return Reply(f"All right. {ANYTHING_ELSE}")
        if pending in ("book", "rebook") and state.expecting == "change":
            state.pending = pending
        return None  # not an answer to the question: handle the utterance as it is

    # --- booking -----------------------------------------------------------------------

    def _apply_changes(self, booking: Booking, u: Understanding) -> bool:
        changed = False
        if u.dates:
            first = u.dates[0]
            if booking.check_in != first:
                booking.check_in, changed = first, True
            if len(u.dates) > 1 and u.dates[1] > first:
                booking.nights, changed = nights_between(first, u.dates[1]), True
        if u.nights and booking.nights != u.nights:
            booking.nights, changed = u.nights, True
        if u.guests and booking.guests != u.guests:
            booking.guests, changed = u.guests, True
        if u.room_type and booking.room_type != u.room_type:
            booking.room_type, changed = u.room_type, True
        if u.name and booking.name != u.name:
            booking.name, changed = u.name, True
        if u.phone and booking.phone != u.phone:
            booking.phone, changed = u.phone, True
        return changed

    def _fill_expected(
        self, session: Session, booking: Booking, state: DialogueState, u: Understanding
    ) -> None:
        """A bare answer to the question just asked ("three", "Ana Silva")."""
        if state.expecting == "nights" and u.nights is None and u.number:
            booking.nights = u.number
        elif state.expecting == "guests" and u.guests is None and u.number:
            booking.guests = u.number
        elif (
            state.expecting == "phone"
            and booking.phone is None
            and (u.use_caller_number or u.yes)
            and session.caller_id
        ):
            booking.phone = session.caller_id

    async def _book(self, session: Session, state: DialogueState, u: Understanding) -> Reply:
        booking = state.booking = state.booking or Booking()
        if (
            state.last_reservation
            and ("change" in u.intents or state.pending == "rebook")
            and u.has_booking_details
        ):
            self._apply_changes(booking, u)
            state.pending = "rebook"
            return Reply(self._confirmation(booking, rebook=True))
        self._apply_changes(booking, u)
        self._fill_expected(session, booking, state, u)
        if booking.check_in is not None and booking.check_in < self.today():
            booking.check_in = None
            state.expecting = "check_in"
            return Reply("That date has already passed. What date would you like to arrive?")
        return await self._continue_booking(session, state)

    def _next_question(self, state: DialogueState) -> str:
        booking = state.booking
        if booking is None:
            return ""
        return {
            "check_in": "What date would you like to arrive?",
            "nights": "How many nights will you stay?",
            "guests": "How many guests will there be?",
            "room_type": "Which room would you like?",
            "name": "May I have your name for the reservation?",
            "phone": "What phone number should we use for the reservation?",
        }.get(booking.missing() or "", "")

    async def _continue_booking(self, session: Session, state: DialogueState) -> Reply:
        booking = state.booking
        assert booking is not None
        missing = booking.missing()
        if missing == "phone" and session.caller_id:
            booking.phone = session.caller_id
            missing = booking.missing()
        if missing in ("check_in", "nights", "guests"):
            state.expecting = missing
            return Reply(self._next_question(state))
        assert booking.check_in and booking.nights and booking.guests
        if booking.nights > 30:
            booking.nights = None
            state.expecting = "nights"
            return Reply("I can book up to 30 nights by phone. How many nights will you stay?")
        if missing == "room_type" or booking.room_type:
            options = await self._tool(
                "check_availability", check_in=booking.check_in.isoformat(), nights=booking.nights,
                guests=booking.guests, room_type=booking.room_type,
            )  # fmt: skip
            if not options.get("ok"):
                state.expecting = (
                    "check_in" if options.get("error") == "date-in-past" else state.expecting
                )
                return Reply(options.get("say") or FALLBACK)
            free = [r for r in options["rooms"] if r["available"] > 0]
            span = f"from {say_date(booking.check_in)} to {say_date(departure(booking.check_in, booking.nights))}"
            if booking.room_type and not free:
                room = self.hotel.room_type(booking.room_type)
                booking.room_type = None
                state.expecting = "room_type"
                others = await self._tool(
                    "check_availability",
                    check_in=booking.check_in.isoformat(),
                    nights=booking.nights,
                    guests=booking.guests,
                )
                alternatives = [r for r in others.get("rooms", []) if r["available"] > 0]
                if not alternatives:
                    state.booking = None
                    state.expecting = None
                    return Reply(
                        f"I'm sorry, we are fully booked {span}. Would another date work for you?"
                    )
                return Reply(f"I'm sorry, the {room.name if room else 'room'} is fully booked {span}. "
                             f"We do have {self._offer(alternatives)}. Would one of those suit you?")  # fmt: skip
            if not free:
                state.booking = None
                state.expecting = None
                return Reply(
                    f"I'm sorry, we have no rooms for {booking.guests} guests {span}. Would another date work?"
                )
            if booking.room_type is None:
                state.expecting = "room_type"
                return Reply(f"We have {self._offer(free)} {span}. Which would you like?")
        if booking.name is None:
            state.expecting = "name"
            return Reply("May I have your name for the reservation?")
        if booking.phone is None:
            state.expecting = "phone"
            return Reply("What phone number should we use for the reservation?")
        state.pending = "book"
        state.expecting = None
        return Reply(self._confirmation(booking))

    def _offer(self, rooms: list[dict[str, Any]]) -> str:
        return say_list(
            [
                f"a {r['room_name']} at {say_price(r['nightly_rate'], self.hotel.currency)} a night"
                for r in rooms
            ],
            "or",
        )

    def _confirmation(self, booking: Booking, rebook: bool = False) -> str:
        assert booking.check_in and booking.nights and booking.guests and booking.room_type
        room = self.hotel.room_type(booking.room_type)
        rate = room.nightly_rate if room else Decimal(0)
        nights = f"{booking.nights} night{'s' if booking.nights != 1 else ''}"
        guests = f"{booking.guests} guest{'s' if booking.guests != 1 else ''}"
        details = (
            f"a {room.name if room else booking.room_type} for {guests}, arriving {say_date(booking.check_in, with_weekday=True)}, "
            f"for {nights}, {say_price(rate * booking.nights, self.hotel.currency)} in total"
        )
        if rebook:
            return f"I can change your reservation to {details}. Shall I do that?"
        return f"Let me confirm: {details}, under the name {booking.name}. Shall I book it?"

    async def _make_booking(self, session: Session, state: DialogueState) -> Reply:
        booking = state.booking
        assert (
            booking is not None
            and booking.check_in
            and booking.nights
            and booking.room_type
            and booking.name
        )
        result = await self._tool(
            "create_reservation", check_in=booking.check_in.isoformat(), nights=booking.nights,
            guests=booking.guests, room_type=booking.room_type, guest_name=booking.name,
            phone=booking.phone, session_id=session.id,
        )  # fmt: skip
        if not result.get("ok"):
            state.expecting = "room_type"
            booking.room_type = None
            return Reply(f"{result.get('say', FALLBACK)} Would you like a different room?")
        state.last_reservation = result["reservation"]
        state.expecting = "anything_else"
        texted = await self._text_confirmation(result["reservation"])
        return Reply(f"{result['say']}{texted} {ANYTHING_ELSE}")

    async def _text_confirmation(self, reservation: dict[str, Any]) -> str:
        """The details by SMS too, when the hotel's Twilio number is set up."""
        if not reservation.get("phone"):
            return ""
        message = (
            f"{self.hotel.name}: your reservation {reservation['code']} is confirmed. "
            f"{reservation['room_name'].capitalize()}, {say_date(reservation['check_in'])} to "
            f"{say_date(reservation['check_out'])}, {reservation['guests']} guest(s), total "
            f"{say_price(reservation['total'], self.hotel.currency)}. {self.hotel.amenities.get('cancellation', '')}"
        ).strip()
        sent = await self._tool(
            "send_sms_confirmation", phone=reservation["phone"], message=message
        )
        return (
            " I've also sent the details to your phone by text message." if sent.get("ok") else ""
        )

    async def _rebook(self, session: Session, state: DialogueState) -> Reply:
        old = state.last_reservation
        assert old is not None
        cancelled = await self._tool("cancel_reservation", code=old["code"])
        if not cancelled.get("ok"):
            return Reply(cancelled.get("say", FALLBACK))
        made = await self._make_booking(session, state)
        return Reply(
            made.text.replace("Your reservation is confirmed.", "Your reservation is changed.", 1)
        )

    # --- reservations by code -------------------------------------------------------------

    async def _find(self, state: DialogueState, u: Understanding) -> Reply:
        if not u.code:
            state.expecting, state.code_for = "code", "find"
            return Reply(
                "Of course. What is your confirmation code? Please read it one character at a time."
            )
        state.expecting = None
        result = await self._tool("find_reservation", code=u.code)
        if result.get("ok"):
            state.last_reservation = result["reservations"][0]
            state.expecting = "anything_else"
            return Reply(f"{result['say']} {ANYTHING_ELSE}")
        return Reply(
            f"{result.get('say', FALLBACK)} Could you read the code again, one character at a time?"
        )

    async def _cancel(self, state: DialogueState, u: Understanding) -> Reply:
        code = u.code or (state.last_reservation or {}).get("code")
        if not code:
            state.expecting, state.code_for = "code", "cancel"
            state.pending = None
            return Reply("I can cancel that for you. What is the confirmation code?")
        found = await self._tool("find_reservation", code=code)
        if not found.get("ok"):
            state.expecting, state.code_for = "code", "cancel"
            return Reply(f"{found.get('say', FALLBACK)} Could you read the code again?")
        reservation = found["reservations"][0]
        if reservation["status"] != "confirmed":
            return Reply(f"Reservation {say_code(code)} is already cancelled.")
        state.pending, state.pending_code, state.expecting = "cancel", reservation["code"], None
        return Reply(
            f"Reservation {say_code(reservation['code'])} for {reservation['guest_name']}, arriving "
            f"{say_date(reservation['check_in'])}. Shall I cancel it?"
        )

    async def _do_cancel(self, state: DialogueState, code: str) -> Reply:
        result = await self._tool("cancel_reservation", code=code)
        state.expecting = "anything_else"
        if state.last_reservation and state.last_reservation.get("code") == code:
            state.last_reservation = None
            state.booking = None
        return Reply(f"{result.get('say', FALLBACK)} {ANYTHING_ELSE}")

    # --- people -------------------------------------------------------------------------

    async def _transfer(self, session: Session, state: DialogueState, department: str) -> Reply:
        result = await self._tool(
            "transfer_to_human",
            session_id=session.id,
            department=department,
            reason=state.history[-1].content if state.history else "",
        )
        if result.get("ok"):
            return Reply(result["say"], end_call=True, outcome="transferred")
        state.pending = "callback"
        return Reply(result.get("say", FALLBACK))

    async def _callback(self, session: Session, state: DialogueState, u: Understanding) -> Reply:
        when = _callback_time(u.text)
        if not session.caller_id and not u.phone:
            state.expecting = "phone"
            return Reply("Of course. What number should we call you back on?")
        if when is None and state.expecting != "callback_time":
            state.expecting = "callback_time"
            return Reply("Of course. When would be a good time to call you back?")
        result = await self._tool(
            "schedule_callback", time=when or "as soon as possible", reason=state.history[-1].content if state.history else "callback",
            session_id=session.id, phone=u.phone,
        )  # fmt: skip
        state.expecting = "anything_else"
        return Reply(f"{result.get('say', FALLBACK)} {ANYTHING_ELSE}")

    # --- facts and the rest ---------------------------------------------------------------

    async def _info(self, state: DialogueState, u: Understanding, then: str = "") -> Reply:
        result = await self._tool("get_hotel_info", topic=u.text)
        if result.get("topic") == "rooms" and state.booking is None:
            state.pending = "book_offer"
            return Reply(f"{result['say']} Would you like to make a reservation?")
        if not then:
            state.expecting = None
        return Reply(f"{result['say']} {then}".strip())

    async def _fallback(self, state: DialogueState, u: Understanding) -> Reply:
        if QUESTION.search(u.text) and state.misunderstood < 2:
            # A question the hotel file does not answer: say so, offer the people who know.
            state.misunderstood += 1
            result = await self._tool("get_hotel_info", topic=u.text)
            state.pending = "callback" if not result.get("ok") else None
            return Reply(result.get("say", FALLBACK))
        state.misunderstood += 1
        if state.misunderstood >= 3:
            state.pending = "callback"
            return Reply(
                "I'm sorry I'm having trouble understanding. Would you like the front desk to call you back?"
            )
        if self.phraser is not None and len(u.text.split()) <= 20 and not QUESTION.search(u.text):
            phrased = await self.phraser(
                [
                    ChatMessage(
                        "system",
                        f"You are the friendly receptionist of {self.hotel.name}. Reply to the guest in one short, "
                        "polite sentence. Never state times, prices, dates or numbers.",
                    ),  # fmt: skip
                    *state.history[-4:],
                    ChatMessage("user", u.text),
                ]
            )
            if phrased and speakable_small_talk(phrased):
                return Reply(f"{phrased} {FALLBACK.split('. ', 1)[1]}")
        return Reply(FALLBACK)


def llm_phraser(engines: Engines) -> Phraser:
    """Small talk from the language model on its worker: the first sentence, or None."""

    async def phrase(messages: list[ChatMessage]) -> str | None:
        try:
            text = await engines.llm.run(lambda model, m: model.complete(m, 40), messages)
        except (LlmError, ModelError) as err:
            _LOGGER.warning("small talk unavailable: %s", err.message)
            return None
        first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].strip()
        return first or None

    return phrase


def speakable_small_talk(text: str) -> bool:
    """The model's sentence may be spoken only if it cannot be a wrong fact: no digits, no
    prices or times, short, and no markup."""
    return (
        bool(text.strip())
        and len(text.split()) <= MAX_SMALL_TALK_WORDS
        and not re.search(
            r"[\d$€£*#_`<>\[\]{}]|\b(am|pm|o'clock|dollars?|euros?|percent)\b", text, re.IGNORECASE
        )
    )


def _callback_time(text: str) -> str | None:
    m = re.search(
        r"\b((?:tomorrow|today|tonight|this (?:morning|afternoon|evening)|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
        r"(?: (?:morning|afternoon|evening))?(?: (?:at|around|after|before) [\w: ]+?(?: ?[ap]\.?m\.?)?)?|"
        r"(?:at|around|after|before) \d{1,2}(?::\d{2})?(?: ?[ap]\.?m\.?)?|in (?:an|one|two|\d+) hours?|as soon as possible|asap|any ?time|now)\b",
        text,
    )
    return m.group(1) if m else None


class ToolCallingAgent:
    """For a model strong enough to choose: it picks the tool by function calling under the
    tools' JSON schemas. What is spoken after a tool runs is still the tool's own sentence,
    so facts, prices and codes come from the hotel data, never from the model."""

    def __init__(self, hotel: Hotel, toolbox: Toolbox, engines: Engines) -> None:
        self.hotel = hotel
        self.toolbox = toolbox
        self.engines = engines
        self._history: dict[str, list[ChatMessage]] = {}

    def greeting(self, template: str) -> str:
        return template.format(hotel=self.hotel.name)

    def forget(self, session: Session) -> None:
        self._history.pop(session.id, None)

    def _system(self, session: Session) -> ChatMessage:
        return ChatMessage(
            "system",
            f"You are the receptionist of {self.hotel.name} on a phone call (session {session.id}, caller "
            f"{session.caller_id or 'unknown'}). Use a tool for every fact, availability, booking, cancellation, "
            "transfer or callback. Ask for missing details one at a time and confirm before booking. "
            "Answer in one or two short spoken sentences, without markup.",
        )

    async def respond(self, session: Session, said: str) -> Reply:
        history = self._history.setdefault(session.id, [])
        if GOODBYE.search(said.lower()):
            return Reply(
                f"Thank you for calling {self.hotel.name}. Goodbye!",
                end_call=True,
                outcome="completed",
            )
        messages = [self._system(session), *history[-8:], ChatMessage("user", said)]
        try:
            choice = await self.engines.llm.run(
                lambda model, m: model.choose_tool(m, Toolbox.schemas()), messages
            )
        except (LlmError, ModelError) as err:
            _LOGGER.warning("tool choice failed: %s", err.message)
            choice = ""
        if isinstance(choice, ToolCall):
            arguments = dict(choice.arguments)
            properties = SPECS[choice.name].parameters["properties"] if choice.name in SPECS else {}
            if "session_id" in properties:
                arguments["session_id"] = session.id
            result = await self.toolbox.execute(choice.name, **arguments)
            reply = Reply(
                str(result.get("say") or FALLBACK),
                end_call=choice.name == "transfer_to_human" and bool(result.get("ok")),
                outcome="transferred"
                if choice.name == "transfer_to_human" and result.get("ok")
                else None,
            )
        else:
            reply = Reply(choice or FALLBACK)
        history += [ChatMessage("user", said), ChatMessage("assistant", reply.text)]
        return reply
