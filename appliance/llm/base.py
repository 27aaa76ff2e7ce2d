"""What every chat model backend offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ToolCall:
    """The model's choice of a tool, with its arguments."""

    name: str
    arguments: dict[str, Any]


class ChatModel(Protocol):
    """Continues a conversation. Blocking: call it from the model's worker."""

    def complete(self, messages: Sequence[ChatMessage], max_tokens: int | None = None) -> str: ...

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int | None = None
    ) -> Iterator[str]: ...

    def choose_tool(
        self,
        messages: Sequence[ChatMessage],
        tools: list[dict[str, Any]],
        forced: str | None = None,
    ) -> ToolCall | str:
        """A tool call under the tools' JSON schemas, or a plain reply."""
        ...
