"""The voice tools and hotel tools, as the hotel's earlier voice module offered them::

    from appliance.tools import execute_voice_tool, format_for_voice, transfer_to_human

Each function runs through the one registry: arguments are checked, the run is timed,
logged (redacted) and recorded with its call, and failures come back as results.
The running server installs the toolbox these use (``install_toolbox``).
"""

from __future__ import annotations

from typing import Any

from appliance.errors import ToolError
from appliance.tools.registry import SPECS, Toolbox
from appliance.tools.speech import format_for_voice

__all__ = [
    "SPECS", "Toolbox", "install_toolbox", "execute_voice_tool", "format_for_voice",
    "transfer_to_human", "play_hold_music", "send_sms_confirmation", "schedule_callback",
    "handle_ivr_menu", "get_caller_history", "record_voice_note", "announce_to_session",
    "check_availability", "create_reservation", "find_reservation", "cancel_reservation",
    "get_hotel_info",
]  # fmt: skip

_installed: Toolbox | None = None


def install_toolbox(toolbox: Toolbox | None) -> None:
    """Make ``toolbox`` the one the module-level functions use (None removes it)."""
    global _installed
    _installed = toolbox


async def execute_voice_tool(name: str, **args: Any) -> dict[str, Any]:
    """Run a tool by name. Never raises for a bad tool or bad arguments: see the result."""
    if _installed is None:
        raise ToolError(
            "tools-not-ready",
            "no toolbox is installed: the appliance server is not running in this process",
        )
    return await _installed.execute(name, **args)


async def transfer_to_human(session_id: str, department: str, reason: str = "") -> dict[str, Any]:
    return await execute_voice_tool(
        "transfer_to_human", session_id=session_id, department=department, reason=reason
    )


async def play_hold_music(session_id: str) -> dict[str, Any]:
    return await execute_voice_tool("play_hold_music", session_id=session_id)


async def send_sms_confirmation(phone: str, message: str) -> dict[str, Any]:
    return await execute_voice_tool("send_sms_confirmation", phone=phone, message=message)


async def schedule_callback(
    time: str, reason: str, session_id: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    return await execute_voice_tool(
        "schedule_callback", time=time, reason=reason, session_id=session_id, phone=phone
    )


async def handle_ivr_menu(session_id: str, digit: str) -> dict[str, Any]:
    return await execute_voice_tool("handle_ivr_menu", session_id=session_id, digit=digit)


async def get_caller_history(caller_id: str) -> dict[str, Any]:
    return await execute_voice_tool("get_caller_history", caller_id=caller_id)


async def record_voice_note(
    session_id: str, note: str, audio_url: str | None = None
) -> dict[str, Any]:
    return await execute_voice_tool(
        "record_voice_note", session_id=session_id, note=note, audio_url=audio_url
    )


async def announce_to_session(session_id: str, message: str) -> dict[str, Any]:
    return await execute_voice_tool("announce_to_session", session_id=session_id, message=message)


async def check_availability(check_in: str, **args: Any) -> dict[str, Any]:
    return await execute_voice_tool("check_availability", check_in=check_in, **args)


async def create_reservation(
    check_in: str, guest_name: str, room_type: str, **args: Any
) -> dict[str, Any]:
    return await execute_voice_tool(
        "create_reservation", check_in=check_in, guest_name=guest_name, room_type=room_type, **args
    )


async def find_reservation(code: str | None = None, caller: str | None = None) -> dict[str, Any]:
    return await execute_voice_tool("find_reservation", code=code, caller=caller)


async def cancel_reservation(code: str) -> dict[str, Any]:
    return await execute_voice_tool("cancel_reservation", code=code)


async def get_hotel_info(topic: str) -> dict[str, Any]:
    return await execute_voice_tool("get_hotel_info", topic=topic)
