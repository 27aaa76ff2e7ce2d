"""What a flow answers with: words to say, or a change in the world it needs first.

A flow never changes anything itself. It reads through the hotel port's reading side, and
when it must book, cancel, transfer, arrange a callback or send a text it returns an ``Act``:
the effect, and what to do with its outcome. A reply prepared while the caller may still go
on runs the flow until its first ``Act`` and stops there; a confirmed turn performs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from appliance.hotel.effects import Effect

T = TypeVar("T")

Outcome = Literal["completed", "transferred"]


@dataclass(frozen=True)
class Say:
    """The reply, and whether the call ends after it."""

    text: str
    end_call: bool = False
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Act(Generic[T]):
    """A change the flow needs before it can go on: ``then`` takes its outcome."""

    effect: Effect[T]
    then: Callable[[T], Awaitable[Step]]


Step = Say | Act[Any]


def prefixed(text: str, step: Step) -> Step:
    """``step`` with ``text`` said before its words (a fact asked alongside an action)."""
    if not text:
        return step
    if isinstance(step, Say):
        return Say(f"{text} {step.text}".strip(), step.end_call, step.outcome)
    act: Act[Any] = step

    async def then(outcome: Any) -> Step:
        return prefixed(text, await act.then(outcome))

    return Act(act.effect, then)


def followed(step: Step, text: str) -> Step:
    """``step`` with ``text`` said after its words."""
    if not text:
        return step
    if isinstance(step, Say):
        return Say(f"{step.text} {text}".strip(), step.end_call, step.outcome)
    act: Act[Any] = step

    async def then(outcome: Any) -> Step:
        return followed(await act.then(outcome), text)

    return Act(act.effect, then)
