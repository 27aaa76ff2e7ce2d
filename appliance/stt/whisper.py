"""faster-whisper (CTranslate2) as the Transcriber."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soxr
from faster_whisper import WhisperModel

from appliance.audio.frames import AudioFrame
from appliance.config import SttSettings
from appliance.errors import ModelError, SttError
from appliance.stt.base import Transcript

_LOGGER = logging.getLogger(__name__)

WHISPER_RATE_HZ = 16000


class WhisperTranscriber:
    """One loaded faster-whisper model; owned by a single worker thread."""

    def __init__(self, model_path: Path, settings: SttSettings) -> None:
        try:
            # local_files_only: a path that is not a model directory must fail here, not
            # send faster-whisper off to a model hub.
            self._model = WhisperModel(
                str(model_path),
                device="cpu",
                compute_type=settings.compute_type,
                cpu_threads=settings.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        except Exception as err:  # CTranslate2 raises RuntimeError/ValueError/OSError variously
            raise ModelError(
                "stt-load-failed", f"{model_path}: cannot load the whisper model: {err}"
            ) from err
        self._settings = settings
        self.multilingual = bool(self._model.model.is_multilingual)

    def transcribe(self, audio: AudioFrame, language: str | None = None) -> Transcript:
        samples = audio.float_samples()
        if audio.sample_rate_hz != WHISPER_RATE_HZ:
            samples = soxr.resample(samples, audio.sample_rate_hz, WHISPER_RATE_HZ).astype(
                np.float32
            )
        wanted: str | None = language or self._settings.language
        if not self.multilingual:
            wanted = "en"
        elif wanted == "auto":
            wanted = None
        try:
            segments, info = self._model.transcribe(
                samples,
                language=wanted,
                beam_size=self._settings.beam_size,
                condition_on_previous_text=False,
                without_timestamps=True,
                vad_filter=False,
            )
            # The segments are a lazy generator: decoding happens here, on this thread.
            text = " ".join(s.text.strip() for s in segments).strip()
        except Exception as err:
            raise SttError(
                "stt-failed",
                f"whisper could not transcribe {audio.duration_ms:.0f} ms of audio: {err}",
            ) from err
        return Transcript(text=text, language=info.language, audio_duration_ms=audio.duration_ms)

    def warm_up(self) -> None:
        """Run one decode so the first caller does not pay for lazy initialisation."""
        rng = np.random.default_rng(0)
        noise = (rng.standard_normal(WHISPER_RATE_HZ) * 0.01).astype(np.float32)
        self.transcribe(AudioFrame.from_float(noise, WHISPER_RATE_HZ))
