"""The hotel agent: deterministic flows (booking, lookup, change, cancel, callback,
handoff, facts) acting on the commands an understander hands them. The flows keep their own
typed state, take facts only from the tools, and never read the caller's raw words, so a
better understander improves what is heard without touching what is done.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from appliance.analytics.sentiment import EscalationPolicy, MoodWatch, SentimentScorer
from appliance.engines import Engines
from appliance.errors import LlmError, ModelError, ToolError
from appliance.hotel.model import Hotel
from appliance.llm.base import ChatMessage
from appliance.sessions import Session
from appliance.tools.registry import Lookup, Toolbox
from appliance.tools.speech import say_code, say_date, say_list, say_price
from appliance.understanding import commands as c
from appliance.understanding.base import Understander

_LOGGER = logging.getLogger(__name__)

ANYTHING_ELSE = "Is there anything else I can help you with?"
FALLBACK = (
    "I'm sorry, I didn't quite get that. I can book a room, answer questions about the hotel, "
    "or put you through to the front desk."
)
NOT_HEARD = "Sorry, I didn't hear anything. How can I help you?"
#: Said when the caller's mood keeps falling or they ask the same thing twice.
OFFER_PERSON = (
    "I'm sorry this is taking a while. Would you like me to put you through to someone at the "
    "front desk?"
)
#: The booking flow's question for each missing detail.
_QUESTIONS = {
    "check_in": "What date would you like to arrive?",
    "nights": "How many nights will you stay?",
    "guests": "How many guests will there be?",
    "room_type": "Which room would you like?",
    "name": "May I have your name for the reservation?",
    "phone": "What phone number should we use for the reservation?",
}
MAX_SMALL_TALK_WORDS = 25

#: Asks the language model for one short sentence; None when it has nothing usable.
Phraser = Callable[[list[ChatMessage]], Awaitable[str | None]]
T = TypeVar("T")


class Agent(Protocol):
    """Answers one caller turn at a time; one instance serves every call."""

    def greeting(self, template: str) -> str: ...

    async def prepare(self, session: Session, said: str) -> Prepared:
        """Work out the reply to ``said`` before the turn is confirmed, changing nothing: the
        caller may yet go on talking."""
        ...

    async def respond(
        self, session: Session, said: str, prepared: Prepared | None = None
    ) -> Reply: ...

    def forget(self, session: Session) -> None: ...


@dataclass(frozen=True)
class Reply:
    text: str
    end_call: bool = False
    #: Why the call ends: completed, transferred.
    outcome: str | None = None
    #: How long understanding the caller's words took.
    understand_ms: float = 0.0
    #: Worked out before the turn was confirmed (``Agent.prepare``).
    prepared: bool = False


@dataclass(frozen=True)
class Prepared:
    """A reply worked out while the caller might still go on. ``respond`` uses it only for
    the same words, on the turn it was prepared for; otherwise it is dropped, having changed
    nothing."""

    said: str
    #: The call's turn count when it was prepared.
    turn: int
    commands: tuple[c.Command, ...]
    understand_ms: float
    #: The reply and the flows' state after it, when the flows could go all the way
    #: without a tool that writes (a booking is made only once the turn is confirmed).
    reply: Reply | None = None
    state: DialogueState | None = field(default=None, repr=False)
    lookups: tuple[Lookup, ...] = ()


class WouldAct(Exception):
    """A prepared reply reached a tool that changes something: it waits for the turn."""


#: The lookups of the reply being prepared in this task; None when acting for real.
_PREPARING: ContextVar[list[Lookup] | None] = ContextVar("preparing", default=None)


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
class Callback:
    time: str | None = None
    phone: str | None = None


@dataclass
class DialogueState:
    """What the agent remembers of one call."""

    booking: Booking | None = None
    expecting: c.Expecting | None = None
    #: A yes/no question waiting for its answer.
    pending: c.Pending | None = None
    pending_code: str | None = None
    #: What the confirmation code being asked for is for: find, cancel or change.
    code_for: str = "find"
    #: The room type a fact answer offered to book.
    offered_room: str | None = None
    last_reply: str = ""
    last_reservation: dict[str, Any] | None = None
    misunderstood: int = 0
    #: A callback being arranged: the time and number heard so far.
    callback: Callback | None = None
    history: list[ChatMessage] = field(default_factory=list)
    #: The caller's mood and questions so far, when escalation is on.
    mood: MoodWatch | None = None
    #: Why a person should be offered, waiting for a turn that leaves no question open.
    offer_person: str | None = None
    #: Caller turns answered so far.
    turns: int = 0


@dataclass(frozen=True)
class Heard:
    """The commands of one turn, with the questions the flows ask of them."""

    commands: tuple[c.Command, ...]

    def first(self, kind: type[T]) -> T | None:
        return next((x for x in self.commands if isinstance(x, kind)), None)

    def has(self, *kinds: type) -> bool:
        return any(isinstance(x, kinds) for x in self.commands)

    def only(self, *kinds: type) -> bool:
        return all(isinstance(x, kinds) for x in self.commands)

    @property
    def slots(self) -> c.SetSlots:
        merged = c.SetSlots()
        for command in self.commands:
            if isinstance(command, c.SetSlots):
                merged = replace(merged, **command.given())  # type: ignore[arg-type]
        return merged

    @property
    def facts(self) -> list[c.AskFact]:
        return [x for x in self.commands if isinstance(x, c.AskFact)]

    @property
    def has_booking_details(self) -> bool:
        s = self.slots
        return any(
            v is not None for v in (s.check_in, s.check_out, s.nights, s.guests, s.room_type)
        )


class HotelAgent:
    """The flows; one instance serves every call."""

    def __init__(
        self,
        hotel: Hotel,
        toolbox: Toolbox,
        understander: Understander,
        phraser: Phraser | None = None,
        today: Callable[[], date] = date.today,
        sentiment: SentimentScorer | None = None,
        escalation: EscalationPolicy | None = None,
    ) -> None:
        self.hotel = hotel
        self.toolbox = toolbox
        self.understander = understander
        self.phraser = phraser
        self.today = today
        self.sentiment = sentiment
        self.escalation = escalation
        self._states: dict[str, DialogueState] = {}

    def greeting(self, template: str) -> str:
        return template.format(hotel=self.hotel.name)

    def fixed_sentences(self) -> list[str]:
        """What the flows say in the same words on every call (the questions, the fallback),
        for the voice to render once at start-up."""
        return [
            NOT_HEARD, FALLBACK, ANYTHING_ELSE, f"You're welcome! {ANYTHING_ELSE}",
            "Hello! How can I help you today?", f"Thank you for calling {self.hotel.name}. Goodbye!",
            *_QUESTIONS.values(), "Of course. When would be a good time to call you back?", OFFER_PERSON,
            "Of course. What is your confirmation code? Please read it one character at a time.",
        ]  # fmt: skip

    def state(self, session: Session) -> DialogueState:
        return self._states.setdefault(session.id, DialogueState())

    def forget(self, session: Session) -> None:
        self._states.pop(session.id, None)

    def context(self, state: DialogueState) -> c.Context:
        return c.Context(
            expecting=state.expecting,
            pending=state.pending,
            in_booking=state.booking is not None and state.last_reservation is None,
            has_reservation=state.last_reservation is not None,
            last_reply=state.last_reply,
        )

    async def prepare(self, session: Session, said: str) -> Prepared:
        state = self.state(session)
        started = time.perf_counter()
        commands = tuple(await self.understander.understand(said, self.context(state)))
        understood_ms = (time.perf_counter() - started) * 1000
        prepared = Prepared(said, state.turns, commands, understood_ms)
        draft = copy.deepcopy(state)
        lookups: list[Lookup] = []
        token = _PREPARING.set(lookups)
        try:
            reply = await self.act(session, draft, Heard(commands))
        except WouldAct as stop:
            _LOGGER.debug("reply waits for the turn: it %s", stop)
            return prepared
        finally:
            _PREPARING.reset(token)
        return replace(prepared, reply=reply, state=draft, lookups=tuple(lookups))

    async def respond(
        self, session: Session, said: str, prepared: Prepared | None = None
    ) -> Reply:
        state = self.state(session)
        if prepared is not None and (prepared.said != said or prepared.turn != state.turns):
            prepared = None  # other words, or another turn came first: start again
        if prepared is not None:
            commands, understood_ms = prepared.commands, prepared.understand_ms
        else:
            started = time.perf_counter()
            commands = tuple(await self.understander.understand(said, self.context(state)))
            understood_ms = (time.perf_counter() - started) * 1000
        _LOGGER.debug("commands: %s", ", ".join(c.label(x) for x in commands) or "(none)")
        heard = Heard(commands)
        if prepared is not None and prepared.reply is not None and prepared.state is not None:
            state = self._states[session.id] = prepared.state
            for lookup in prepared.lookups:
                self.toolbox.record(lookup)
            reply = replace(prepared.reply, prepared=True)
        else:
            reply = await self.act(session, state, heard)
        reply = replace(reply, understand_ms=understood_ms)
        reply = self._watch_mood(session, state, said, heard, reply)
        if reply.text:
            state.last_reply = reply.text
        state.turns += 1
        state.history = [
            *state.history[-6:],
            ChatMessage("user", said),
            ChatMessage("assistant", reply.text),
        ]
        return reply

    def _watch_mood(
        self, session: Session, state: DialogueState, said: str, heard: Heard, reply: Reply
    ) -> Reply:
        """Offer a person when the caller's mood keeps falling or they ask the same thing
        twice; the call is flagged at once, the offer waits for a turn with no question open."""
        if self.escalation is None:
            return reply
        watch = state.mood = state.mood or MoodWatch(self.escalation)
        watch.revise(session.judged)
        score = self.sentiment.score(said) if self.sentiment is not None else None
        unclear = heard.first(c.Unclear)
        question = said.strip().endswith("?") or bool(heard.facts) or bool(unclear and unclear.question)
        if not heard.has(c.Repeat) and (reason := watch.hear(
            said, score, [f.topic for f in heard.facts], question
        )):  # fmt: skip
            session.flag(reason)
            state.offer_person = reason
        if state.offer_person is None or reply.end_call or state.pending is not None:
            return reply
        _LOGGER.info("offering a person: %s", state.offer_person, extra={"session_id": session.id})
        state.offer_person = None
        state.pending = "handoff"
        return replace(reply, text=f"{reply.text} {OFFER_PERSON}".strip())

    async def _tool(self, name: str, **args: Any) -> dict[str, Any]:
        given = {k: v for k, v in args.items() if v is not None}
        lookups = _PREPARING.get()
        if lookups is None:
            return await self.toolbox.execute(name, **given)
        try:
            lookup = await self.toolbox.look_up(name, **given)
        except ToolError as err:  # a tool that writes: it waits for the confirmed turn
            raise WouldAct(f"calls {name}") from err
        lookups.append(lookup)
        return lookup.result

    async def act(self, session: Session, state: DialogueState, heard: Heard) -> Reply:
        """The reply to one turn's commands. Facts asked alongside an action are answered
        first; then the action's flow goes on."""
        if not heard.commands:
            return Reply(NOT_HEARD)
        repeat_only = heard.only(c.Repeat, c.Unclear, c.Thanks, c.Greeting)
        if heard.has(c.Repeat) and repeat_only and state.last_reply:
            return Reply(state.last_reply)
        if (
            heard.has(c.Goodbye)
            and not heard.has(
                c.StartBooking, c.AskFact, c.Handoff, c.Callback, c.Cancel, c.FindReservation
            )
            or (
                state.expecting == "anything_else"
                and heard.has(c.Deny)
                and heard.only(c.Deny, c.Thanks)
            )
        ):
            return Reply(
                f"Thank you for calling {self.hotel.name}. Goodbye!", end_call=True, outcome="completed"
            )  # fmt: skip
        facts = heard.facts
        others = tuple(x for x in heard.commands if not isinstance(x, c.AskFact | c.Unclear))
        if (
            facts
            and others
            and not (len(others) == 1 and isinstance(others[0], c.Thanks | c.Greeting))
        ):
            answers = [await self._fact_text(f.topic) for f in facts]
            reply = await self._action(session, state, Heard(others))
            return replace(reply, text=" ".join([*answers, reply.text]).strip())
        return await self._action(session, state, heard)

    async def _action(self, session: Session, state: DialogueState, heard: Heard) -> Reply:
        if state.pending:
            answered = await self._answer_pending(session, state, heard)
            if answered is not None:
                return answered
        if handoff := heard.first(c.Handoff):
            return await self._transfer(session, state, handoff)
        if callback := heard.first(c.Callback):
            return await self._callback(session, state, callback.time, heard.slots.phone)
        arranging = state.callback is not None and (
            state.expecting == "callback_time" or (state.expecting == "phone" and heard.slots.phone)
        )
        if arranging:
            return await self._callback(session, state, None, heard.slots.phone)
        if cancel := heard.first(c.Cancel):
            return await self._cancel(session, state, cancel.code)
        found = heard.first(c.FindReservation)
        if state.expecting == "code" and found is not None and state.code_for == "cancel":
            return await self._cancel(session, state, found.code)
        if state.expecting == "code" and found is not None and state.code_for == "change":
            return await self._find(session, state, found.code, then_change=True)
        if found is not None and not heard.has(c.StartBooking):
            return await self._find(session, state, found.code)
        if heard.has(c.ChangeReservation) or (
            state.last_reservation is not None and heard.has_booking_details
            and not heard.has(c.StartBooking) and state.expecting in (None, "anything_else", "change")
        ):  # fmt: skip
            return await self._change(session, state, heard)
        if (
            heard.has(c.StartBooking)
            or heard.has_booking_details
            or (state.booking is not None and heard.has(c.SetSlots))
        ):
            if heard.has(c.StartBooking) and state.last_reservation is not None:
                state.booking, state.last_reservation = None, None  # a second, new booking
            return await self._book(session, state, heard.slots)
        if facts := heard.facts:
            then = self._next_question(state) if state.booking is not None else ""
            return await self._info(state, facts, then=then)
        if heard.has(c.Thanks):
            state.expecting = "anything_else"
            return Reply(f"You're welcome! {ANYTHING_ELSE}")
        if heard.has(c.Greeting):
            return Reply("Hello! How can I help you today?")
        if heard.has(c.Affirm, c.Deny) and state.booking is not None:
            return Reply(self._next_question(state) or FALLBACK)
        unclear = heard.first(c.Unclear)
        return await self._fallback(state, unclear.question if unclear else False)

    # --- yes/no questions ---------------------------------------------------------------

    async def _answer_pending(
        self, session: Session, state: DialogueState, heard: Heard
    ) -> Reply | None:
        pending, state.pending = state.pending, None
        yes, no = heard.has(c.Affirm), heard.has(c.Deny)
        changing = pending in ("book", "rebook") and state.booking is not None and not yes
        if changing and state.booking is not None and self._apply(state.booking, heard.slots):
            state.pending = pending  # new details: confirm again
            return Reply(self._confirmation(state.booking, rebook=pending == "rebook"))
        if yes and not no:
            if pending == "book":
                return await self._make_booking(session, state)
            if pending == "rebook":
                return await self._rebook(session, state)
            if pending == "cancel" and state.pending_code:
                return await self._do_cancel(state, state.pending_code)
            if pending == "callback":
                return await self._callback(session, state, None, heard.slots.phone)
            if pending == "book_offer":
                state.booking = state.booking or Booking(room_type=state.offered_room)
                return await self._book(session, state, heard.slots)
            if pending == "handoff":
                return await self._transfer(
                    session, state, c.Handoff("front_desk", "offered: the caller was struggling")
                )
        if no and not yes:
            if pending == "handoff" and (question := self._next_question(state)):
                return Reply(f"All right. {question}")
            if pending in ("book", "rebook"):
                state.expecting = "change"
                state.pending = pending
                return Reply("No problem. What would you like to change?")
            state.expecting = "anything_else"
            return Reply(f"All right. {ANYTHING_ELSE}")
        if pending in ("book", "rebook") and state.expecting == "change":
            state.pending = pending
        return None  # not an answer to the question: act on the turn as it is

    # --- booking -----------------------------------------------------------------------

    def _apply(self, booking: Booking, slots: c.SetSlots) -> bool:
        """Put the details heard into the booking; True if anything changed."""
        changed = False
        updates: dict[str, Any] = {}
        if slots.check_in is not None:
            updates["check_in"] = slots.check_in
        if (
            slots.check_in is not None
            and slots.check_out is not None
            and slots.check_out > slots.check_in
        ):
            updates["nights"] = (slots.check_out - slots.check_in).days
        elif (
            slots.check_out is not None
            and booking.check_in is not None
            and slots.check_out > booking.check_in
        ):
            updates["nights"] = (slots.check_out - booking.check_in).days
        for name in ("nights", "guests", "room_type", "name", "phone"):
            value = getattr(slots, name)
            if value is not None and name not in updates:
                updates[name] = value
        for name, value in updates.items():
            if getattr(booking, name) != value:
                setattr(booking, name, value)
                changed = True
        return changed

    async def _book(self, session: Session, state: DialogueState, slots: c.SetSlots) -> Reply:
        booking = state.booking = state.booking or Booking()
        self._apply(booking, slots)
        if state.expecting == "phone" and booking.phone is None and slots.use_caller_number:
            booking.phone = session.caller_id
        if booking.check_in is not None and booking.check_in < self.today():
            booking.check_in = None
            state.expecting = "check_in"
            return Reply("That date has already passed. What date would you like to arrive?")
        return await self._continue_booking(session, state)

    def _next_question(self, state: DialogueState) -> str:
        booking = state.booking
        if booking is None:
            return ""
        return _QUESTIONS.get(booking.missing() or "", "")

    async def _continue_booking(self, session: Session, state: DialogueState) -> Reply:
        booking = state.booking
        assert booking is not None
        missing = booking.missing()
        if missing == "phone" and session.caller_id:
            booking.phone = session.caller_id
            missing = booking.missing()
        if missing in ("check_in", "nights", "guests"):
            state.expecting = missing  # type: ignore[assignment]
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
            span = f"from {say_date(booking.check_in)} to {say_date(booking.check_in + timedelta(days=booking.nights))}"
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
        """The details by SMS too, to the reservation's own number, when Twilio is set up."""
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

    async def _change(self, session: Session, state: DialogueState, heard: Heard) -> Reply:
        """A change to a reservation made or found in this call: confirm, then rebook."""
        old = state.last_reservation
        if old is None:
            state.expecting, state.code_for = "code", "change"
            return Reply(
                "Of course. What is your confirmation code? Please read it one character at a time."
            )
        if state.booking is None or state.pending != "rebook":
            state.booking = Booking(
                check_in=date.fromisoformat(str(old["check_in"])[:10]),
                nights=(date.fromisoformat(str(old["check_out"])[:10]) - date.fromisoformat(str(old["check_in"])[:10])).days,
                guests=int(old["guests"]), room_type=str(old["room_type"]),
                name=str(old["guest_name"]), phone=old.get("phone"),
            )  # fmt: skip
        if not heard.has_booking_details:
            state.expecting, state.pending = "change", "rebook"
            return Reply(
                "Of course. What would you like to change: the dates, the number of guests or the room?"
            )
        self._apply(state.booking, heard.slots)
        state.pending, state.expecting = "rebook", None
        return Reply(self._confirmation(state.booking, rebook=True))

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

    # --- reservations by code or by the caller's number -----------------------------------

    async def _find(
        self, session: Session, state: DialogueState, code: str | None, then_change: bool = False
    ) -> Reply:
        if not code and session.caller_id and state.expecting != "code":
            # The number the caller phones from is the one a booking is kept under: look it up.
            mine = await self._tool("find_reservation", caller=session.caller_id)
            if mine.get("ok"):
                state.last_reservation = mine["reservations"][0]
                state.expecting = "anything_else"
                return Reply(
                    f"{mine['say']} That's the reservation under the number you're calling from. {ANYTHING_ELSE}"
                )
        if not code:
            state.expecting, state.code_for = "code", "change" if then_change else "find"
            return Reply(
                "Of course. What is your confirmation code? Please read it one character at a time."
            )
        state.expecting = None
        result = await self._tool("find_reservation", code=code)
        if result.get("ok"):
            state.last_reservation = result["reservations"][0]
            if then_change:
                state.expecting, state.pending = "change", "rebook"
                state.booking = None
                await self._change(session, state, Heard(()))
                return Reply(
                    f"{result['say']} What would you like to change: the dates, the number of guests or the room?"
                )
            state.expecting = "anything_else"
            return Reply(f"{result['say']} {ANYTHING_ELSE}")
        state.expecting = "code"
        return Reply(
            f"{result.get('say', FALLBACK)} Could you read the code again, one character at a time?"
        )

    async def _cancel(self, session: Session, state: DialogueState, code: str | None) -> Reply:
        code = code or (state.last_reservation or {}).get("code")
        if not code and session.caller_id:
            mine = await self._tool("find_reservation", caller=session.caller_id)
            confirmed = [r for r in mine.get("reservations", []) if r["status"] == "confirmed"]
            if len(confirmed) == 1:
                code = confirmed[0]["code"]
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
            state.expecting = "anything_else"
            return Reply(f"Reservation {say_code(code)} is already cancelled. {ANYTHING_ELSE}")
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

    async def _transfer(self, session: Session, state: DialogueState, handoff: c.Handoff) -> Reply:
        result = await self._tool(
            "transfer_to_human",
            session_id=session.id,
            department=handoff.department,
            reason=handoff.reason,
        )
        if result.get("ok"):
            return Reply(result["say"], end_call=True, outcome="transferred")
        state.pending = "callback"
        return Reply(result.get("say", FALLBACK))

    async def _callback(
        self, session: Session, state: DialogueState, when: str | None, phone: str | None
    ) -> Reply:
        """Arrange a callback: the number (unless the caller's is known), then the time."""
        request = state.callback = state.callback or Callback()
        request.time = when or request.time
        request.phone = phone or request.phone
        if not session.caller_id and not request.phone:
            state.expecting = "phone"
            return Reply("Of course. What number should we call you back on?")
        if request.time is None:
            if state.expecting == "callback_time":
                request.time = "as soon as possible"  # asked once; an unclear answer means soon
            else:
                state.expecting = "callback_time"
                return Reply("Of course. When would be a good time to call you back?")
        result = await self._tool(
            "schedule_callback", time=request.time,
            reason=state.history[-1].content if state.history else "callback",
            session_id=session.id, phone=request.phone,
        )  # fmt: skip
        state.callback = None
        state.expecting = "anything_else"
        return Reply(f"{result.get('say', FALLBACK)} {ANYTHING_ELSE}")

    # --- facts and the rest ---------------------------------------------------------------

    async def _fact_text(self, topic: str) -> str:
        result = await self._tool("get_hotel_info", topic=topic)
        return str(result.get("say") or "")

    async def _info(self, state: DialogueState, facts: list[c.AskFact], then: str = "") -> Reply:
        answers = [await self._fact_text(f.topic) for f in facts]
        last = facts[-1].topic
        if state.booking is None and (last == "rooms" or last.startswith("room:")):
            state.pending = "book_offer"
            state.offered_room = last.split(":", 1)[1] if last.startswith("room:") else None
            return Reply(f"{' '.join(answers)} Would you like to make a reservation?")
        if not then:
            state.expecting = None
        return Reply(f"{' '.join(answers)} {then}".strip())

    async def _fallback(self, state: DialogueState, question: bool) -> Reply:
        if state.booking is not None and state.expecting and state.misunderstood < 2:
            state.misunderstood += 1
            return Reply(f"Sorry, I didn't catch that. {self._next_question(state)}".strip())
        if question and state.misunderstood < 2:
            # A question the hotel file does not answer: say so, offer the people who know.
            state.misunderstood += 1
            state.pending = "callback"
            return Reply(
                "I'm sorry, I don't have that information. I can put you through to the front "
                "desk, or they can call you back."
            )
        state.misunderstood += 1
        if state.misunderstood >= 3:
            state.pending = "callback"
            return Reply(
                "I'm sorry I'm having trouble understanding. Would you like the front desk to call you back?"
            )
        if self.phraser is not None and state.history:
            phrased = await self.phraser(
                [
                    ChatMessage(
                        "system",
                        f"You are the friendly receptionist of {self.hotel.name}. Reply to the guest in one short, "
                        "polite sentence. Never state times, prices, dates or numbers.",
                    ),  # fmt: skip
                    *state.history[-4:],
                ]
            )
            if phrased and speakable_small_talk(phrased):
                return Reply(f"{phrased} {FALLBACK.split('. ', 1)[1]}")
        return Reply(FALLBACK)


