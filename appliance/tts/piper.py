"""Piper (ONNX) as the Synthesizer."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig, SynthesisConfig

from appliance.audio.frames import AudioFrame
from appliance.config import TtsSettings
from appliance.errors import ModelError, TtsError

_LOGGER = logging.getLogger(__name__)


def voice_config_path(model_path: Path) -> Path:
    """Piper keeps a voice's settings beside it, as ``<voice>.onnx.json``."""
    return model_path.with_name(model_path.name + ".json")


def onnx_providers(wanted: str) -> list[str]:
    """CUDA first when asked for, or on "auto" when onnxruntime-gpu offers it; CPU always."""
    available = onnxruntime.get_available_providers()
    if wanted == "cuda" and "CUDAExecutionProvider" not in available:
        raise ModelError(
            "tts-load-failed",
            "[tts] device = \"cuda\" but onnxruntime has no CUDA provider (install.sh --gpu installs onnxruntime-gpu)",
        )
    if wanted in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class PiperSynthesizer:
    """One loaded Piper voice; owned by a single worker thread."""

    def __init__(self, model_path: Path, settings: TtsSettings) -> None:
        config_path = voice_config_path(model_path)
        try:
            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
            options = onnxruntime.SessionOptions()
            # Share the 2 cores with STT and the LLM instead of claiming all of them.
            options.intra_op_num_threads = settings.threads
            options.inter_op_num_threads = 1
            providers = onnx_providers(settings.device)
            session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=providers
            )
        except Exception as err:  # file errors, bad JSON, onnxruntime's own Fail/InvalidProtobuf
            raise ModelError(
                "tts-load-failed", f"{model_path}: cannot load the Piper voice: {err}"
            ) from err
        self._voice = PiperVoice(session=session, config=config)
        speaker = settings.speaker_id if config.num_speakers > 1 else None
        self._synthesis = SynthesisConfig(
            speaker_id=speaker,
            length_scale=settings.length_scale,
            noise_scale=settings.noise_scale,
            noise_w_scale=settings.noise_w_scale,
        )
        self.sample_rate_hz = config.sample_rate
        self.device = "cuda" if "CUDAExecutionProvider" in session.get_providers() else "cpu"

    def synthesize(self, text: str) -> Iterator[AudioFrame]:
        try:
            for chunk in self._voice.synthesize(text, syn_config=self._synthesis):
                yield AudioFrame(chunk.audio_int16_bytes, chunk.sample_rate)
        except Exception as err:
            raise TtsError("tts-failed", f"Piper could not speak {text[:60]!r}: {err}") from err

    def warm_up(self) -> None:
        for _ in self.synthesize("Good morning."):
            pass
