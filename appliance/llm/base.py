"""What every chat model backend offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    """Continues a conversation. Blocking: call it from the model's worker."""

    def complete(self, messages: Sequence[ChatMessage], max_tokens: int | None = None) -> str: ...

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int | None = None
    ) -> Iterator[str]: ...

    def complete_json(
        self, messages: Sequence[ChatMessage], schema: dict[str, Any], max_tokens: int
    ) -> str:
        """A completion held to the JSON ``schema`` (a grammar, or the server's JSON mode)."""
        ...