def llm_phraser(engines: Engines, temperature: float | None = None) -> Phraser:
    """Small talk from the language model on its worker: the first sentence, or None.
    ``temperature`` 0 gives the model's most likely words, the same every time."""

    async def phrase(messages: list[ChatMessage]) -> str | None:
        try:
            text = await engines.llm.run(
                lambda model, m: model.complete(m, 40, temperature), messages
            )
        except (LlmError, ModelError) as err:
            _LOGGER.warning("small talk unavailable: %s", err.message)
            return None
        first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].strip()
        return first or None

    return phrase


#: What a receptionist would never say to a caller who is chatting.
_OFF_KEY = re.compile(
    r"\b(loss|condolences|died|death|passed away|sorry,? but i'?m sorry|as an ai|language model|"
    r"i cannot|i can't help|i don't know|assistant|user|hello,? i'?m|my name is)\b",
    re.IGNORECASE,
)


def speakable_small_talk(text: str) -> bool:
    """The model's sentence may be spoken only if it cannot be a wrong fact or an odd remark:
    no digits, prices or times, short, no markup, nothing off key, no word said twice in a
    row."""
    return (
        bool(text.strip())
        and len(text.split()) <= MAX_SMALL_TALK_WORDS
        and not re.search(
            r"[\d$€£*#_`<>\[\]{}]|\b(am|pm|o'clock|dollars?|euros?|percent)\b", text, re.IGNORECASE
        )
        and not _OFF_KEY.search(text)
        and text.lower().count("sorry") <= 1
        and not re.search(r"\b(\w+)\s+\1\b", text.lower())
    )


