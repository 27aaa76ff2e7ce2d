"""Phone numbers as the hotel keeps them: E.164."""

from __future__ import annotations

import re

from appliance.errors import ToolError

_PHONE = re.compile(r"^\+?[1-9]\d{7,14}$")


def normalize_phone(phone: str) -> str:
    """'(555) 123-4567' -> '+15551234567'; a ToolError naming it when it is no number."""
    compact = re.sub(r"[\s\-().]", "", phone)
    if not _PHONE.match(compact):
        raise ToolError(
            "bad-argument", f"{phone!r} is not a phone number (E.164, like +15551234567)"
        )
    if compact.startswith("+"):
        return compact
    return f"+{compact}" if len(compact) > 10 else f"+1{compact}"
