"""What every text-to-speech backend offers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from appliance.audio.frames import AudioFrame


class Synthesizer(Protocol):
    """Speaks text. Blocking: call it from the model's worker."""

    sample_rate_hz: int

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        """One frame per sentence, as each is made."""
        ...
