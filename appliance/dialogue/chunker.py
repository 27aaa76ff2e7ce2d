"""Reply text in pieces Piper can start on at once: sentences, with a short first piece."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+")
FIRST_CHUNK_MAX_WORDS = 8


def chunk_reply(text: str) -> list[str]:
    """Sentences in order; a long first sentence is split at its first clause break so the
    caller hears the start of the reply sooner."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences:
        return []
    first = sentences[0]
    if len(first.split()) > FIRST_CHUNK_MAX_WORDS:
        parts = _CLAUSE_BREAK.split(first, maxsplit=1)
        if len(parts) == 2 and 2 <= len(parts[0].split()) <= FIRST_CHUNK_MAX_WORDS + 4:
            return [parts[0], parts[1], *sentences[1:]]
    return sentences


def heard_text(chunks: list[str], played_ms: list[float], total_ms: list[float]) -> str:
    """What the caller actually heard: the chunks played to the end, and the share of the
    words of the chunk that was cut, in proportion to how much of it was played."""
    heard = []
    for chunk, played, total in zip(chunks, played_ms, total_ms, strict=False):
        if total <= 0 or played <= 0:
            break
        if played >= total - 1:
            heard.append(chunk)
            continue
        words = chunk.split()
        count = int(len(words) * played / total)
        if count:
            heard.append(" ".join(words[:count]) + "...")
        break
    return " ".join(heard)
