"""Conversation patterns, apart from the business flows: goodbye, repeat, the answer to a
yes/no question, thanks and hello, clarifying what was not understood, and the offer of a
person when a caller is struggling."""

from __future__ import annotations

from appliance.dialogue.flows import booking, callback, handoff, payment, reservations
from appliance.dialogue.smalltalk import Phraser, instructions, speakable_small_talk
from appliance.dialogue.state import Booking, YesNo
from appliance.dialogue.steps import Say, Step
from appliance.dialogue.turn import Turn
from appliance.understanding import commands as c


def not_heard(t: Turn) -> Say:
    return Say(t.say("call.not_heard"))


def repeat(t: Turn) -> Step | None:
    """"Sorry, say that again?": the last reply, word for word. Asked over a booking
    question it counts as a miss of it, so that it never loops: the keypad is offered, then
    a person."""
    heard, state = t.heard, t.state
    if heard.has(c.Repeat) and heard.only(c.Repeat, c.Unclear, c.Thanks, c.Greeting) and state.last_reply:
        asked = state.expecting
        if state.booking is not None and asked in booking.QUESTIONS and state.misses.get(asked, 0) >= 1:
            return missed(t, asked, opening="call.of_course")
        if state.booking is not None and asked in booking.QUESTIONS:
            state.misses[asked] = 1
        return Say(state.last_reply)
    return None


def goodbye(t: Turn) -> Step | None:
    heard, state = t.heard, t.state
    leaving = heard.has(c.Goodbye) and not heard.has(
        c.StartBooking, c.AskFact, c.Handoff, c.Callback, c.Cancel, c.FindReservation
    )
    if state.booking is not None and heard.has_booking_details:
        leaving = False  # "Goodnight." for "Two nights.", read as 2 nights: no goodbye
    asked = state.expecting
    if leaving and state.booking is not None and asked in booking.QUESTIONS and not state.leaving:
        # A goodbye in answer to a booking question is more often a number misheard ("two
        # nights" as "goodnight") than a caller leaving halfway: ask again; a second ends it.
        state.leaving = True
        return missed(t, asked)
    nothing_else = (
        state.expecting == "anything_else" and heard.has(c.Deny) and heard.only(c.Deny, c.Thanks)
    )
    if leaving or nothing_else:
        return Say(t.say("call.goodbye", hotel=t.hotel.name), end_call=True, outcome="completed")
    return None


async def answer(t: Turn) -> Step | None:
    """The answer to the yes/no question asked last; None when the turn is no answer to it
    (the turn is then taken as it is)."""
    state, heard = t.state, t.heard
    question, state.pending = state.pending, None
    if question is None:
        return None
    yes, no = heard.has(c.Affirm), heard.has(c.Deny)
    about = question.about
    if about == "check":
        if (step := await booking.checked(t, yes, no)) is not None or not (no and state.booking):
            return step
        for name in question.slots:  # read back wrong: forget it, ask again
            setattr(state.booking, name, None)
        state.expecting = question.slots[0]
        return missed(t, question.slots[0], opening="booking.check_wrong")
    rebook = about == "rebook"
    changing = about in ("book", "rebook") and state.booking is not None and not yes
    if changing and state.booking is not None and booking.apply(state.booking, heard.slots):
        state.pending = question  # new details: confirm again
        state.misses.pop("change", None)
        return Say(booking.confirmation(t, state.booking, rebook=rebook))
    if yes and not no:
        return await _yes(t, question)
    if no and not yes:
        return _no(t, question)
    if about in ("book", "rebook") and state.expecting == "change":
        state.pending = question
    return None


async def _yes(t: Turn, question: YesNo) -> Step | None:
    state = t.state
    if question.about == "book":
        return booking.make(t)
    if question.about == "rebook":
        return reservations.rebook(t)
    if question.about == "cancel" and question.code:
        return reservations.cancel(t, question.code)
    if question.about == "callback":
        return callback.arrange(t, None, t.heard.slots.phone)
    if question.about == "handoff":
        return handoff.transfer(t, c.Handoff("front_desk", "offered: the caller was struggling"))
    if question.about == "pay_link":
        return payment.send_link(t)
    if question.about == "book_offer":
        state.booking = state.booking or Booking(room_type=question.room)
        return await booking.book(t, t.heard.slots)
    return None


