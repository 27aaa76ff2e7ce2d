"""The caller's mood, scored locally per turn, and when it calls for a person.

VADER (a lexicon and a few rules, no model) scores a sentence in well under a millisecond,
so it runs where the turn is handled. Scores run from -1.0 (angry) to 1.0 (delighted).

A capable language model reads a mood better (sarcasm, negation, a complaint in polite
words). When one is configured and passes a check at start-up, it judges each caller turn
on its worker after the turn, and its judgment replaces VADER's score: in the stored turn,
in the call's score, and in the turns the escalation rule looks back on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from appliance.config import AnalyticsSettings
from appliance.errors import LlmError, ModelError
from appliance.llm.base import ChatMessage
from appliance.store.kpis import TURN_METRIC

if TYPE_CHECKING:
    from appliance.engines import Engines

_LOGGER = logging.getLogger(__name__)

#: The per-turn metric in voice_analytics; the call's score is the mean of its turns.
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
    """The immediate score: VADER, unless sentiment is off (a model's judgment, when there
    is one, comes later and replaces it)."""
    return None if settings.sentiment == "off" else VaderScorer()


class MoodTracker:
    """Scores each caller turn as the journal keeps it (at once), then, when a language model
    judges moods, replaces the score with its judgment (on its worker; the end of the call
    waits a little for judgments still out)."""

    def __init__(self, scorer: SentimentScorer, judge: MoodJudge | None = None) -> None:
        self.scorer = scorer
        #: Set once the language model has passed its check (``[analytics] sentiment``).
        self.judge = judge

    def watch(self, session: Any) -> None:
        session.journal.watch_turns(self.heard)

    def heard(self, session: Any, said: str, at: datetime) -> None:
        scored_at = session.journal.measure(TURN_METRIC, self.scorer.score(said))
        if self.judge is not None:
            session.journal.spawn(self._judge(session, said, scored_at), "mood judgment", settle=True)

    async def _judge(self, session: Any, said: str, scored_at: datetime) -> None:
        assert self.judge is not None
        score = await self.judge.judge(said)
        if score is None:
            return  # the first score stands
        session.judged[said] = score
        session.journal.revise(TURN_METRIC, scored_at, score)


class MoodJudge(Protocol):
    """Judges one caller turn from -1.0 to 1.0, off the event loop; None when it cannot."""

    async def judge(self, text: str) -> float | None: ...


#: The words the model answers with, and the score each stands for.
MOODS = {"angry": -1.0, "annoyed": -0.5, "neutral": 0.0, "pleased": 0.5, "delighted": 1.0}
_JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"mood": {"type": "string", "enum": list(MOODS)}},
    "required": ["mood"],
    "additionalProperties": False,
}
_JUDGE_PROMPT = (
    "You judge the mood of a hotel guest on the phone from one thing they said. Answer with "
    "the guest's mood, one of: angry, annoyed, neutral, pleased, delighted. A plain question "
    "or request is neutral. Sarcasm counts as what it means, not the words it uses. "
    'Answer in JSON: {"mood": "..."}'
)


class LlmMoodJudge:
    """The configured language model's judgment, on its worker, held to five moods by a
    JSON schema at temperature 0 (the same words get the same judgment)."""

    def __init__(self, engines: Engines, timeout_s: float = 10.0) -> None:
        self._engines = engines
        self._timeout_s = timeout_s

    async def judge(self, text: str) -> float | None:
        messages = [ChatMessage("system", _JUDGE_PROMPT), ChatMessage("user", text)]
        try:
            answer = await asyncio.wait_for(
                self._engines.llm.run(
                    lambda model, m: model.complete_json(m, _JUDGE_SCHEMA, 24), messages
                ),
                self._timeout_s,
            )
        except (LlmError, ModelError) as err:
            _LOGGER.warning("the model could not judge a mood: %s", err.message)
            return None
        except TimeoutError:
            _LOGGER.warning("the model took over %.0f s to judge a mood", self._timeout_s)
            return None
        return mood_score(answer)


def mood_score(answer: str) -> float | None:
    """The score of the model's JSON answer; None (and a log line) for anything else."""
    try:
        mood = json.loads(answer).get("mood")
    except (json.JSONDecodeError, AttributeError):
        mood = None
    if mood not in MOODS:
        _LOGGER.warning("the model's mood judgment is not one of %s: %.80r", ", ".join(MOODS), answer)
        return None
    return MOODS[mood]


#: Turns a model must judge rightly before its judgment replaces VADER's: (words, lowest
#: and highest acceptable score). VADER itself gets the sarcastic and the negated ones wrong.
JUDGE_PROBES = (
    ("This is the third time I've called and the heating still isn't fixed. It's ridiculous.", -1.0, -0.5),
    ("Oh great, just great. On hold for twenty minutes again. Wonderful service.", -1.0, -0.5),
    ("Thank you so much, you've been wonderful, that's perfect!", 0.5, 1.0),
    ("I'm not unhappy with the room at all, it was actually lovely.", 0.5, 1.0),
    ("I'd like to book a room for two nights in March.", 0.0, 0.5),
    ("What time does the pool close?", 0.0, 0.0),
)  # fmt: skip


async def judge_gate(judge: MoodJudge) -> bool:
    """Whether the model's judgment may replace VADER's: every probe judged within its
    range. The bundled 135M model does not pass."""
    for probe, lowest, highest in JUDGE_PROBES:
        score = await judge.judge(probe)
        if score is None or not lowest <= score <= highest:
            _LOGGER.info(
                "moods stay with VADER: the model judged %r as %s", probe,
                "nothing" if score is None else f"{score:+.1f}",
            )  # fmt: skip
            return False
    return True


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
    #: The words of each scored turn, so a later judgment can replace its score.
    scored: list[str] = field(default_factory=list)
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
            self.scored.append(said)
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

    def revise(self, judged: Mapping[str, float]) -> None:
        """Take the model's judgments of earlier turns (by their words) in place of the
        first scores."""
        for index, said in enumerate(self.scored):
            if said in judged:
                self.scores[index] = judged[said]
