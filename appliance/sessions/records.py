"""What a call's record is made of: its status, its turns and its tool runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class CallStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Message:
    turn_number: int
    role: str
    content: str
    timestamp: datetime
    latency_ms: float | None = None
    audio_url: str | None = None


@dataclass(frozen=True)
class ToolRun:
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    ok: bool
    duration_ms: float
    timestamp: datetime
