"""The LLM understander: the language model writes the turn's commands as JSON, held by a
grammar (llama.cpp) or the server's JSON mode to the commands' schema.

For a box with a GPU or a shared model server: a 7B+ instruct model follows paraphrase and
context better than example phrasings can. It only ever produces commands; the flows still
decide, so "confirm before booking", whose reservations a caller may hear and where an SMS
goes hold whatever it writes. An answer that is late, malformed or outside the schema is
dropped and the semantic understander decides that turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import date
from typing import Any

from appliance.engines import Engines
from appliance.errors import LlmError, ModelError
from appliance.hotel.facts import topics
from appliance.hotel.model import DEPARTMENTS, Hotel
from appliance.llm.base import ChatMessage
from appliance.understanding import commands as c
from appliance.understanding.base import Today, Understander
from appliance.understanding.identifiers import find_phone
from appliance.understanding.slots import normalize

_LOGGER = logging.getLogger(__name__)

TYPES = ("book", "slots", "affirm", "deny", "ask", "handoff", "callback", "find", "change",
         "cancel", "repeat", "goodbye", "thanks", "greeting", "unclear")  # fmt: skip
MAX_TOKENS = 160
_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")


class BadCommands(ValueError):
    """The model's answer is not commands the flows can take; it names what is wrong."""


def command_schema(hotel: Hotel) -> dict[str, Any]:
    """The JSON schema the model's answer is held to."""
    item = {
        "type": "object",
        "properties": {
            "type": {"enum": list(TYPES)},
            "topic": {"enum": sorted(topics(hotel))},
            "department": {"enum": list(DEPARTMENTS)},
            "code": {"type": "string"},
            "time": {"type": "string"},
            "check_in": {"type": "string"},
            "check_out": {"type": "string"},
            "nights": {"type": "integer"},
            "guests": {"type": "integer"},
            "room_type": {"enum": [r.id for r in hotel.room_types]},
            "name": {"type": "string"},
            "phone": {"type": "string"},
            "use_caller_number": {"type": "boolean"},
        },
        "required": ["type"],
    }
    return {
        "type": "object",
        "properties": {"commands": {"type": "array", "items": item, "minItems": 1, "maxItems": 4}},
        "required": ["commands"],
    }


def system_prompt(hotel: Hotel, today: date) -> str:
    facts = "\n".join(f"- {key}: {t.answer[:70]}" for key, t in topics(hotel).items())
    rooms = ", ".join(f"{r.id} ({r.name})" for r in hotel.room_types)
    return (
        f"You read what a caller said to the front desk of {hotel.name} and write it as commands, "
        "JSON only. Today is "
        f"{today.isoformat()} ({today.strftime('%A')}).\n"
        "Command types: book (wants a new reservation or asks if rooms are free), slots (booking "
        "details: check_in and check_out as YYYY-MM-DD, nights, guests, room_type, name, phone, "
        "use_caller_number), affirm, deny, ask (a question about a topic below), handoff (wants a "
        "person, or a repair or housekeeping job: department), callback (time as said), find "
        "(look up their reservation; code if said), change (change their reservation), cancel "
        "(code if said), repeat, goodbye, thanks, greeting, unclear (anything else).\n"
        f"Topics:\n{facts}\nRoom types: {rooms}.\nDepartments: {', '.join(DEPARTMENTS)}.\n"
        "Several commands when the caller says several things."
    )


_EXAMPLES = [
    ("waiting for: nothing", "hi, when do we have to leave the room and can I park there",
     '{"commands": [{"type": "ask", "topic": "check_out"}, {"type": "ask", "topic": "parking"}]}'),
    ("waiting for: guests", "it'll be me and my husband",
     '{"commands": [{"type": "slots", "guests": 2}]}'),
    ("waiting for: nothing", "the shower in 204 has no hot water",
     '{"commands": [{"type": "handoff", "department": "maintenance"}]}'),
    ("waiting for: yes or no to book", "yes go ahead",
     '{"commands": [{"type": "affirm"}]}'),
]  # fmt: skip