def no_change(t: Turn, opening: str) -> Step:
    """The booking's read-back turned down, or the change not caught: ask what to change;
    the third time with nothing changed, a person sorts it out, never a loop."""
    refused = t.state.misses["change"] = t.state.misses.get("change", 0) + 1
    if refused >= 3:
        reason = "the booking's read-back was turned down three times"
        t.flag(reason)
        return handoff.transfer(t, c.Handoff("front_desk", reason))
    return Say(t.lines.join(t.say(opening), t.say("booking.what_to_change")))


def _no(t: Turn, question: YesNo) -> Step:
    state = t.state
    if question.about == "handoff" and (asked := booking.next_question(t)):
        return Say(t.lines.join(t.say("call.all_right"), asked))
    if question.about in ("book", "rebook"):
        state.expecting = "change"
        state.pending = question
        return no_change(t, "call.no_problem")
    state.expecting = "anything_else"
    return Say(t.lines.join(t.say("call.all_right"), t.say("call.anything_else")))


async def pleasantries(t: Turn) -> Say | None:
    """Thanks, hello, and a bare yes or no in the middle of a booking."""
    heard, state = t.heard, t.state
    if heard.has(c.Thanks):
        state.expecting = "anything_else"
        return Say(t.lines.join(t.say("call.welcome"), t.say("call.anything_else")))
    if heard.has(c.Greeting):
        return Say(t.say("call.hello"))
    if heard.has(c.Affirm, c.Deny) and state.booking is not None:
        return Say(booking.next_question(t) or t.lines.join(t.say("call.not_understood"), t.say("call.what_i_can_do")))
    return None


#: The questions whose answer can be typed on a keypad.
KEYPAD = {"check_in": "booking.keypad_check_in", "guests": "booking.keypad_guests",
          "nights": "booking.keypad_nights", "phone": "booking.keypad_phone"}  # fmt: skip


def missed(t: Turn, asked: str, opening: str = "call.didnt_catch") -> Step:
    """The answer to a booking question was not caught: ask again; the second time offer the
    keypad for a number; the third time, never loop: a person takes over, and the call is
    flagged with why."""
    misses = t.state.misses[asked] = t.state.misses.get(asked, 0) + 1
    if misses >= 3:
        reason = f"the {asked.replace('_', ' ')} was not caught three times"
        t.flag(reason)
        return handoff.transfer(t, c.Handoff("front_desk", reason))
    again = t.lines.join(t.say(opening), booking.next_question(t))
    if misses == 2 and t.keypad and asked in KEYPAD:
        again = t.lines.join(again, t.say(KEYPAD[asked]))
    return Say(again)


async def clarify(t: Turn, phraser: Phraser | None) -> Step:
    """Nothing the flows can act on: ask again, say what the appliance can do, and after
    three misses offer a call back from the front desk."""
    state = t.state
    unclear = t.heard.first(c.Unclear)
    question = unclear.question if unclear else False
    asked = state.expecting
    if state.booking is not None and asked in booking.QUESTIONS:
        return missed(t, asked)
    if state.booking is not None and asked == "change":
        return no_change(t, "call.didnt_catch")
    if question and state.misunderstood < 2:
        # A question the hotel file does not answer: say so, offer the people who know.
        state.misunderstood += 1
        state.ask("callback")
        return Say(t.say("call.no_information"))
    state.misunderstood += 1
    if state.misunderstood >= 3:
        state.ask("callback")
        return Say(t.say("call.trouble_understanding"))
    if phraser is not None and state.history:
        phrased = await phraser([instructions(t.hotel.name), *state.history[-4:]])
        if phrased and speakable_small_talk(phrased):
            return Say(t.lines.join(phrased, t.say("call.what_i_can_do")))
    return Say(t.lines.join(t.say("call.not_understood"), t.say("call.what_i_can_do")))
