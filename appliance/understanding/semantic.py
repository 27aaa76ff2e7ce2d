"""The semantic understander: a caller's words against example phrasings, by meaning.

Every meaning the appliance acts on (each command, each fact of the hotel file) has example
phrasings, written in examples.toml or taken from hotel.toml (FAQ questions and keywords,
amenity texts, room names and descriptions). A sentence encoder maps all of them and the
caller's words to vectors; the nearest examples decide, if they are close enough and
clearly closer than any example of another meaning. Below that margin the turn is Unclear
and the flows ask again or offer the front desk. Slots come from the slot extractors.
"""

from __future__ import annotations

import logging
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.config import UnderstandingSettings
from appliance.hotel.facts import topics
from appliance.hotel.model import Hotel
from appliance.understanding import commands as c
from appliance.understanding.base import Encode, Today, is_question
from appliance.understanding.slots import (
    callback_time,
    extract_slots,
    find_code,
    normalize,
)

_LOGGER = logging.getLogger(__name__)

EXAMPLES_FILE = Path(__file__).with_name("examples.toml")
_DEPARTMENT_WORDS = {
    "housekeeping": re.compile(r"\bhouse ?keeping\b|\bmaid\b"),
    "maintenance": re.compile(r"\bmaintenance\b|\bengineering\b|\btechnician\b|\bhandyman\b"),
    "management": re.compile(r"\bmanager\b|\bmanagement\b|\bsupervisor\b|\bsomeone in charge\b"),
}
_YES = re.compile(
    r"^(yes|yeah|yep|yup|yah|ya|sure|correct|right|ok|okay|alright|all right|please do|go ahead|"
    r"absolutely|definitely|of course|perfect|great|sounds good|that's right|that is right|"
    r"that's correct|exactly|uh huh|mhm|do it|book it|confirm|please)\b"
)
_NO = re.compile(r"^(no|nope|nah|not really|no thanks|no thank you|don't|do not|negative|wrong)\b")
_GOODBYE = re.compile(
    r"\b(bye|goodbye|good bye|that's all|that is all|that'll be all|nothing else|that's it|"
    r"that's everything|have a (good|nice|great) (day|night|evening)|hang up)\b"
)
_BYE = re.compile(r"\b(bye|goodbye|good bye|bye bye|have a (good|nice|great) (day|night|evening))\b")
# A new request after "and"/"also": where one utterance holds two.
_SPLIT = re.compile(
    r"(?<=[?.!])\s+|\s*;\s*|,?\s+(?:and|also|plus|oh and|and also)\s+"
    r"(?=(?:what|what's|when|where|which|how|is|are|do|does|can|could|will|would|i'd|i'd like|"
    r"i want|i need|i would|please|there's|the|my|we|our)\b)",
    re.IGNORECASE,
)
_INSTEAD = re.compile(r"\b(instead|actually|make (it|that)|rather|switch|change|move)\b")
_SLOT_KINDS = ("book", "slots", "change", "affirm", "deny", "unclear")
#: Context slots that mean a bare answer is a booking detail.
_BOOKING_SLOTS = ("check_in", "nights", "guests", "room_type", "name", "phone")


@dataclass(frozen=True)
class Index:
    labels: tuple[str, ...]
    #: One unit vector per example; row i belongs to labels[owner[i]].
    vectors: np.ndarray
    owner: np.ndarray


