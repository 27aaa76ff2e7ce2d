"""faster-whisper (CTranslate2) as the Transcriber."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import ctranslate2
import numpy as np
import soxr
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from appliance.audio.frames import AudioFrame
from appliance.config import SttSettings
from appliance.errors import ModelError, SttError
from appliance.stt.base import Transcript

_LOGGER = logging.getLogger(__name__)

WHISPER_RATE_HZ = 16000
#: Mel frames per second of audio (whisper's 10 ms hop).
FRAMES_PER_S = 100
#: Tokens whisper may write per second of speech, and a floor for very short utterances.
TOKENS_PER_S = 8
MIN_TOKENS = 24
SHORT_WINDOW_MARGIN_S = 3.0
_TRAILING_DOTS = re.compile(r"(?:\s*(?:\.\.\.|…|\.\s\.\s\.|\"))+\s*$")


def whisper_device(wanted: str) -> str:
    """"cuda" when asked for, or on "auto" when CTranslate2 sees an NVIDIA GPU; else "cpu"."""
    if wanted != "auto":
        return wanted
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def _compute_type(configured: str, device: str) -> str:
    # int8 is the CPU default; on a GPU int8 weights with float16 arithmetic keep the speed.
    return "int8_float16" if device == "cuda" and configured == "int8" else configured


class WhisperTranscriber:
    """One loaded faster-whisper model; owned by a single worker thread."""

    def __init__(self, model_path: Path, settings: SttSettings) -> None:
        try:
            # local_files_only: a path that is not a model directory must fail here, not
            # send faster-whisper off to a model hub.
            device = whisper_device(settings.device)
            self._model = WhisperModel(
                str(model_path),
                device=device,
                compute_type=_compute_type(settings.compute_type, device),
                cpu_threads=settings.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        except Exception as err:  # CTranslate2 raises RuntimeError/ValueError/OSError variously
            raise ModelError(
                "stt-load-failed", f"{model_path}: cannot load the whisper model: {err}"
            ) from err
        self._settings = settings
        self.device = device
        self.multilingual = bool(self._model.model.is_multilingual)
        self._short_tokenizers: dict[str, Tokenizer] = {}

    def transcribe(
        self, audio: AudioFrame, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
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
        duration_s = len(samples) / WHISPER_RATE_HZ
        window_s = self._settings.short_window_s
        # Whisper invents words to fill a window the speech nearly covers: keep some quiet.
        if wanted is not None and window_s and duration_s <= window_s - SHORT_WINDOW_MARGIN_S:
            text, avg_logprob, no_speech = self._short(samples, wanted, window_s, prompt)
            return Transcript(
                text, wanted, audio.duration_ms, avg_logprob, no_speech, self._doubts(avg_logprob)
            )
        try:
            segments, info = self._model.transcribe(
                samples,
                language=wanted,
                beam_size=self._settings.beam_size,
                condition_on_previous_text=False,
                initial_prompt=prompt,
                without_timestamps=True,
                vad_filter=False,
            )
            # The segments are a lazy generator: decoding happens here, on this thread.
            decoded = list(segments)
        except Exception as err:
            raise SttError(
                "stt-failed",
                f"whisper could not transcribe {audio.duration_ms:.0f} ms of audio: {err}",
            ) from err
        text = " ".join(s.text.strip() for s in decoded).strip()
        logprob: float | None = min((s.avg_logprob for s in decoded), default=None)
        return Transcript(
            text=text,
            language=info.language,
            audio_duration_ms=audio.duration_ms,
            avg_logprob=logprob,
            no_speech_prob=max((s.no_speech_prob for s in decoded), default=None),
            doubtful=logprob is not None and self._doubts(logprob),
        )

    def _doubts(self, avg_logprob: float) -> bool:
        floor = self._settings.doubt_below_logprob
        return floor is not None and avg_logprob < floor

    def _short(
        self, samples: np.ndarray, language: str, window_s: float, prompt: str | None
    ) -> tuple[str, float, float]:
        """An utterance that fits a short window, decoded in one pass over that window.

        faster-whisper always pads to whisper's 30 s window, so the encoder costs the same
        for "yes" as for half a minute: about 0.4 s here for tiny.en. A caller's turn is a
        few seconds; encoding a 10 s window instead is about five times faster and reads
        the same. Windows much shorter than that make whisper repeat itself.

        A ``prompt`` goes before the start of the transcript, as whisper's own "previous
        text" does (faster-whisper's ``initial_prompt``). Returns the text, its mean
        log-probability per token and the no-speech probability.
        """
        tokenizer = self._short_tokenizers.get(language)
        if tokenizer is None:
            tokenizer = Tokenizer(
                self._model.hf_tokenizer, self.multilingual, task="transcribe", language=language
            )
            self._short_tokenizers[language] = tokenizer
        features = self._model.feature_extractor(samples)
        frames = int(window_s * FRAMES_PER_S)
        padded = np.zeros((features.shape[0], frames), dtype=np.float32)
        used = min(frames, features.shape[1])
        padded[:, :used] = features[:, :used]
        start = self._prompt_tokens(tokenizer, prompt)
        try:
            result = self._model.model.generate(
                ctranslate2.StorageView.from_array(padded[np.newaxis]),
                [start],
                beam_size=self._settings.beam_size,
                # The length counts the prompt too.
                max_length=len(start)
                + MIN_TOKENS
                + int(TOKENS_PER_S * len(samples) / WHISPER_RATE_HZ),
                suppress_blank=True,
                suppress_tokens=list(get_suppressed_tokens(tokenizer, (-1,)) or ()),
                repetition_penalty=1.1,
                no_repeat_ngram_size=4,
                return_scores=True,
                return_no_speech_prob=True,
            )
        except Exception as err:
            raise SttError(
                "stt-failed",
                f"whisper could not transcribe {len(samples) / WHISPER_RATE_HZ:.1f} s of audio: {err}",
            ) from err
        tokens = [t for t in result[0].sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(tokens).strip()
        if _TRAILING_DOTS.search(text):
            text = _TRAILING_DOTS.sub("...", text)
        # CTranslate2's score is the summed log-probability over the length (penalty 1):
        # spread over the tokens and the end of text, as faster-whisper's avg_logprob is.
        length = max(1, len(result[0].sequences_ids[0]))
        avg_logprob = result[0].scores[0] * length / (length + 1)
        return text, float(avg_logprob), float(result[0].no_speech_prob)

    @staticmethod
    def _prompt_tokens(tokenizer: Tokenizer, prompt: str | None) -> list[int]:
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        if not prompt or not prompt.strip():
            return start
        # At most the last 100 tokens of it: a prompt is a hint, not a script.
        return [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[-100:], *start]

    def warm_up(self) -> None:
        """Run one decode so the first caller does not pay for lazy initialisation."""
        rng = np.random.default_rng(0)
        noise = (rng.standard_normal(WHISPER_RATE_HZ) * 0.01).astype(np.float32)
        self.transcribe(AudioFrame.from_float(noise, WHISPER_RATE_HZ))
