"""Twilio's REST API through the twilio library, at a configurable base URL (a fake server on
loopback in the tests). The library is blocking, so every request runs on a thread."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from appliance.config import TwilioSettings
from appliance.errors import ChannelError, ToolError

_LOGGER = logging.getLogger(__name__)


class TwilioRest:
    """Calls and messages of the hotel's Twilio account."""

    def __init__(self, settings: TwilioSettings) -> None:
        self._settings = settings
        self._client = Client(settings.account_sid, settings.auth_token)
        self._client.api.base_url = settings.api_base_url.rstrip("/")

    async def _run(self, what: str, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except TwilioRestException as err:
            raise ChannelError(
                "twilio-rest", f"Twilio refused to {what}: {err.status} code {err.code}: {err.msg}"
            ) from err
        except (TwilioException, OSError) as err:
            raise ChannelError("twilio-unreachable", f"could not {what}: {err}") from err

    async def update_call(self, call_sid: str, twiml: str) -> None:
        await self._run(
            f"redirect call {call_sid}", lambda: self._client.calls(call_sid).update(twiml=twiml)
        )

    async def hang_up(self, call_sid: str) -> None:
        await self._run(
            f"hang up call {call_sid}",
            lambda: self._client.calls(call_sid).update(status="completed"),
        )

    async def create_call(self, to: str, url: str, status_callback: str) -> str:
        call = await self._run(
            f"call {to}",
            lambda: self._client.calls.create(
                to=to, from_=self._settings.phone_number, url=url, status_callback=status_callback,
                status_callback_event=["initiated", "ringing", "answered", "completed"],
            ),
        )  # fmt: skip
        return str(call.sid)

    async def send(self, to: str, body: str) -> str:
        """The SmsSender the send_sms_confirmation tool uses."""
        if not self._settings.phone_number:
            raise ToolError(
                "sms-unavailable", "TWILIO_PHONE_NUMBER is not set: there is no number to text from"
            )
        try:
            message = await self._run(
                f"text {to}",
                lambda: self._client.messages.create(
                    to=to, from_=self._settings.phone_number, body=body
                ),
            )
        except ChannelError as err:
            raise ToolError("sms-failed", err.message) from err
        return str(message.sid)
