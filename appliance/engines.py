"""The models (speech-to-text, the language model, the voice and the sentence encoder), each
loaded, warmed up and then called on its own worker thread."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from appliance.config import MODEL_ROLES, Config
from appliance.errors import ModelError
from appliance.workers import ModelWorker

_LOGGER = logging.getLogger(__name__)

M = TypeVar("M")
R = TypeVar("R")


@dataclass(frozen=True)
class ModelStatus:
    """What /voice/health shows of one model: no guest data."""

    role: str
    path: str
    loaded: bool
    #: Where it runs: cpu, cuda, or the server it is reached at.
    device: str | None
    load_time_s: float | None
    warm_up_s: float | None
    error: str | None


class ModelHost(Generic[M]):
    """One model and the worker thread that owns it."""

    def __init__(
        self,
        role: str,
        path: Path,
        load: Callable[[], M],
        warm_up: Callable[[M], Any],
    ) -> None:
        self.role = role
        self.path = path
        self._load = load
        self._warm_up = warm_up
        self._worker = ModelWorker(f"model-{role}")
        self._model: M | None = None
        self._load_time_s: float | None = None
        #: How many calls the worker has run since start.
        self.calls = 0
        self._warm_up_s: float | None = None
        self._error: str | None = None

    @property
    def worker(self) -> ModelWorker:
        return self._worker

    @property
    def model(self) -> M:
        if self._model is None:
            raise ModelError(f"{self.role}-not-loaded", f"the {self.role} model is not loaded yet")
        return self._model

    async def start(self) -> None:
        """Load the model and warm it up, both on the worker thread."""
        started = time.perf_counter()
        try:
            model = await self._worker.call(self._load)
            self._load_time_s = time.perf_counter() - started
            warm_started = time.perf_counter()
            await self._worker.call(self._warm_up, model)
            self._warm_up_s = time.perf_counter() - warm_started
        except ModelError as err:
            self._error = err.message
            raise
        except Exception as err:
            self._error = f"{type(err).__name__}: {err}"
            raise ModelError(f"{self.role}-load-failed", f"{self.path}: {self._error}") from err
        self._model = model
        _LOGGER.info(
            "%s model loaded from %s in %.2f s, warmed up in %.2f s",
            self.role, self.path, self._load_time_s, self._warm_up_s,
        )  # fmt: skip

    async def run(self, fn: Callable[..., R], /, *args: Any) -> R:
        """Call ``fn(model, *args)`` on the model's worker thread."""
        self.calls += 1
        return await self._worker.call(fn, self.model, *args)

    async def run_when_free(self, fn: Callable[..., R], /, *args: Any) -> R:
        """Like ``run``, but behind every ``run`` queued before it starts (work that can wait)."""
        self.calls += 1
        return await self._worker.call_when_free(fn, self.model, *args)

    def status(self) -> ModelStatus:
        return ModelStatus(
            role=self.role,
            path=str(self.path),
            loaded=self._model is not None,
            device=getattr(self._model, "device", "cpu") if self._model is not None else None,
            load_time_s=None if self._load_time_s is None else round(self._load_time_s, 3),
            warm_up_s=None if self._warm_up_s is None else round(self._warm_up_s, 3),
            error=self._error,
        )

    def close(self) -> None:
        self._worker.shutdown()
        self._model = None


@dataclass
class Engines:
    """Speech-to-text, the language model, text-to-speech and the understander's sentence
    encoder, in-process."""

    stt: ModelHost[Any]
    llm: ModelHost[Any]
    tts: ModelHost[Any]
    nlu: ModelHost[Any]
    #: Speech of fixed prompts, rendered once (render_prompts), by the text of each piece.
    rendered: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    async def render_prompts(
        self, texts: Sequence[str], whole: Sequence[str] = (), when_free: bool = False
    ) -> int:
        """Synthesize fixed sentences once, so a call hears them with no wait on the voice's
        worker: every piece of ``whole`` (what the loop says unasked: the greeting, "Are you
        still there?"), and the first piece of each of ``texts`` (the agent's questions; the
        pieces after it are made while it plays). Only fixed sentences belong here: nothing a
        caller said is ever rendered ahead. ``when_free``: each piece waits behind what calls
        already asked the voice for."""
        from appliance.dialogue.chunker import chunk_reply

        pieces = {piece for text in whole for piece in chunk_reply(text)}
        pieces |= {chunk_reply(text)[0] for text in texts if text.strip()}
        pieces -= set(self.rendered)
        run = self.tts.run_when_free if when_free else self.tts.run
        for piece in sorted(pieces):
            self.rendered[piece] = tuple(
                await run(lambda model, text: list(model.synthesize(text)), piece)
            )
        return len(pieces)

    def hosts(self) -> tuple[ModelHost[Any], ...]:
        return (self.stt, self.llm, self.tts, self.nlu)

    async def encode(self, sentences: Sequence[str]) -> Any:
        """Sentence vectors from the encoder, on its worker."""
        return await self.nlu.run(lambda model, s: model.encode(s), list(sentences))

    async def start(self, roles: Collection[str] = MODEL_ROLES) -> None:
        """Load the models of ``roles`` not loaded yet; they load side by side, each on its
        own thread."""
        hosts = [h for h in self.hosts() if h.role in roles and not h.status().loaded]
        if not hosts:
            return
        # Native extensions (numpy among them) break when first imported from several
        # threads at once, so the backends are imported once, in one thread, beforehand.
        await asyncio.to_thread(import_backends)
        results = await asyncio.gather(*(h.start() for h in hosts), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            if not isinstance(failure, Exception):
                raise failure
        if failures:
            messages = [str(f) for f in failures]
            raise ModelError(
                "model-load-failed", "models failed to load:\n  " + "\n  ".join(messages)
            )

    @property
    def ready(self) -> bool:
        return all(h.status().loaded for h in self.hosts())

    def close(self) -> None:
        for host in self.hosts():
            host.close()


def import_backends() -> None:
    """Import the model backends (blocking, a second or two)."""
    from appliance.gpu import preload_cuda_libraries

    preload_cuda_libraries()
    import appliance.llm.llama
    import appliance.stt.whisper
    import appliance.tts.piper
    import appliance.understanding.encoder  # noqa: F401


def load_model(config: Config, role: str) -> Any:
    """Load the configured model of ``role`` (blocking). Backends are imported here so that
    commands which never load a model stay quick."""
    path = config.model_path(role)
    if role == "stt":
        from appliance.stt.whisper import WhisperTranscriber

        return WhisperTranscriber(path, config.stt)
    if role == "llm":
        if config.llm.backend == "openai":
            from appliance.llm.openai import OpenAiChatModel

            return OpenAiChatModel(config.llm)
        from appliance.llm.llama import LlamaChatModel

        return LlamaChatModel(path, config.llm)
    if role == "tts":
        from appliance.tts.piper import PiperSynthesizer

        return PiperSynthesizer(path, config.tts)
    if role == "nlu":
        from appliance.understanding.encoder import MiniLmEncoder

        return MiniLmEncoder(path)
    raise ValueError(f"unknown model role {role!r}")


def _warm_up(model: Any) -> None:
    model.warm_up()


def build_engines(config: Config) -> Engines:
    """The model hosts for ``config``, not loaded yet."""
    hosts = {
        role: ModelHost(
            role, config.model_path(role), functools.partial(load_model, config, role), _warm_up
        )
        for role in MODEL_ROLES
    }
    return Engines(stt=hosts["stt"], llm=hosts["llm"], tts=hosts["tts"], nlu=hosts["nlu"])
