"""Tools that act on the call or the caller: transfer, hold, SMS, callbacks, notes, menus."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from appliance.errors import ToolError
from appliance.privacy import redact
from appliance.tools.context import ToolContext
from appliance.tools.speech import say_list, say_phone

Result = dict[str, Any]

DEPARTMENT_ALIASES = {
    "front_desk": ("front desk", "frontdesk", "reception", "receptionist", "desk", "concierge", "operator", "someone", "a person", "human"),
    "housekeeping": ("housekeeping", "house keeping", "cleaning", "towels", "room service"),
    "management": ("management", "manager", "duty manager", "supervisor"),
    "maintenance": ("maintenance", "engineering", "repair", "repairs", "technician"),
}  # fmt: skip
_PHONE = re.compile(r"^\+?[1-9]\d{7,14}$")


def department_id(name: str) -> str:
    key = name.strip().lower().replace("_", " ").replace("-", " ")
    for dept, aliases in DEPARTMENT_ALIASES.items():
        if key == dept.replace("_", " ") or key in aliases:
            return dept
    raise ToolError(
        "bad-argument", f"unknown department {name!r}; use one of {', '.join(DEPARTMENT_ALIASES)}"
    )


def normalize_phone(phone: str) -> str:
    compact = re.sub(r"[\s\-().]", "", phone)
    if not _PHONE.match(compact):
        raise ToolError(
            "bad-argument", f"{phone!r} is not a phone number (E.164, like +15551234567)"
        )
    return (
        compact
        if compact.startswith("+")
        else f"+{compact}"
        if len(compact) > 10
        else f"+1{compact}"
    )


def _department_words(ctx: ToolContext, dept: str) -> str:
    info = ctx.hotel.departments.get(dept)
    return info.description if info else dept.replace("_", " ")


async def transfer_to_human(
    ctx: ToolContext, session_id: str, department: str, reason: str = ""
) -> Result:
    dept = department_id(department)
    session = ctx.sessions.get(session_id)
    who = _department_words(ctx, dept)
    number = getattr(ctx.departments, dept)
    if not number:
        return {
            "ok": False, "department": dept, "alternative": "schedule_callback",
            "say": f"I'm sorry, I can't put you through to {who} right now. Would you like {who} to call you back?",
        }  # fmt: skip
    problem = await session.control.transfer(number, dept, redact(reason))
    if problem:
        return {
            "ok": False, "department": dept, "alternative": "schedule_callback",
            "say": f"I'm sorry, {problem}. I can have {who} call you back instead. Would you like that?",
        }  # fmt: skip
    return {"ok": True, "department": dept, "say": f"I'm connecting you to {who} now. Please hold."}


async def play_hold_music(ctx: ToolContext, session_id: str) -> Result:
    problem = await ctx.sessions.get(session_id).control.play_hold_music()
    if problem:
        return {"ok": False, "say": f"I'm sorry, {problem}, but I'm still here with you."}
    return {"ok": True, "say": "Please hold for a moment."}


async def announce_to_session(ctx: ToolContext, session_id: str, message: str) -> Result:
    problem = await ctx.sessions.get(session_id).control.announce(message)
    if problem:
        return {"ok": False, "say": f"I'm sorry, {problem}."}
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
    try:
        sid = await ctx.sms.send(to, body)
    except ToolError as err:
        if err.code != "sms-unavailable":
            raise
        return {"ok": False, "error": err.code, "message": err.message,
                "say": "I'm sorry, I can't send text messages right now. I can read the details to you instead."}  # fmt: skip
    return {"ok": True, "sid": sid, "say": f"I've sent a text message to {say_phone(to)}."}


async def schedule_callback(
    ctx: ToolContext,
    time: str,
    reason: str,
    session_id: str | None = None,
    phone: str | None = None,
) -> Result:
    if phone is None and session_id is not None:
        phone = ctx.sessions.get(session_id).caller_id
    if not phone:
        raise ToolError(
            "bad-argument", "schedule_callback needs a phone number or a session with a caller id"
        )
    number = normalize_phone(phone)
    callback_id = f"CB{uuid.uuid4().hex[:12]}"
    session = ctx.sessions.find(session_id) if session_id is not None else None
    kept_reason = session.redact_in_context(reason) if session is not None else redact(reason)
    await ctx.store.write(
        lambda db: db.execute(
            "INSERT INTO callbacks VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            [callback_id, session_id, number, time.strip(), kept_reason, datetime.now(UTC)],
        )
    )
    return {"ok": True, "callback_id": callback_id, "phone": number,
            "say": f"I've scheduled a call back to {say_phone(number)}, {time.strip()}."}  # fmt: skip


async def record_voice_note(
    ctx: ToolContext, session_id: str, note: str, audio_url: str | None = None
) -> Result:
    session = ctx.sessions.get(session_id)
    note_id = f"VN{uuid.uuid4().hex[:12]}"
    await ctx.store.write(
        lambda db: db.execute(
            "INSERT INTO voice_notes VALUES (?, ?, ?, ?, ?, ?)",
            [
                note_id,
                session_id,
                session.caller_id,
                session.redact_in_context(note),
                audio_url,
                datetime.now(UTC),
            ],  # fmt: skip
        )
    )
    return {"ok": True, "note_id": note_id, "say": "I've noted that for the team."}


async def get_caller_history(ctx: ToolContext, caller_id: str) -> Result:
    def history(db: Any) -> tuple[Any, ...]:
        calls = db.execute(
            "SELECT count(*), max(start_time) FROM voice_calls WHERE caller_id = ? AND status <> 'active'",
            [caller_id],
        ).fetchone()
        reservations = db.execute(
            "SELECT code, check_in, status FROM reservations WHERE phone = ? ORDER BY check_in DESC",
            [caller_id],
        ).fetchall()
        return calls, reservations

    (count, last), reservations = await ctx.store.read(history)
    upcoming = [r for r in reservations if r[2] == "confirmed" and r[1] >= ctx.today()]
    say = "Welcome back!" if count else "This is your first call with us."
    if upcoming:
        say += f" I can see your reservation {upcoming[0][0]}."
    return {
        "ok": True, "previous_calls": count, "last_call": last.isoformat() if last else None,
        "reservations": [{"code": r[0], "check_in": r[1].isoformat(), "status": r[2]} for r in reservations],
        "say": say,
    }  # fmt: skip


async def handle_ivr_menu(ctx: ToolContext, session_id: str, digit: str) -> Result:
    digit = digit.strip()
    target = ctx.hotel.ivr.get(digit)
    if target is None:
        options = say_list(
            [f"press {d} for {t.replace('_', ' ')}" for d, t in sorted(ctx.hotel.ivr.items())], "or"
        )
        return {
            "ok": False,
            "error": "not-an-option",
            "say": f"Sorry, {digit or 'that'} is not an option. {options[0].upper()}{options[1:]}.",
        }
    if target in DEPARTMENT_ALIASES:
        result = await transfer_to_human(ctx, session_id, target, f"menu option {digit}")
        return {**result, "intent": "transfer"}
    return {"ok": True, "intent": target, "say": ""}
