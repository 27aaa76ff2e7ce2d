"""What every chat model backend offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from appliance.config import LlmSettings


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    """Continues a conversation. Blocking: call it from the model's worker."""

    def complete(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> str:
        """The reply; ``temperature`` overrides the configured one (0: the most likely words)."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int | None = None
    ) -> Iterator[str]: ...

    def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], max_tokens: int
    ) -> str:
        """A completion held to the JSON ``schema`` (a grammar, or the server's JSON mode)."""
        ...


def chat_request(
    messages: Sequence[ChatMessage],
    max_tokens: int,
    settings: LlmSettings,
    temperature: float | None = None,
) -> dict[str, Any]:
    """The body of a chat completion, as llama.cpp and OpenAI-compatible servers take it."""
    return {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": max_tokens,
        "temperature": settings.temperature if temperature is None else temperature,
    }
