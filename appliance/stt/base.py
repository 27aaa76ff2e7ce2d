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
    #: The recogniser's mean log-probability per token of ``text`` (0 is certain; below
    #: about -0.7 whisper is guessing), and its estimate that there was no speech at all.
    #: None where the backend gives none.
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    #: The recogniser doubts these words (its confidence is below what it is sure of):
    #: what they say is read back to the caller before it is relied on.
    doubtful: bool = False


class Transcriber(Protocol):
    """Turns one utterance of audio into text. Blocking: call it from the model's worker."""

    def transcribe(
        self, audio: AudioFrame, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """``prompt`` is text the utterance is likely to resemble (what the conversation
        expects next); it biases the decoding towards its words and never appears in it."""
        ...
