"""What a channel can do to its live call beyond talking: transfer, hold, announce, hang up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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

    async def transfer(self, number: str, department: str, reason: str) -> str | None:
        return f"I can't transfer a {_channel_words(self.channel)} to another line"

    async def play_hold_music(self) -> str | None:
        return f"I can't play hold music on a {_channel_words(self.channel)}"

    async def announce(self, message: str) -> str | None:
        return f"I can't make announcements on a {_channel_words(self.channel)}"

    async def hang_up(self) -> None:
        return None


def _channel_words(channel: str) -> str:
    return {
        "webrtc": "browser call",
        "kiosk": "lobby kiosk conversation",
        "phone": "phone call",
    }.get(channel, f"{channel} call")
