"""Putting the caller through to people; when nobody can take the call, a callback is
offered instead."""

from __future__ import annotations

from appliance.dialogue.steps import Act, Say, Step
from appliance.dialogue.turn import Turn
from appliance.hotel.effects import Transfer, Transferred
from appliance.understanding import commands as c


async def route(t: Turn) -> Step | None:
    if (handoff := t.heard.first(c.Handoff)) is not None:
        return transfer(t, handoff)
    return None


def transfer(t: Turn, handoff: c.Handoff) -> Step:
    info = t.hotel.departments.get(handoff.department)
    who = info.description if info else handoff.department.replace("_", " ")

    async def put_through(outcome: Transferred) -> Step:
        if outcome.ok:
            return Say(t.say("handoff.connecting", who=who), end_call=True, outcome="transferred")
        t.state.ask("callback")
        if outcome.problem is None:
            return Say(t.say("handoff.no_line", who=who))
        return Say(t.say("handoff.cannot", problem=outcome.problem, who=who))

    return Act(Transfer(handoff.department, handoff.reason), put_through)
