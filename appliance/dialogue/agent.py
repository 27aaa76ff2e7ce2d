"""The hotel agent: understands each caller turn as commands, routes them through the
conversation patterns and the business flows in a fixed order (the order is the policy), and
runs the flow's step: words to say, or an effect on the hotel performed for a confirmed turn.

A reply may be prepared while the caller might still go on (``prepare``): the flows run on a
copy of the call's state, reading freely, and stop at their first effect. ``respond`` uses the
prepared reply only for the same words on the same turn; otherwise it is dropped, having
changed nothing.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from appliance.analytics.sentiment import EscalationPolicy, MoodWatch, SentimentScorer
from appliance.dialogue import patterns
from appliance.dialogue.flows import booking, callback, facts, handoff, payment, reservations
from appliance.dialogue.listening import expected_words
from appliance.dialogue.smalltalk import Phraser
from appliance.dialogue.state import DialogueState, Heard
from appliance.dialogue.steps import Act, Say, Step, prefixed
from appliance.dialogue.turn import Route, Turn
from appliance.errors import ToolError
from appliance.hotel.desk import CallDesk, FrontDesk
from appliance.hotel.model import Hotel
from appliance.llm.base import ChatMessage
from appliance.privacy import Asked
from appliance.sentences import Catalogue
from appliance.sessions import Session, ToolRun
from appliance.understanding import commands as c
from appliance.understanding.base import Understander

_LOGGER = logging.getLogger(__name__)

#: Channels whose callers have a keypad: the phone's, or the guest page's.
KEYPAD_CHANNELS = ("phone", "webrtc", "sip")


class Agent(Protocol):
    """Answers one caller turn at a time; one instance serves every call."""

    def greeting(self, template: str = "") -> str: ...

    async def prepare(self, session: Session, said: str, doubtful: bool = False) -> Prepared:
        """Work out the reply to ``said`` before the turn is confirmed, changing nothing: the
        caller may yet go on talking."""
        ...

    async def respond(
        self,
        session: Session,
        said: str,
        prepared: Prepared | None = None,
        commands: Sequence[c.Command] | None = None,
        doubtful: bool = False,
    ) -> Reply:
        """The reply to ``said``; ``doubtful`` when the speech-to-text was unsure of it."""
        ...

    def listening_for(self, session: Session) -> str | None:
        """What the caller is likely to say next, for the speech-to-text to expect."""
        ...

    def forget(self, session: Session) -> None: ...

    def asked_for(self, session: Session) -> Asked | None:
        """What the agent asked the caller for last, if it matters for keeping their words:
        a phone number, or a confirmation code."""
        ...

    def keypad_slot(self, session: Session) -> str | None: ...

    #: Today's date where the hotel is.
    today: Callable[[], date]


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
    """A reply worked out while the caller might still go on."""

    said: str
    #: The call's turn count when it was prepared.
    turn: int
    commands: tuple[c.Command, ...]
    understand_ms: float
    #: The speech-to-text was unsure of ``said``.
    doubtful: bool = False
    #: The reply and the flows' state after it, when the flows could go all the way
    #: without an effect (a booking is made only once the turn is confirmed).
    reply: Reply | None = None
    state: DialogueState | None = field(default=None, repr=False)
    #: What the flows looked up for it, recorded with the call only if it is used.
    lookups: tuple[ToolRun, ...] = ()


class HotelAgent:
    """The patterns and flows in their order; one instance serves every call."""

    def __init__(
        self,
        desk: FrontDesk,
        understander: Understander,
        lines: Catalogue,
        phraser: Phraser | None = None,
        today: Callable[[], date] = date.today,
        sentiment: SentimentScorer | None = None,
        escalation: EscalationPolicy | None = None,
        payment_link: str = "",
    ) -> None:
        self.desk = desk
        self.payment_link = payment_link
        self.understander = understander
        self.lines = lines
        self.phraser = phraser
        self.today = today
        self.sentiment = sentiment
        self.escalation = escalation
        self._states: dict[str, DialogueState] = {}

    @property
    def hotel(self) -> Hotel:
        return self.desk.hotel

    def greeting(self, template: str = "") -> str:
        """The hotel's own greeting (``[dialogue] greeting``), else the catalogue's."""
        if template:
            return template.format(hotel=self.hotel.name)
        return self.lines.say("call.greeting", hotel=self.hotel.name)

    def fixed_sentences(self) -> list[str]:
        """What is said in the same words on every call, for the voice to render once."""
        return [*self.lines.fixed(), self.lines.say("call.goodbye", hotel=self.hotel.name)]

    def state(self, session: Session) -> DialogueState:
        return self._states.setdefault(session.id, DialogueState())

    def forget(self, session: Session) -> None:
        self._states.pop(session.id, None)

    def asked_for(self, session: Session) -> Asked | None:
        expecting = self.state(session).expecting
        return expecting if expecting in ("phone", "code") else None

    async def _understand(self, said: str, state: DialogueState) -> tuple[tuple[c.Command, ...], float]:
        started = time.perf_counter()
        commands = tuple(await self.understander.understand(said, state.context()))
        return commands, (time.perf_counter() - started) * 1000

    def _turn(self, session: Session, state: DialogueState, heard: Heard, desk: CallDesk) -> Turn:
        return Turn(
            state, heard, desk, self.lines, session.caller_id, self.today(),
            card_talk=session.journal.card_context, payment_link=self.payment_link,
            keypad=session.channel in KEYPAD_CHANNELS, flag=session.flag,
        )  # fmt: skip

    def keypad_slot(self, session: Session) -> str | None:
        """The booking detail a run of keys fills now (guests, nights, phone), if any."""
        expecting = self.state(session).expecting
        return expecting if expecting in ("check_in", "guests", "nights", "phone") else None

    def listening_for(self, session: Session) -> str | None:
        return expected_words(self.state(session).context(), self.lines, self.hotel)

    async def prepare(self, session: Session, said: str, doubtful: bool = False) -> Prepared:
        state = self.state(session)
        commands, understand_ms = await self._understand(said, state)
        prepared = Prepared(said, state.turns, commands, understand_ms, doubtful)
        draft = copy.deepcopy(state)
        lookups: list[ToolRun] = []
        desk = self.desk.for_call(session).held(lookups)
        step = await self.act(self._turn(session, draft, Heard(commands, doubtful), desk))
        if isinstance(step, Act):
            _LOGGER.debug("reply waits for the turn: it %s", type(step.effect).__name__)
            return prepared
        reply = Reply(step.text, step.end_call, step.outcome)
        return replace(prepared, reply=reply, state=draft, lookups=tuple(lookups))

    async def respond(
        self,
        session: Session,
        said: str,
        prepared: Prepared | None = None,
        commands: Sequence[c.Command] | None = None,
        doubtful: bool = False,
    ) -> Reply:
        """The reply to ``said``; ``commands`` when they are known without understanding
        the words (a key pressed on a menu); ``doubtful`` when the speech-to-text was
        unsure of the words."""
        state = self.state(session)
        if prepared is not None and (
            prepared.said != said or prepared.turn != state.turns or prepared.doubtful != doubtful
        ):
            prepared = None  # other words, or another turn came first: start again
        desk = self.desk.for_call(session)
        if commands is not None:
            heard, understand_ms = Heard(tuple(commands)), 0.0
        elif prepared is not None:
            heard, understand_ms = Heard(prepared.commands, doubtful), prepared.understand_ms
        else:
            understood, understand_ms = await self._understand(said, state)
            heard = Heard(understood, doubtful)
        # Kinds only: a label holds what the caller said (a code, a phone number).
        _LOGGER.debug("commands: %s", ", ".join(c.kind(x) for x in heard.commands) or "(none)")
        if prepared is not None and prepared.reply is not None and prepared.state is not None:
            state = self._states[session.id] = prepared.state
            desk.record(list(prepared.lookups))
            reply = replace(prepared.reply, prepared=True)
        else:
            said_step = await self._perform(await self.act(self._turn(session, state, heard, desk)), desk)
            reply = Reply(said_step.text, said_step.end_call, said_step.outcome)
        reply = replace(reply, understand_ms=understand_ms)
        reply = self._watch_mood(session, state, said, heard, reply)
        if reply.text:
            state.last_reply = reply.text
        state.turns += 1
        state.history = [*state.history[-6:], ChatMessage("user", said), ChatMessage("assistant", reply.text)]
        return reply

    async def _perform(self, step: Step, desk: CallDesk) -> Say:
        """Carry out the step's effects in turn until it says something."""
        while isinstance(step, Act):
            act: Act[Any] = step
            try:
                outcome = await desk.perform(act.effect)
            except ToolError as err:
                _LOGGER.warning("%s not done: %s", type(act.effect).__name__, err.message)
                return Say(self.lines.say("call.say_again"))
            step = await act.then(outcome)
        return step

    #: The order in which a turn is offered to the patterns and flows: the first that takes
    #: it answers.
    ROUTES: tuple[Route, ...] = (
        patterns.answer, payment.route, handoff.route, callback.route, reservations.route_cancel,
        reservations.route_code, reservations.route_find, reservations.route_change,
        booking.route, facts.route, patterns.pleasantries,
    )  # fmt: skip

    async def act(self, t: Turn) -> Step:
        """The step for one turn's commands. Facts asked alongside an action are answered
        first; then the action's flow goes on."""
        heard = t.heard
        if not heard.commands:
            return patterns.not_heard(t)
        if (said := patterns.repeat(t) or patterns.goodbye(t)) is not None:
            return said
        others = heard.without(c.AskFact, c.Unclear)
        if heard.facts and others.commands and not (len(others.commands) == 1 and others.has(c.Thanks, c.Greeting)):
            answers = await facts.answers(t, heard.facts)
            return prefixed(answers, await self._route(t.hearing(others)))
        return await self._route(t)

    async def _route(self, t: Turn) -> Step:
        for route in self.ROUTES:
            step = await route(t)
            if step is not None:
                return step
        return await patterns.clarify(t, self.phraser)

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
        if not heard.has(c.Repeat) and (
            reason := watch.hear(said, score, [f.topic for f in heard.facts], question)
        ):
            session.flag(reason)
            state.offer_person = reason
        if state.offer_person is None or reply.end_call or state.pending is not None:
            return reply
        _LOGGER.info("offering a person: %s", state.offer_person, extra={"session_id": session.id})
        state.offer_person = None
        state.ask("handoff")
        return replace(reply, text=self.lines.join(reply.text, self.lines.say("call.offer_person")))
