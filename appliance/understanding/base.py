"""What every understander offers, and what they share."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Protocol

import numpy as np

from appliance.understanding.commands import Command, Context

#: Sentences to unit vectors, on the encoder's worker thread.
Encode = Callable[[Sequence[str]], Awaitable[np.ndarray]]
Today = Callable[[], date]

QUESTION = re.compile(
    r"^(what|what's|whats|when|where|which|who|whom|why|how|is|are|do|does|did|can|could|will|"
    r"would|should|have|has|may|any|anything)\b"
)


class Understander(Protocol):
    """Turns one caller utterance, in its context, into commands for the flows."""

    name: str

    async def prepare(self) -> None:
        """Build what it needs (an index, a prompt) before the first caller."""
        ...

    async def understand(self, said: str, context: Context) -> list[Command]:
        """The caller's commands, in the order said; [] when nothing was said."""
        ...


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(QUESTION.search(text.strip().lower()))
