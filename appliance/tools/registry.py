"""One registry of every tool, with the JSON schemas the language model is shown.

``Toolbox.execute`` never raises into a call: an unknown tool, bad arguments or a failure
come back as a result with ``ok: false``, an error code, and a sentence the agent can say.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from appliance.errors import ToolError
from appliance.privacy import held
from appliance.sessions import SessionError, ToolRun
from appliance.store import calls
from appliance.tools import hotel, voice
from appliance.tools.context import ToolContext
from appliance.tools.speech import FORMATTERS, format_for_voice

_LOGGER = logging.getLogger(__name__)

Result = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[..., Awaitable[Result]]
    #: Looks something up and changes nothing.
    reads_only: bool = False

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function description llama.cpp's function calling takes."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def _params(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_S = {"type": "string"}
_I = {"type": "integer"}
_SESSION = {"type": "string", "description": "the live session (call) id"}
_DEPARTMENT = {"type": "string", "enum": list(voice.DEPARTMENT_ALIASES)}
_DATE = {"type": "string", "description": "a date: 2027-01-15, January 15th, tomorrow, friday"}


async def _format(ctx: ToolContext, data: Any, kind: str) -> Result:
    return {"ok": True, "say": format_for_voice(data, kind, ctx.lines)}


SPECS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in [
        ToolSpec("transfer_to_human", "Transfer the caller to a hotel department.",
                 _params(["session_id", "department"], session_id=_SESSION, department=_DEPARTMENT, reason=_S),
                 voice.transfer_to_human),
        ToolSpec("play_hold_music", "Put the caller on hold with music.",
                 _params(["session_id"], session_id=_SESSION), voice.play_hold_music),
        ToolSpec("send_sms_confirmation", "Send a text message to a phone number.",
                 _params(["phone", "message"], phone=_S, message=_S), voice.send_sms_confirmation),
        ToolSpec("schedule_callback", "Arrange for the hotel to call the guest back.",
                 _params(["time", "reason"], session_id=_SESSION, phone=_S, time=_S, reason=_S),
                 voice.schedule_callback),
        ToolSpec("handle_ivr_menu", "Act on a touch-tone digit the caller pressed.",
                 _params(["session_id", "digit"], session_id=_SESSION, digit={"type": "string", "pattern": "^[0-9*#]$"}),
                 voice.handle_ivr_menu),
        ToolSpec("get_caller_history", "Earlier calls and reservations of a caller.",
                 _params(["caller_id"], caller_id=_S), voice.get_caller_history, reads_only=True),
        ToolSpec("record_voice_note", "Leave a note for the hotel staff about this call.",
                 _params(["session_id", "note"], session_id=_SESSION, note=_S, audio_url=_S), voice.record_voice_note),
        ToolSpec("announce_to_session", "Play an announcement into a live call.",
                 _params(["session_id", "message"], session_id=_SESSION, message=_S), voice.announce_to_session),
        ToolSpec("format_for_voice", "Say data as speech.",
                 _params(["data", "kind"], data={}, kind={"type": "string", "enum": list(FORMATTERS)}), _format,
                 reads_only=True),
        ToolSpec("check_availability", "Rooms free for a stay.",
                 _params(["check_in"], check_in=_DATE, check_out=_DATE, nights=_I, guests=_I, room_type=_S),
                 hotel.check_availability, reads_only=True),
        ToolSpec("create_reservation", "Book a room once the guest has confirmed the details.",
                 _params(["check_in", "guest_name", "room_type"], check_in=_DATE, check_out=_DATE, nights=_I,
                         guests=_I, room_type=_S, guest_name=_S, phone=_S, session_id=_SESSION),
                 hotel.create_reservation),
        ToolSpec("find_reservation", "Look up a reservation by confirmation code or phone number.",
                 _params([], code=_S, caller=_S), hotel.find_reservation, reads_only=True),
        ToolSpec("cancel_reservation", "Cancel a reservation by confirmation code.",
                 _params(["code"], code=_S), hotel.cancel_reservation),
        ToolSpec("get_hotel_info", "A fact about the hotel: check-in, breakfast, parking, wifi, pool, pets, ...",
                 _params(["topic"], topic=_S), hotel.get_hotel_info, reads_only=True),
    ]
}  # fmt: skip


def check_arguments(spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    """Arguments checked against the schema, with numbers given as text turned into numbers."""
    properties = spec.parameters["properties"]
    unknown = sorted(set(args) - set(properties))
    if unknown:
        raise ToolError(
            "bad-arguments",
            f"{spec.name} takes no argument {', '.join(unknown)}; it takes {', '.join(properties)}",
        )
    missing = [name for name in spec.parameters["required"] if args.get(name) in (None, "")]
    if missing:
        raise ToolError("bad-arguments", f"{spec.name} needs {', '.join(missing)}")
    checked: dict[str, Any] = {}
    for name, value in args.items():
        kind = properties[name].get("type")
        if value is None:
            checked[name] = None
        elif kind == "integer":
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
            ):
                raise ToolError(
                    "bad-arguments", f"{spec.name}: {name} must be a whole number, got {value!r}"
                )
            checked[name] = int(value)
        elif kind == "string":
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise ToolError("bad-arguments", f"{spec.name}: {name} must be text, got {value!r}")
            checked[name] = str(value)
            pattern = properties[name].get("pattern")
            if pattern and not re.fullmatch(pattern, checked[name]):
                raise ToolError(
                    "bad-arguments", f"{spec.name}: {name} {value!r} is not of the form {pattern}"
                )
            allowed = properties[name].get("enum")
            if allowed and name != "department" and checked[name] not in allowed:
                raise ToolError(
                    "bad-arguments",
                    f"{spec.name}: {name} must be one of {', '.join(allowed)}, got {value!r}",
                )
        else:
            checked[name] = value
    return checked


@dataclass(frozen=True)
class Lookup:
    """One tool run: what it was asked and what it answered, not yet recorded."""

    name: str
    args: dict[str, Any]
    result: Result
    duration_ms: float


class Toolbox:
    """Runs tools by name, times them, and records every run with the call it belongs to."""

    def __init__(self, context: ToolContext) -> None:
        self.context = context

    @staticmethod
    def schemas() -> list[dict[str, Any]]:
        return [spec.schema() for spec in SPECS.values()]

    async def execute(self, name: str, /, **args: Any) -> Result:
        lookup = await self._run(name, args)
        self.record(lookup)
        return lookup.result

    async def _run(self, name: str, args: dict[str, Any]) -> Lookup:
        started = time.perf_counter()
        spec = SPECS.get(name)
        try:
            if spec is None:
                raise ToolError(
                    "unknown-tool", f"there is no tool {name!r}; the tools are {', '.join(SPECS)}"
                )
            result = await spec.run(self.context, **check_arguments(spec, args))
        except (ToolError, SessionError) as err:
            result = {"ok": False, "error": err.code, "message": err.message, "say": self._say_for(err)}
        except Exception as err:  # a tool bug must not end the call: log it whole, apologise
            _LOGGER.exception("tool %s failed", name)
            result = {
                "ok": False,
                "error": "tool-failed",
                "message": f"{type(err).__name__}: {err}",
                "say": self.context.lines.say("call.something_went_wrong"),
            }
        return Lookup(name, args, result, (time.perf_counter() - started) * 1000)

    def _say_for(self, err: ToolError | SessionError) -> str:
        lines = self.context.lines
        if err.code == "date-in-past":
            return lines.say("booking.date_passed_which")
        if err.code in ("unknown-room-type", "too-many-guests"):
            names = [r.name for r in self.context.desk.hotel.room_types]
            return lines.say("booking.unknown_room", rooms=lines.listing(names, "or"))
        return lines.say("call.say_again")

    def record(self, lookup: Lookup) -> None:
        """Keep one run: with its call, through the call's journal (the card rule judges its
        arguments after the caller's latest turns), or on its own, redacted."""
        session_id = lookup.args.get("session_id")
        session = self.context.sessions.find(session_id) if isinstance(session_id, str) else None
        ok = bool(lookup.result.get("ok"))
        run = ToolRun(lookup.name, lookup.args, lookup.result, ok, lookup.duration_ms, datetime.now(UTC))
        if session is not None and session.active:
            session.record_tool(run)
            return
        args, result = held(lookup.args), held(lookup.result)
        _LOGGER.info(
            "tool %s %s in %.0f ms", run.name, "ok" if ok else f"failed ({result.get('error')})",
            run.duration_ms, extra={"tool": run.name, "arguments": args},
        )  # fmt: skip
        self.context.desk.store.submit(
            calls.insert_tool_run, session_id if isinstance(session_id, str) else None,
            run.name, args, result, ok, run.duration_ms, run.timestamp, what=f"tool run {run.name}",
        )  # fmt: skip
