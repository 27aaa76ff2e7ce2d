"""A callback: the number (unless the caller's is known), then the time, then it is arranged."""

from __future__ import annotations

from appliance.dialogue.state import CallbackRequest
from appliance.dialogue.steps import Act, Say, Step
from appliance.dialogue.turn import Turn
from appliance.hotel.effects import CallbackScheduled, ScheduleCallback
from appliance.understanding import commands as c


async def route(t: Turn) -> Step | None:
    """A callback asked for, or the time or number of one being arranged."""
    state, heard = t.state, t.heard
    if (asked := heard.first(c.Callback)) is not None:
        return arrange(t, asked.time, heard.slots.phone)
    arranging = state.callback is not None and (
        state.expecting == "callback_time" or (state.expecting == "phone" and heard.slots.phone)
    )
    if arranging:
        return arrange(t, None, heard.slots.phone)
    return None


def arrange(t: Turn, when: str | None, phone: str | None) -> Step:
    state = t.state
    request = state.callback = state.callback or CallbackRequest()
    request.time = when or request.time
    request.phone = phone or request.phone
    if not t.caller_id and not request.phone:
        state.expecting = "phone"
        return Say(t.say("callback.ask_number"))
    if request.time is None:
        if state.expecting == "callback_time":
            request.time = t.say("callback.soon")  # asked once; an unclear answer means soon
        else:
            state.expecting = "callback_time"
            return Say(t.say("callback.ask_time"))
    time = request.time
    reason = state.history[-1].content if state.history else "callback"

    async def scheduled(done: CallbackScheduled) -> Step:
        state.callback = None
        state.expecting = "anything_else"
        said = t.say("callback.scheduled", phone=t.lines.phone(done.phone), time=time.strip())
        return Say(t.lines.join(said, t.say("call.anything_else")))

    return Act(ScheduleCallback(time, reason, request.phone), scheduled)
