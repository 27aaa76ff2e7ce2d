"""llama.cpp (llama-cpp-python) as the ChatModel."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from llama_cpp import Llama, llama_supports_gpu_offload

from appliance.config import LlmSettings
from appliance.errors import LlmError, ModelError
from appliance.llm.base import ChatMessage, chat_request

_LOGGER = logging.getLogger(__name__)

WARM_UP_SYSTEM_PROMPT = "You are the front desk of a hotel. Answer in one short sentence."


class LlamaChatModel:
    """One llama.cpp context; it runs one completion at a time, so its worker queues calls."""

    def __init__(self, model_path: Path, settings: LlmSettings) -> None:
        if not model_path.is_file():
            raise ModelError("llm-load-failed", f"{model_path}: not a GGUF file")
        gpu = settings.device in ("auto", "cuda") and llama_supports_gpu_offload()
        if settings.device == "cuda" and not gpu:
            raise ModelError(
                "llm-load-failed",
                '[llm] device = "cuda" but llama.cpp was built without GPU support (install.sh --gpu builds it with CUDA)',
            )
        self.device = "cuda" if gpu else "cpu"
        try:
            self._llama = Llama(
                model_path=str(model_path),
                n_gpu_layers=-1 if gpu else 0,
                n_ctx=settings.context_tokens,
                n_threads=settings.threads,
                n_threads_batch=settings.threads,
                chat_format=settings.chat_format or None,
                verbose=False,
            )
        except Exception as err:  # llama.cpp reports a bad file as ValueError/RuntimeError
            raise ModelError(
                "llm-load-failed", f"{model_path}: cannot load the GGUF model: {err}"
            ) from err
        self._settings = settings

    def _request(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None = None,
    ) -> dict[str, Any]:
        return chat_request(
            messages, max_tokens or self._settings.max_reply_tokens, self._settings, temperature
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> str:
        try:
            result: Any = self._llama.create_chat_completion(
                **self._request(messages, max_tokens, temperature)
            )
        except Exception as err:
            raise LlmError("llm-failed", f"llama.cpp completion failed: {err}") from err
        return str(result["choices"][0]["message"]["content"] or "").strip()

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int | None = None
    ) -> Iterator[str]:
        try:
            chunks: Any = self._llama.create_chat_completion(
                **self._request(messages, max_tokens), stream=True
            )
            for chunk in chunks:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text
        except Exception as err:
            raise LlmError("llm-failed", f"llama.cpp streaming completion failed: {err}") from err

    def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], max_tokens: int
    ) -> str:
        """A completion held by a grammar to ``schema``'s JSON."""
        try:
            result: Any = self._llama.create_chat_completion(
                **{**chat_request(messages, max_tokens, self._settings), "temperature": 0.0},
                response_format={"type": "json_object", "schema": schema},
            )
        except Exception as err:
            raise LlmError("llm-failed", f"llama.cpp JSON completion failed: {err}") from err
        return str(result["choices"][0]["message"]["content"] or "")

    def warm_up(self) -> None:
        """Evaluate a first prompt: the cold first completion is several times slower."""
        self.complete(
            [ChatMessage("system", WARM_UP_SYSTEM_PROMPT), ChatMessage("user", "Hello.")],
            max_tokens=4,
        )
