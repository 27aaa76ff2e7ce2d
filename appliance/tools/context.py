"""What tools act on: the live sessions, the hotel, its reservations, its phones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from appliance.config import DepartmentSettings
from appliance.errors import ToolError
from appliance.hotel.model import Hotel
from appliance.hotel.reservations import PropertySystem
from appliance.sessions import SessionManager
from appliance.store.database import Store


class SmsSender(Protocol):
    """Sends a text message; returns the provider's message id."""

    async def send(self, to: str, body: str) -> str: ...


class NoSms:
    """Text messages need the hotel's Twilio account; without it the agent says so."""

    async def send(self, to: str, body: str) -> str:
        raise ToolError(
            "sms-unavailable",
            "text messages are not set up: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER are needed",
        )


@dataclass
class ToolContext:
    sessions: SessionManager
    store: Store
    hotel: Hotel
    reservations: PropertySystem
    departments: DepartmentSettings
    sms: SmsSender = field(default_factory=NoSms)
    today: Callable[[], date] = date.today
