"""What every chat model backend offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


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
