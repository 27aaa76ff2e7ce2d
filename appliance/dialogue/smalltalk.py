"""Small talk: one short sentence from the language model, spoken only if it passed a check
at start-up and the sentence itself cannot be a wrong fact or an odd remark."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from appliance.engines import Engines
from appliance.errors import LlmError, ModelError
from appliance.llm.base import ChatMessage

_LOGGER = logging.getLogger(__name__)

MAX_SMALL_TALK_WORDS = 25

#: Asks the language model for one short sentence; None when it has nothing usable.
Phraser = Callable[[list[ChatMessage]], Awaitable[str | None]]


def instructions(hotel_name: str) -> ChatMessage:
    """What the model is told before the conversation (a prompt, not words for a caller)."""
    return ChatMessage(
        "system",
        f"You are the friendly receptionist of {hotel_name}. Reply to the guest in one "
        "short, polite sentence. Never state times, prices, dates or numbers.",
    )


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
        reply = await phraser([instructions(hotel_name), ChatMessage("user", probe)])
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
