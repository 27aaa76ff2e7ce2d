"""Questions about the hotel, answered from the hotel file alone; a question about a room
offers to book it."""

from __future__ import annotations

from appliance.dialogue.flows import booking
from appliance.dialogue.steps import Say, Step
from appliance.dialogue.turn import Turn
from appliance.understanding import commands as c


async def route(t: Turn) -> Step | None:
    if facts := t.heard.facts:
        then = booking.next_question(t) if t.state.booking is not None else ""
        return await answer(t, facts, then)
    return None


async def text(t: Turn, topic: str) -> str:
    """The answer about one topic, or that the hotel file does not say."""
    return await t.desk.fact(topic) or t.say("call.no_information")


async def answers(t: Turn, facts: list[c.AskFact]) -> str:
    return t.lines.join(*[await text(t, f.topic) for f in facts])


async def answer(t: Turn, facts: list[c.AskFact], then: str = "") -> Step:
    said = await answers(t, facts)
    last = facts[-1].topic
    if t.state.booking is None and (last == "rooms" or last.startswith("room:")):
        t.state.ask("book_offer", room=last.split(":", 1)[1] if last.startswith("room:") else None)
        return Say(t.lines.join(said, t.say("booking.book_offer")))
    if not then:
        t.state.expecting = None
    return Say(t.lines.join(said, then))
