"""Payments, never taken by voice: a caller who wants to pay or starts on their card hears
that card details are never taken over the phone, and is offered a secure link by text
message (when the hotel has one and a number to send it to) or the front desk."""

from __future__ import annotations

from appliance.dialogue.steps import Act, Say, Step
from appliance.dialogue.turn import Turn
from appliance.hotel.effects import SendText
from appliance.understanding import commands as c


async def route(t: Turn) -> Step | None:
    if t.heard.has(c.Pay) or (t.card_talk and not t.heard.has(c.AskFact, c.Handoff, c.Goodbye)):
        return offer(t)
    return None


def _number(t: Turn) -> str | None:
    reservation = t.state.reservation
    return t.caller_id or (reservation.phone if reservation is not None else None)


def offer(t: Turn) -> Say:
    never = t.say("payment.never_by_phone")
    if t.payment_link and _number(t):
        t.state.ask("pay_link")
        return Say(t.lines.join(never, t.say("payment.offer_link")))
    t.state.ask("handoff")
    return Say(t.lines.join(never, t.say("payment.offer_desk")))


def send_link(t: Turn) -> Step:
    """The caller said yes to the link: it goes by text, with their reservation's code."""
    phone = _number(t)
    assert phone is not None and t.payment_link
    reservation = t.state.reservation
    link = t.payment_link.replace("{code}", reservation.code if reservation is not None else "")
    message = t.say("payment.link_message", hotel=t.hotel.name, link=link)

    async def sent(sid: str | None) -> Step:
        t.state.expecting = "anything_else"
        said = t.say("payment.link_sent") if sid is not None else t.say("payment.link_failed")
        return Say(t.lines.join(said, t.say("call.anything_else")))

    return Act(SendText(phone, message), sent)