def example_phrasings(hotel: Hotel, path: Path = EXAMPLES_FILE) -> dict[str, list[str]]:
    """Every label with its example phrasings: the package's and the hotel file's."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {k: list(v) for k, v in raw["commands"].items()}
    written = raw["topics"]
    for key, topic in topics(hotel).items():
        phrases = list(written.get(key, []))
        if key.startswith("room:"):
            room = next(r for r in hotel.room_types if f"room:{r.id}" == key)
            phrases += [t.format(name=room.name) for t in raw["room_templates"]["phrases"]]
        phrases += list(topic.seeds)
        if not phrases:
            name = key.replace("_", " ")
            phrases = [f"tell me about the {name}", f"is there a {name}", name]
        examples[f"ask:{key}"] = phrases
    for dept in hotel.departments.values():
        label = f"handoff:{dept.id}"
        examples.setdefault(label, []).append(f"connect me to {dept.description}")
    return {label: [p for p in phrases if p.strip()] for label, phrases in examples.items()}


class SemanticUnderstander:
    """Commands from the nearest example phrasings; slots from the slot extractors."""

    name = "semantic"

    def __init__(
        self, hotel: Hotel, encode: Encode, today: Today, settings: UnderstandingSettings
    ) -> None:
        self.hotel = hotel
        self._encode = encode
        self._today = today
        self._settings = settings
        self._index: Index | None = None

    async def prepare(self) -> None:
        if self._index is not None:
            return
        started = time.perf_counter()
        examples = example_phrasings(self.hotel)
        labels = tuple(examples)
        sentences = [normalize(p) for label in labels for p in examples[label]]
        owner = np.array([i for i, label in enumerate(labels) for _ in examples[label]])
        vectors = await self._encode(sentences)
        self._index = Index(labels, vectors, owner)
        _LOGGER.info(
            "understanding index: %d phrasings of %d meanings in %.2f s",
            len(sentences), len(labels), time.perf_counter() - started,
        )  # fmt: skip

    async def classify(self, segments: list[str]) -> list[tuple[str, float, str, float]]:
        """Per segment: the best label and its score, the runner-up label and its score."""
        await self.prepare()
        index = self._index
        assert index is not None
        vectors = await self._encode(segments)
        results = []
        for row in vectors @ index.vectors.T:
            best = np.full(len(index.labels), -1.0, dtype=np.float32)
            np.maximum.at(best, index.owner, row)
            first, second = np.argsort(best)[::-1][:2]
            results.append(
                (index.labels[first], float(best[first]), index.labels[second], float(best[second]))
            )
        return results

    async def understand(self, said: str, context: c.Context) -> list[c.Command]:
        text = normalize(said)
        if not text:
            return []
        today = self._today()
        slots = extract_slots(said, self.hotel, today, context.expecting)
        answered = self._bare_answer(text, slots, context)
        if answered is not None:
            return answered
        segments = [s for s in (normalize(p) for p in _SPLIT.split(said)) if s] or [text]
        if len(segments) > 1 and any(len(s.split()) < 2 for s in segments):
            segments = [text]
        judged = await self.classify(segments)
        labels: list[str] = []
        slot_text: list[str] = []
        for segment, (label, score, runner_up, second) in zip(segments, judged, strict=True):
            decided = self._decide(segment, label, score, runner_up, second, context)
            _LOGGER.debug(
                "understood %r as %s (%.2f; %s %.2f)", segment, decided, score, runner_up, second
            )
            if decided not in labels:
                labels.append(decided)
            if decided in _SLOT_KINDS or decided.startswith("book"):
                slot_text.append(segment)
        if len(segments) > 1 and slot_text:
            slots = extract_slots(" ".join(slot_text), self.hotel, today, context.expecting)
        return self._commands(text, labels, slots if slot_text else c.SetSlots(), context)

    def _bare_answer(
        self, text: str, slots: c.SetSlots, context: c.Context
    ) -> list[c.Command] | None:
        """A short answer to the question just asked: yes/no, the detail asked for, a code."""
        words = len(text.split())
        given = slots.given()
        if context.expecting == "callback_time" and words <= 12 and (when := callback_time(text)):
            return [c.Callback(when)]
        if context.pending and words <= 8 and _BYE.search(text) and not given:
            return [c.Goodbye()]
        if context.expecting == "code":
            code = find_code(text, expecting=True)
            if code and words <= 14:
                return [c.FindReservation(code)]
        if context.pending and words <= 6:
            yes, no = bool(_YES.search(text)), bool(_NO.search(text))
            if yes != no:
                answer: list[c.Command] = [c.Affirm() if yes else c.Deny()]
                if given:
                    answer.append(slots)
                if no and _GOODBYE.search(text):
                    answer.append(c.Goodbye())
                return answer
        if context.expecting == "anything_else" and words <= 8 and _NO.search(text):
            return [c.Deny(), c.Goodbye()] if _GOODBYE.search(text) or "thank" in text else [c.Deny()]
        if context.expecting in _BOOKING_SLOTS and given and words <= (20 if slots.phone else 8):
            expected = context.expecting
            heard = {"check_in": "check_in", "nights": "nights", "guests": "guests",
                     "room_type": "room_type", "name": "name", "phone": "phone"}[expected]  # fmt: skip
            answered = heard in given or (expected == "phone" and slots.use_caller_number)
            if answered and not is_question(text):
                return [slots]
            if context.in_booking and words <= 6 and not is_question(text):
                return [slots]  # another detail than the one asked for ("it's under Ines Costa")
        return None

    def _decide(
        self, text: str, label: str, score: float, runner_up: str, second: float, context: c.Context
    ) -> str:
        """The label to act on, or unclear when the match is weak or ambiguous."""
        settings = self._settings
        if score < settings.min_score:
            return "unclear"
        if score - second < settings.margin and _family(label) != _family(runner_up):
            return "unclear"
        if label.startswith("handoff:"):
            for dept, words in _DEPARTMENT_WORDS.items():
                if words.search(text) and dept in {d for d in c.Department.__args__}:  # type: ignore[attr-defined]
                    return f"handoff:{dept}"
        if label == "change" and (context.pending in ("book", "rebook") or context.in_booking):
            return "slots"
        if label == "book" and context.has_reservation and _INSTEAD.search(text):
            return "change"
        if label.startswith("ask:") and self._books(text, label, context):
            return "book"
        return label

    def _books(self, text: str, label: str, context: c.Context) -> bool:
        """A question about rooms that names dates or guests asks whether one is free."""
        s = extract_slots(text, self.hotel, self._today(), context.expecting)
        dates = s.check_in is not None or s.check_out is not None
        stay = s.nights is not None or s.guests is not None
        if label in ("ask:rooms",) or label.startswith("ask:room:"):
            return dates or stay
        return label in ("ask:check_in", "ask:early_check_in", "ask:check_out") and dates and (
            s.check_out is not None or stay
        ) and not context.in_booking

    def _commands(
        self, text: str, labels: list[str], slots: c.SetSlots, context: c.Context
    ) -> list[c.Command]:
        if len(labels) > 1:
            labels = [x for x in labels if x not in ("unclear", "greeting", "thanks")] or labels
        if {"book", "change"} & set(labels):
            labels = [x for x in labels if x != "slots"]
        code = find_code(text, expecting=context.expecting == "code")
        out: list[c.Command] = []
        for label in labels:
            if label == "book":
                out.append(c.StartBooking())
            elif label == "change":
                out.append(c.ChangeReservation())
            elif label == "slots":
                if not slots.given():
                    out.append(c.Unclear(question=is_question(text)))
            elif label == "affirm":
                out.append(c.Affirm())
            elif label == "deny":
                out.append(c.Deny())
            elif label.startswith("ask:"):
                out.append(c.AskFact(label[4:]))
            elif label.startswith("handoff:"):
                out.append(c.Handoff(label.split(":", 1)[1], reason=text))  # type: ignore[arg-type]
            elif label == "callback":
                out.append(c.Callback(callback_time(text)))
            elif label == "find":
                out.append(c.FindReservation(code))
            elif label == "cancel":
                out.append(c.Cancel(code))
            elif label == "repeat":
                out.append(c.Repeat())
            elif label == "goodbye":
                out.append(c.Goodbye())
            elif label == "thanks":
                out.append(c.Thanks())
            elif label == "greeting":
                out.append(c.Greeting())
            elif label == "unclear" and not slots.given():
                out.append(c.Unclear(question=is_question(text)))
        if slots.given() and any(isinstance(x, c.StartBooking | c.ChangeReservation) for x in out) or slots.given() and ("slots" in labels or "unclear" in labels or "affirm" in labels or "deny" in labels):
            out.append(slots)
        code_only = context.expecting == "code" or all(isinstance(x, c.Unclear) for x in out)
        if code and code_only and not any(isinstance(x, c.FindReservation | c.Cancel) for x in out):
            out = [c.FindReservation(code)]
        if "goodbye" not in labels and _GOODBYE.search(text) and all(
            isinstance(x, c.Deny | c.Thanks | c.Unclear) for x in out
        ):
            out = [*(x for x in out if not isinstance(x, c.Unclear)), c.Goodbye()]
        return out or [c.Unclear(question=is_question(text))]


def _family(label: str) -> str:
    """Labels of one family may be confused without harm to the choice of flow."""
    if label.startswith("handoff:"):
        return "handoff"
    return label
