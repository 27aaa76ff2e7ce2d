"""What every speech-to-text backend offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from appliance.audio.frames import AudioFrame


@dataclass(frozen=True)
class Transcript:
    """What was said in one utterance."""

    text: str
    language: str
    audio_duration_ms: float


class Transcriber(Protocol):
    """Turns one utterance of audio into text. Blocking: call it from the model's worker."""

    def transcribe(self, audio: AudioFrame, language: str | None = None) -> Transcript: ...
