"""Tools that act on the call or the caller: transfer, hold, SMS, callbacks, notes, menus."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from appliance.errors import ToolError
from appliance.hotel.effects import ScheduleCallback, SendText, Transfer
from appliance.hotel.model import DEPARTMENTS, DepartmentId
from appliance.hotel.phones import normalize_phone
from appliance.privacy import redact
from appliance.store import desk as records
from appliance.tools.context import ToolContext

__all__ = ["DEPARTMENT_ALIASES", "department_id", "normalize_phone"]

Result = dict[str, Any]

DEPARTMENT_ALIASES = {
    "front_desk": ("front desk", "frontdesk", "reception", "receptionist", "desk", "concierge", "operator", "someone", "a person", "human"),
    "housekeeping": ("housekeeping", "house keeping", "cleaning", "towels", "room service"),
    "management": ("management", "manager", "duty manager", "supervisor"),
    "maintenance": ("maintenance", "engineering", "repair", "repairs", "technician"),
}  # fmt: skip


def department_id(name: str) -> DepartmentId:
    key = name.strip().lower().replace("_", " ").replace("-", " ")
    for dept in DEPARTMENTS:
        if key == dept.replace("_", " ") or key in DEPARTMENT_ALIASES[dept]:
            return dept
    raise ToolError(
        "bad-argument", f"unknown department {name!r}; use one of {', '.join(DEPARTMENT_ALIASES)}"
    )


async def transfer_to_human(
    ctx: ToolContext, session_id: str, department: str, reason: str = ""
) -> Result:
    dept = department_id(department)
    session = ctx.sessions.get(session_id)
    lines, who = ctx.lines, ctx.desk.department_words(dept)
    outcome = await ctx.desk.for_call(session, record=_not_again).perform(Transfer(dept, redact(reason)))
    if outcome.ok:
        return {"ok": True, "department": dept, "say": lines.say("handoff.connecting", who=who)}
    if outcome.problem is None:
        say = lines.say("handoff.no_line", who=who)
    else:
        say = lines.say("handoff.cannot", problem=outcome.problem, who=who)
    return {"ok": False, "department": dept, "alternative": "schedule_callback", "say": say}


def _not_again(run: Any) -> None:
    """The registry records an API client's tool run itself: the desk need not."""


async def play_hold_music(ctx: ToolContext, session_id: str) -> Result:
    problem = await ctx.sessions.get(session_id).control.play_hold_music()
    if problem:
        return {"ok": False, "say": ctx.lines.say("handoff.hold_failed", problem=problem)}
    return {"ok": True, "say": ctx.lines.say("handoff.hold")}


async def announce_to_session(ctx: ToolContext, session_id: str, message: str) -> Result:
    problem = await ctx.sessions.get(session_id).control.announce(message)
    if problem:
        return {"ok": False, "say": ctx.lines.say("handoff.not_connected", problem=problem)}
    return {"ok": True, "say": ""}


async def send_sms_confirmation(ctx: ToolContext, phone: str, message: str) -> Result:
    to = normalize_phone(phone)
    body = redact(message.strip())
    if not body:
        raise ToolError("bad-argument", "the text message is empty")
    if len(body) > 1600:
        raise ToolError(
            "bad-argument", f"the text message is {len(body)} characters; the limit is 1600"
        )
    sid = await ctx.desk.for_call(None).perform(SendText(to, body))
    if sid is None:
        return {"ok": False, "error": "sms-unavailable", "message": "text messages are not set up",
                "say": ctx.lines.say("handoff.sms_unavailable")}  # fmt: skip
    return {"ok": True, "sid": sid, "say": ctx.lines.say("handoff.sms_sent", phone=ctx.lines.phone(to))}


async def schedule_callback(
    ctx: ToolContext,
    time: str,
    reason: str,
    session_id: str | None = None,
    phone: str | None = None,
) -> Result:
    session = ctx.sessions.get(session_id) if session_id is not None else None
    if phone is None and session is None:
        raise ToolError(
            "bad-argument", "schedule_callback needs a phone number or a session with a caller id"
        )
    kept_reason = session.redact_in_context(reason) if session is not None else redact(reason)
    scheduled = await ctx.desk.for_call(session, record=_not_again).perform(
        ScheduleCallback(time, kept_reason, phone)
    )
    said = ctx.lines.say("callback.scheduled", phone=ctx.lines.phone(scheduled.phone), time=time.strip())
    return {"ok": True, "phone": scheduled.phone, "say": said}


async def record_voice_note(
    ctx: ToolContext, session_id: str, note: str, audio_url: str | None = None
) -> Result:
    session = ctx.sessions.get(session_id)
    note_id = f"VN{uuid.uuid4().hex[:12]}"
    await ctx.desk.store.write(
        records.insert_note, note_id, session_id, session.caller_id,
        session.redact_in_context(note), audio_url, datetime.now(UTC),
    )  # fmt: skip
    return {"ok": True, "note_id": note_id, "say": ctx.lines.say("handoff.noted")}


async def get_caller_history(ctx: ToolContext, caller_id: str) -> Result:
    count, last, reservations = await ctx.desk.store.read(records.caller_history, caller_id)
    upcoming = [r for r in reservations if r[2] == "confirmed" and r[1] >= ctx.desk.today()]
    lines = ctx.lines
    say = lines.say("handoff.welcome_back") if count else lines.say("handoff.first_call")
    if upcoming:
        say = lines.join(say, lines.say("handoff.your_reservation", code=upcoming[0][0]))
    return {
        "ok": True, "previous_calls": count, "last_call": last.isoformat() if last else None,
        "reservations": [{"code": r[0], "check_in": r[1].isoformat(), "status": r[2]} for r in reservations],
        "say": say,
    }  # fmt: skip


async def handle_ivr_menu(ctx: ToolContext, session_id: str, digit: str) -> Result:
    digit = digit.strip()
    ivr, lines = ctx.desk.hotel.ivr, ctx.lines
    target = ivr.get(digit)
    if target is None:
        options = lines.listing(
            [lines.say("call.key_option", key=d, choice=t.replace("_", " ")) for d, t in sorted(ivr.items())],
            "or",
        )
        return {
            "ok": False,
            "error": "not-an-option",
            "say": lines.say("call.key_not_an_option", key=digit or "?", options=options[0].upper() + options[1:]),
        }
    if target in DEPARTMENT_ALIASES:
        result = await transfer_to_human(ctx, session_id, target, f"menu option {digit}")
        return {**result, "intent": "transfer"}
    return {"ok": True, "intent": target, "say": ""}
