"""Reply text in pieces Piper can start on at once: sentences, with a short first piece."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
FIRST_CHUNK_MAX_WORDS = 8
#: Words a sentence can be cut before without sounding broken ("...10:30 AM | in the Harbor Room").
_BREAK_WORDS = {
    "from",
    "in",
    "at",
    "on",
    "with",
    "and",
    "but",
    "to",
    "for",
    "every",
    "until",
    "which",
    "where",
    "so",
    "or",
}


def chunk_reply(text: str) -> list[str]:
    """Sentences in order; a long first sentence is cut at a clause break, or before a
    preposition, so the caller hears the start of the reply sooner."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if not sentences:
        return []
    return [*_split_first(sentences[0]), *sentences[1:]]


def _split_first(sentence: str) -> list[str]:
    words = sentence.split()
    if len(words) <= FIRST_CHUNK_MAX_WORDS:
        return [sentence]
    for i in range(2, min(len(words) - 2, FIRST_CHUNK_MAX_WORDS + 4)):
        if words[i].endswith((",", ";", ":")):
            return [" ".join(words[: i + 1]), " ".join(words[i + 1 :])]
    for i in range(3, min(len(words) - 2, FIRST_CHUNK_MAX_WORDS + 2)):
        if words[i].lower() in _BREAK_WORDS:
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [sentence]


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
