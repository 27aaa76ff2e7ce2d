"""What a channel can do to its live call beyond talking: transfer, hold, announce, hang up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from appliance.sentences import Catalogue, english


class CallControl(Protocol):
    """What a channel can do to its live call. Channels that cannot do a thing say so in
    words the agent can speak, and the tools offer the alternative."""

    channel: str

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        """Hand the call to ``number``; None when done, else why it cannot."""
        ...

    async def play_hold_music(self) -> str | None: ...

    async def announce(self, message: str) -> str | None: ...

    async def hang_up(self) -> None: ...


@dataclass
class NoCallControl:
    """A channel with no way to act on the call beyond talking (a browser, the kiosk, text)."""

    channel: str
    lines: Catalogue = field(default_factory=english)

    def _cannot(self, key: str) -> str:
        return self.lines.say(key, call=self.lines.call_name(self.channel))

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        return self._cannot("handoff.cannot_transfer")

    async def play_hold_music(self) -> str | None:
        return self._cannot("handoff.cannot_hold")

    async def announce(self, message: str) -> str | None:
        return self._cannot("handoff.cannot_announce")

    async def hang_up(self) -> None:
        return None
