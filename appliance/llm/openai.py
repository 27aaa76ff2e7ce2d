"""An OpenAI-compatible chat server as the ChatModel: vLLM, llama.cpp's server, Ollama, or a
GPU box a hotel group shares. Blocking HTTP on the model's worker thread, like llama.cpp."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from appliance.config import LlmSettings
from appliance.errors import LlmError, ModelError
from appliance.llm.base import ChatMessage, chat_request

_LOGGER = logging.getLogger(__name__)


class OpenAiChatModel:
    """Chat completions from ``[llm] base_url`` (``/v1`` included or not)."""

    def __init__(self, settings: LlmSettings) -> None:
        if not settings.base_url.startswith(("http://", "https://")):
            raise ModelError(
                "llm-load-failed",
                f'[llm] backend = "openai" needs base_url, an http(s) address; got {settings.base_url!r}',
            )
        base = settings.base_url.rstrip("/")
        self._url = (base if base.endswith("/v1") else base + "/v1") + "/chat/completions"
        self._settings = settings

    def _post(self, body: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        if self._settings.model:
            body["model"] = self._settings.model
        request = urllib.request.Request(
            self._url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        if self._settings.api_key:
            request.add_header("Authorization", f"Bearer {self._settings.api_key}")
        try:
            with urllib.request.urlopen(
                request, timeout=timeout_s or self._settings.timeout_s
            ) as reply:
                payload = reply.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode(errors="replace")
            raise LlmError("llm-failed", f"{self._url} answered {err.code}: {detail}") from err
        except TimeoutError as err:
            raise LlmError(
                "llm-timeout",
                f"{self._url} did not answer within {timeout_s or self._settings.timeout_s} s",
            ) from err
        except (urllib.error.URLError, OSError) as err:
            raise LlmError("llm-unreachable", f"{self._url} cannot be reached: {err}") from err
        try:
            answer = json.loads(payload)
            return dict(answer["choices"][0]["message"])
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise LlmError(
                "llm-bad-answer",
                f"{self._url} answered something that is not a chat completion: {payload[:200]!r}",
            ) from err

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
        body = self._request(messages, max_tokens, temperature)
        return str(self._post(body).get("content") or "").strip()

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int | None = None
    ) -> Iterator[str]:
        yield self.complete(messages, max_tokens)

    def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], max_tokens: int
    ) -> str:
        """A completion held to ``schema``: llama.cpp's server and vLLM read the schema from
        response_format (servers that ignore it still answer JSON, which is checked)."""
        body = self._request(messages, max_tokens)
        body["temperature"] = 0.0
        body["response_format"] = {"type": "json_object", "schema": schema}
        return str(self._post(body).get("content") or "")

    def warm_up(self) -> None:
        """One short request: a server that is down is named at start-up, not at the first call."""
        try:
            self.complete([ChatMessage("user", "Hello.")], max_tokens=1)
        except LlmError as err:
            _LOGGER.warning("the language model server is not answering yet: %s", err.message)

    @property
    def device(self) -> str:
        return f"server {self._url}"