class LlmUnderstander:
    """Commands written by the language model; the fallback decides when it cannot."""

    name = "llm"

    def __init__(
        self,
        hotel: Hotel,
        engines: Engines,
        today: Today,
        fallback: Understander,
        timeout_s: float = 4.0,
    ) -> None:
        self.hotel = hotel
        self._engines = engines
        self._today = today
        self.fallback = fallback
        self._timeout_s = timeout_s
        self._schema = command_schema(hotel)
        self._topics = set(topics(hotel))
        #: How many turns the fallback decided, and why, since start.
        self.fallbacks: dict[str, int] = {}

    async def prepare(self) -> None:
        await self.fallback.prepare()

    def messages(self, said: str, context: c.Context) -> list[ChatMessage]:
        today = self._today()
        out = [ChatMessage("system", system_prompt(self.hotel, today))]
        for waiting, example, answer in _EXAMPLES:
            out += [ChatMessage("user", f"({waiting}) {example}"), ChatMessage("assistant", answer)]
        waiting = context.expecting or "nothing"
        if context.pending:
            waiting = f"yes or no to {context.pending}"
        said_before = f"the front desk said: {context.last_reply}; " if context.last_reply else ""
        out.append(ChatMessage("user", f"({said_before}waiting for: {waiting}) {said.strip()}"))
        return out

    async def understand(self, said: str, context: c.Context) -> list[c.Command]:
        if not normalize(said):
            return []
        messages = self.messages(said, context)
        try:
            answer = await asyncio.wait_for(
                self._engines.llm.run(
                    lambda model, m: model.complete_json(m, self._schema, MAX_TOKENS), messages
                ),
                self._timeout_s,
            )
            commands = self.parse(answer)
        except TimeoutError:
            return await self._fall_back("timeout", said, context)
        except (LlmError, ModelError) as err:
            why = "timeout" if err.code == "llm-timeout" else err.code
            return await self._fall_back(why, said, context)
        except BadCommands as err:
            _LOGGER.info("the model's commands were refused: %s", err)
            return await self._fall_back("bad-commands", said, context)
        return commands

    async def _fall_back(self, why: str, said: str, context: c.Context) -> list[c.Command]:
        self.fallbacks[why] = self.fallbacks.get(why, 0) + 1
        _LOGGER.info("understanding fell back to %s for this turn (%s)", self.fallback.name, why)
        return await self.fallback.understand(said, context)

    def parse(self, answer: str) -> list[c.Command]:
        """The model's JSON as commands; BadCommands names what is wrong."""
        try:
            data = json.loads(answer)
        except ValueError as err:
            raise BadCommands(f"not JSON: {answer[:80]!r}") from err
        items = data.get("commands") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise BadCommands(f"no commands list in {answer[:80]!r}")
        return [self._command(item) for item in items[:4]]

    def _command(self, item: Any) -> c.Command:
        if not isinstance(item, dict) or item.get("type") not in TYPES:
            raise BadCommands(f"unknown command {item!r}")
        kind = item["type"]
        if kind == "ask":
            if item.get("topic") not in self._topics:
                raise BadCommands(f"ask without a known topic: {item.get('topic')!r}")
            return c.AskFact(item["topic"])
        if kind == "handoff":
            department = item.get("department") or "front_desk"
            if department not in DEPARTMENTS:
                raise BadCommands(f"unknown department {department!r}")
            return c.Handoff(department, reason="")
        if kind == "slots":
            return self._slots(item)
        if kind in ("find", "cancel"):
            code = str(item.get("code") or "").replace(" ", "").upper() or None
            if code is not None and not _CODE.match(code):
                raise BadCommands(f"{code!r} is not a confirmation code")
            return c.FindReservation(code) if kind == "find" else c.Cancel(code)
        if kind == "callback":
            return c.Callback(str(item["time"]) if item.get("time") else None)
        simple: dict[str, Any] = {
            "book": c.StartBooking, "affirm": c.Affirm, "deny": c.Deny, "change": c.ChangeReservation,
            "repeat": c.Repeat, "goodbye": c.Goodbye, "thanks": c.Thanks, "greeting": c.Greeting,
            "unclear": c.Unclear,
        }  # fmt: skip
        return simple[kind]()

    def _slots(self, item: dict[str, Any]) -> c.SetSlots:
        today = self._today()

        def day(key: str) -> date | None:
            if not item.get(key):
                return None
            try:
                value = date.fromisoformat(str(item[key]))
            except ValueError as err:
                raise BadCommands(f"{key} {item[key]!r} is not a date") from err
            if value < today:
                raise BadCommands(f"{key} {value} has already passed")
            return value

        def count(key: str, high: int) -> int | None:
            value = item.get(key)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
                raise BadCommands(f"{key} {value!r} is not a number from 1 to {high}")
            return value

        room = item.get("room_type")
        if room is not None and self.hotel.room_type(str(room)) is None:
            raise BadCommands(f"unknown room type {room!r}")
        phone = find_phone(str(item["phone"])) if item.get("phone") else None
        name = " ".join(str(item.get("name") or "").split()) or None
        return c.SetSlots(
            check_in=day("check_in"), check_out=day("check_out"), nights=count("nights", 60),
            guests=count("guests", 20), room_type=str(room) if room else None, name=name,
            phone=phone, use_caller_number=bool(item.get("use_caller_number")),
        )  # fmt: skip