#: Caller turns the language model must answer well before it may phrase small talk.
#: Each with what would be off key in answer to it: sympathy for good news or none at all.
_SYMPATHY = r"\b(sorry|sad|unfortunate|family)\b"
GATE_PROBES = (
    ("Hi there, how are you doing today?", _SYMPATHY),
    ("Oh, it's my first time in Portland.", _SYMPATHY),
    ("Sorry, I'm driving, one second.", r"\b(family|sad)\b"),
    ("We're here for my sister's wedding.", _SYMPATHY),
    ("Ha, that's funny.", _SYMPATHY),
    ("My flight got delayed, what a day.", r"\b(great|wonderful|congratulations)\b"),
)


async def small_talk_gate(phraser: Phraser, hotel_name: str) -> bool:
    """Whether the model may phrase small talk: every probe must get a speakable sentence.
    Give it a phraser at temperature 0, so the verdict is on the model's most likely words
    and the same at every start. The bundled 135M model does not pass; a 7B instruct model
    does."""
    for probe, off_key in GATE_PROBES:
        reply = await phraser(
            [
                ChatMessage(
                    "system",
                    f"You are the friendly receptionist of {hotel_name}. Reply to the guest in one "
                    "short, polite sentence. Never state times, prices, dates or numbers.",
                ),
                ChatMessage("user", probe),
            ]
        )
        parroted = reply is not None and re.findall(r"\w+", reply.lower()) == re.findall(
            r"\w+", probe.lower()
        )
        if (
            not reply
            or not speakable_small_talk(reply)
            or re.search(off_key, reply, re.I)
            or parroted
        ):
            _LOGGER.info(
                "small talk stays on fixed sentences: the model answered %r with %r", probe, reply
            )
            return False
    return True
