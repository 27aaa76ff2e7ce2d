"""What a call's loop tells its channel as it happens: words heard and said, tools run, the
end. A browser shows them live; every text is already held to the card rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallerSaid:
    """The caller's words: ``final`` once the turn is taken, a partial guess before that."""

    text: str
    final: bool


@dataclass(frozen=True)
class AgentSays:
    """A reply is starting to play."""

    text: str


@dataclass(frozen=True)
class AgentHeard:
    """What of the reply the caller actually heard; ``interrupted`` when they cut it off."""

    text: str
    interrupted: bool


@dataclass(frozen=True)
class ToolUsed:
    name: str
    ok: bool


@dataclass(frozen=True)
class CallEnded:
    status: str


CallEvent = CallerSaid | AgentSays | AgentHeard | ToolUsed | CallEnded
