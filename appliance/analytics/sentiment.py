"""The caller's mood, scored locally per turn, and when it calls for a person.

VADER (a lexicon and a few rules, no model) scores a sentence in well under a millisecond,
so it runs where the turn is handled. Scores run from -1.0 (angry) to 1.0 (delighted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from appliance.config import AnalyticsSettings

#: The per-turn metric in voice_analytics; the call's score is the mean of its turns.
TURN_METRIC = "caller_sentiment"
#: Turns shorter than this carry no mood worth counting ("No.", "Two people.").
MIN_MOOD_WORDS = 3
#: Two questions this alike (shared words over all their words) are the same question.
REPEAT_SIMILARITY = 0.6
#: Two turns in a row at or below this are frustration however they got there.
STRONGLY_NEGATIVE = -0.5
#: Words that say nothing about what was asked.
_STOP_WORDS = (
    "a an the and or but so to of in on at for is are was be i i'm me my you your we our it "
    "it's that this what when where how do does did can could would will please just um uh "
    "oh okay ok hi hello again"
)
_STOP = frozenset(_STOP_WORDS.split())


class SentimentScorer(Protocol):
    """Scores one sentence from -1.0 to 1.0."""

    def score(self, text: str) -> float: ...


class VaderScorer:
    """VADER's compound score: lexicon-based, local, no model to load."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])


def build_scorer(settings: AnalyticsSettings) -> SentimentScorer | None:
    return VaderScorer() if settings.sentiment == "vader" else None


def words_of(text: str) -> frozenset[str]:
    """The words of a turn that say what was asked."""
    return frozenset(w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _STOP)


@dataclass(frozen=True)
class EscalationPolicy:
    """When the agent offers a person: the mood keeps falling, or a question comes twice."""

    turns: int = 3
    drop: float = 0.3
    below: float = -0.2
    on_repeat: bool = True

    @classmethod
    def from_settings(cls, settings: AnalyticsSettings) -> EscalationPolicy | None:
        if not settings.escalation:
            return None
        return cls(
            settings.escalation_turns,
            settings.escalation_drop,
            settings.escalation_below,
            settings.escalation_on_repeat,
        )

    def falling(self, scores: Sequence[float]) -> bool:
        """The latest ``turns`` scores each lower than the one before, by ``drop`` in all,
        ending at or below ``below``; or the latest two both strongly negative."""
        if len(scores) >= 2 and all(s <= STRONGLY_NEGATIVE for s in scores[-2:]):
            return True
        if len(scores) < self.turns:
            return False
        window = scores[-self.turns :]
        decreasing = all(b < a for a, b in zip(window, window[1:], strict=False))
        return decreasing and window[0] - window[-1] >= self.drop and window[-1] <= self.below


@dataclass
class MoodWatch:
    """One call's caller turns as the escalation rule sees them."""

    policy: EscalationPolicy
    scores: list[float] = field(default_factory=list)
    #: The caller's questions so far: their words and the facts they asked for.
    questions: list[tuple[frozenset[str], tuple[str, ...]]] = field(default_factory=list)
    offered: bool = False

    def hear(
        self, said: str, score: float | None, topics: Sequence[str], question: bool
    ) -> str | None:
        """Take one caller turn; the reason to offer a person now, if there is one (once a call)."""
        reason = None
        if score is not None and len(said.split()) >= MIN_MOOD_WORDS:
            self.scores.append(score)
            if self.policy.falling(self.scores):
                reason = "caller sentiment kept falling"
        if self.policy.on_repeat and question:
            # The same question in nearly the same words (a follow-up on the same topic,
            # "how much is the parking", is not a repeat of "is there parking").
            words = words_of(said)
            repeated = len(words) >= 2 and any(
                len(words & before) / len(words | before) >= REPEAT_SIMILARITY
                and (not topics or not asked_topics or set(topics) & set(asked_topics))
                for before, asked_topics in self.questions
            )
            if reason is None and repeated:
                reason = "caller asked the same thing twice"
            if len(words) >= 2:
                self.questions.append((words, tuple(topics)))
        if reason is None or self.offered:
            return None
        self.offered = True
        return reason
