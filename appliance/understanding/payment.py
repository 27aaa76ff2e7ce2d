"""Money talk: a caller who wants to pay, leave a deposit or give card details, whichever
understander heard them. The appliance never takes a card by voice; the payment flow offers
a secure link or the front desk instead."""

from __future__ import annotations

import re

from appliance.understanding import commands as c
from appliance.understanding.base import Understander
from appliance.understanding.slots import normalize

#: Wanting to pay, or starting on a card. Not a question about what something costs, and
#: not a key card.
_PAY = re.compile(
    r"\bdeposit\b"
    r"|\b(?:credit|debit|bank|visa|master ?card|amex|american express) ?cards?\b"
    r"|\b(?:visa|mastercard|amex)\b"
    r"|\bcard (?:number|details|info|information)\b"
    r"|(?<!key )\bmy card\b"
    r"|\b(?:take|give you|read you|have) (?:my |a |the )?(?:card|payment|card number)\b"
    r"|\bpay(?:ing|ment)?\b (?:for )?(?:it |this |that )?(?:now|upfront|up front|in advance|"
    r"over the phone|by (?:card|phone)|with (?:my|a) card|the deposit|a deposit|the (?:room|stay|"
    r"booking|reservation)|for (?:the|my|our) (?:room|stay|booking|reservation))\b"
    r"|\bmake a payment\b"
)
_COST = re.compile(r"\bhow much\b|\bcost\b|\bprice\b|\bfee\b|\bcharge for\b")
#: A question about the hotel's terms ("is there a deposit for pets?", "do you take amex?"),
#: not an offer to pay now.
_ASKING_ABOUT = re.compile(r"^(?:is|are|do|does|will|would|what|which|when|where)\b")


def wants_to_pay(text: str) -> bool:
    """``text`` (normalized) is the caller offering to pay, not asking what something costs
    or what the hotel takes."""
    return bool(_PAY.search(text)) and not _COST.search(text) and not _ASKING_ABOUT.search(text)


class PaymentCue:
    """Any understander, with money talk heard as a ``Pay`` command."""

    def __init__(self, inner: Understander) -> None:
        self.inner = inner
        self.name = inner.name

    async def prepare(self) -> None:
        await self.inner.prepare()

    async def understand(self, said: str, context: c.Context) -> list[c.Command]:
        commands = await self.inner.understand(said, context)
        if not wants_to_pay(normalize(said)):
            return commands
        kept = [x for x in commands if not isinstance(x, c.Unclear | c.StartBooking)]
        return [*kept, c.Pay()]
