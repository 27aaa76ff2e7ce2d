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
from typing import Any

import numpy as np

from appliance.config import UnderstandingSettings
from appliance.hotel.facts import topic_key
from appliance.hotel.model import Hotel
from appliance.understanding import commands as c
from appliance.understanding.base import Encode, Today, is_question
from appliance.understanding.examples import Index, Match, example_phrasings
from appliance.understanding.identifiers import find_code
from appliance.understanding.slots import callback_time, extract_slots, find_room_type, normalize

_LOGGER = logging.getLogger(__name__)

_DEPARTMENT_WORDS = {
    "housekeeping": re.compile(r"\bhouse ?keeping\b|\bmaid\b"),
    "maintenance": re.compile(r"\bmaintenance\b|\bengineering\b|\btechnician\b|\bhandyman\b"),
    "management": re.compile(r"\bmanager\b|\bmanagement\b|\bsupervisor\b|\bsomeone in charge\b"),
}
_YES = re.compile(
    r"^(?:oh |ah |well |um |so )?(yes|yeah|yep|yup|yah|ya|sure|correct|right|ok|okay|alright|all right|please do|go ahead|"
    r"absolutely|definitely|of course|perfect|great|sounds good|that's right|that is right|"
    r"that's correct|exactly|uh huh|mhm|do it|book it|confirm|please)\b"
)
_NO = re.compile(
    r"^(?:oh |ah |well |um |so |actually |sorry )?(no|nope|nah|not really|no thanks|no thank you|don't|do not|negative|wrong|leave it)\b"
)
_GOODBYE = re.compile(
    r"\b(bye|goodbye|good bye|that's all|that is all|that'll be all|nothing else|that's it|"
    r"that's everything|have a (good|nice|great) (day|night|evening)|hang up)\b"
)
_BYE = re.compile(r"\b(bye|goodbye|good bye|bye bye|have a (good|nice|great) (day|night|evening))\b")
# A new request after "and"/"also", or after a comma that starts one: where one utterance
# holds two.
_SPLIT = re.compile(
    r"(?<=[?.!])\s+|\s*;\s*|,\s+(?=(?:i want|i need|i'd like|can i|could i|can you|could you|can someone|could someone)\b)|"
    r",?\s+(?:and|also|plus|oh and|and also)\s+"
    r"(?=(?:what|what's|when|where|which|how|is|are|do|does|can|could|will|would|i'd|i'd like|"
    r"i want|i need|i would|please|there's|remind me|tell me)\b)",
    re.IGNORECASE,
)
#: How sure a second segment of one utterance must be to add a command of its own.
_EXTRA_SCORE = 0.6
_EXTRA_MARGIN = 0.05
#: An "unclear" example this similar to one of the hotel's own facts is left out.
_SHADOW = 0.75
_WEEKEND_ONLY = re.compile(r"\bweekend\b")
_AND = re.compile(r"\s+and\s+(?:a |an |the |your |also )?")
_TIMES = re.compile(r"\b([ap])\.\s?m\.", re.IGNORECASE)
_MY_RESERVATION = re.compile(
    r"\b(my|our|the|this) (reservation|booking|stay|room booking)\b|\bbooking with you\b|\bwe'?re booked\b|\bi booked\b|\bwe booked\b|"
    r"\bbooked (for|under|in)\b|\bbooking with you\b"
)
_TRANSFER = re.compile(
    r"\b(speak|talk) (to|with)\b|\bput me through\b|\bconnect me\b|\btransfer me\b|\b(real|actual|live) (person|human)\b"
)
_CALLBACK = re.compile(r"\bcall (me )?back\b|\bcall-?back\b|\bring me back\b|\bgive me a (call|ring)\b")
_ALL_SET = re.compile(r"\b(all set|i'?m good|we'?re good|i'?m fine|that'?s all|that'?s it|that'?s everything|nothing else)\b")
_PRICE = re.compile(r"\b(how much|price|prices|rate|rates|cost|costs|per night|beds?|view|big|size|fit|sleeps?|like)\b")
_INSTEAD = re.compile(
    r"\b(instead|actually|make (it|that)|rather|switch|change|move|push|upgrade|extend|add (a|another|one more) night|"
    r"bring (it )?forward|postpone|update|modify|amend)\b"
)
# Something in the room does not work: a job for maintenance, however it is said.
_BROKEN = re.compile(
    r"\b(broken|broke|not working|isn'?t working|aren'?t working|doesn'?t work|don'?t work|won'?t (?:work|turn on|come on|start|open|close|lock|drain|flush|move|stop|heat)|"
    r"stopped working|stuck|leak\w*|no hot water|cold water only|stone cold|freezing|blocked|clogged|overflowing|"
    r"beeping|flickering|keeps (?:beeping|going off|tripping)|dead|fix|repair|none of them work|out of order|"
    r"blue screen|no signal|no power|tripped)\b"
)
# Cleaning, linen and supplies: housekeeping.
_HOUSEKEEPING = re.compile(
    r"\b(clean\w*|hoover\w*|vacuum\w*|towels?|sheets|linen|bedding|pillows?|blankets?|toilet (?:paper|roll)|"
    r"toiletries|shampoo|soap|made up|tidy|dirty|mess|spill\w*|bin|rubbish|trash|emptied|beds? (?:haven'?t|hasn'?t) been changed|"
    r"crib|cot|ironing board|hangers)\b"
)
_LEAVING = re.compile(r"\b(out|leave|leaving|vacate|depart\w*|clear out|hand (?:back|in)|last day|after the usual)\b")
_ARRIVING = re.compile(r"\b(into|get in|arriv\w*|receive|ready|first day|get the room|keys? on arrival)\b")
#: Context slots that mean a bare answer is a booking detail.
_BOOKING_SLOTS = ("check_in", "nights", "guests", "room_type", "name", "phone")


#: Indexes built so far, by encoder and phrasings: a second appliance in the same process (a
#: test, `appliance chat` beside a server) need not encode them again.
_BUILT: dict[tuple[Any, tuple[str, ...]], Index] = {}


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
        key = (self._encode, tuple(sentences))
        if (known := _BUILT.get(key)) is not None:
            self._index = known  # the same phrasings through the same encoder: built before
            return
        owner = np.array([i for i, label in enumerate(labels) for _ in examples[label]])
        vectors = await self._encode(sentences)
        # What the hotel has wins over the package's examples of what hotels lack: an
        # "unclear" example close to one of the hotel's own facts ("do you rent bikes", in a
        # hotel that lends them) is dropped.
        facts = np.array([labels[o].startswith("ask:") for o in owner])
        unclear = np.array([labels[o] == "unclear" for o in owner])
        if facts.any() and unclear.any():
            shadowing = (vectors[unclear] @ vectors[facts].T).max(axis=1) > _SHADOW
            keep = ~unclear
            keep[np.flatnonzero(unclear)[~shadowing]] = True
            vectors, owner = vectors[keep], owner[keep]
        self._index = _BUILT[key] = Index(labels, vectors, owner)
        _LOGGER.info(
            "understanding index: %d phrasings of %d meanings in %.2f s",
            len(sentences), len(labels), time.perf_counter() - started,
        )  # fmt: skip

    async def classify(self, segments: list[str]) -> list[Match]:
        """Per segment: the nearest meaning, the runner-up, and every meaning's score."""
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
                Match(
                    index.labels[first], float(best[first]), index.labels[second],
                    float(best[second]), dict(zip(index.labels, best.tolist(), strict=True)),
                )
            )  # fmt: skip
        return results

    async def understand(self, said: str, context: c.Context) -> list[c.Command]:
        text = normalize(said)
        if not text:
            # Only "um" or "hmm": something was said, nothing to act on.
            return [c.Unclear()] if said.strip(" .,?!") else []
        today = self._today()
        slots = extract_slots(said, self.hotel, today, context.expecting)
        answered = self._bare_answer(text, slots, context, said)
        if answered is not None:
            return answered
        plain = _TIMES.sub(r"\1m", said)
        segments = [s for s in (normalize(p) for p in _SPLIT.split(plain)) if s] or [text]
        if len(segments) > 1 and any(
            len(s.split()) < 2 and self._bare_answer(s, extract_slots(s, self.hotel, today, context.expecting), context, s) is None
            for s in segments
        ):
            segments = [text]
        judged = await self.classify(segments)
        if len(segments) == 1:
            segments, judged = await self._two_questions(text, judged)
        labels: list[str] = []
        slot_text: list[str] = []
        strongest = max(range(len(judged)), key=lambda i: judged[i].score)
        for i, (segment, match) in enumerate(zip(segments, judged, strict=True)):
            label, score, runner_up, second = match.label, match.score, match.runner_up, match.second
            if i != strongest and (score < _EXTRA_SCORE or score - second < _EXTRA_MARGIN):
                # A second request must be clear on its own; else it is the story around the first.
                label = "unclear"
            bare = self._bare_answer(segment, extract_slots(segment, self.hotel, today, context.expecting), context, segment)
            if bare is not None and all(isinstance(x, c.SetSlots) for x in bare) and len(segments) > 1:
                label, score, second = "slots", 1.0, 0.0
            decided = self._decide(segment, label, score, runner_up, second, context, match.scores)
            _LOGGER.debug(
                "understood %r as %s (%.2f; %s %.2f)", segment, decided, score, runner_up, second
            )
            if decided not in labels:
                labels.append(decided)
            if not decided.startswith(("ask:", "handoff:")) and decided not in ("callback", "find", "cancel"):
                slot_text.append(segment)
        if len(segments) > 1 and slot_text and len(slot_text) < len(segments):
            slots = extract_slots(" ".join(slot_text), self.hotel, today, context.expecting)
        return self._commands(text, labels, slots if slot_text else c.SetSlots(), context, said)

    async def _two_questions(
        self, text: str, judged: list[Match]
    ) -> tuple[list[str], list[Match]]:
        """"a pool and a spa": two questions joined by "and", each clearer on its own."""
        parts = [p for p in _AND.split(text) if p]
        if len(parts) != 2 or len(text.split()) > 16:
            return [text], judged
        s = extract_slots(text, self.hotel, self._today())
        if s.check_in or s.check_out or s.nights or s.guests:
            return [text], judged  # a booking's details, not two questions
        halves = await self.classify(parts)
        whole_label, whole_score = judged[0].label, judged[0].score
        floor = self._settings.min_score + 0.1
        if (
            all(h.label.startswith("ask:") and h.score >= floor for h in halves)
            and halves[0].label != halves[1].label
            and (not whole_label.startswith("ask:") or whole_score < min(h.score for h in halves))
        ):
            # "the pool and spa hours": the second half names its topic, the first inherits it.
            return parts, halves
        return [text], judged

    def _bare_answer(
        self, text: str, slots: c.SetSlots, context: c.Context, said: str
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
        if context.pending and words <= 8:
            yes_no = _YES.search(text) or _NO.search(text)
            rest = re.sub(r"^(well|so|then|and|but|um|oh)\s+", "", text[yes_no.end():].strip()) if yes_no else ""
            yes, no = bool(_YES.search(text)), bool(_NO.search(text))
            if yes != no and not is_question(rest):
                answer: list[c.Command] = [c.Affirm() if yes else c.Deny()]
                if given:
                    answer.append(slots)
                if no and _GOODBYE.search(text):
                    answer.append(c.Goodbye())
                return answer
        if context.expecting == "anything_else" and words <= 8 and _NO.search(text):
            closing = _GOODBYE.search(text) or _ALL_SET.search(text) or "thank" in text
            return [c.Deny(), c.Goodbye()] if closing else [c.Deny()]
        if context.expecting in _BOOKING_SLOTS and given and words <= (20 if slots.phone else 8):
            expected = context.expecting
            answered = expected in given or (expected == "phone" and slots.use_caller_number)
            if answered and not is_question(said):
                return [slots]
            if context.in_booking and words <= 6 and not is_question(said):
                return [slots]  # another detail than the one asked for ("it's under Ines Costa")
        return None

    def _decide(
        self, text: str, label: str, score: float, runner_up: str, second: float,
        context: c.Context, scores: dict[str, float],
    ) -> str:  # fmt: skip
        """The label to act on, or unclear when the match is weak or ambiguous."""
        settings = self._settings
        if _TRANSFER.search(text) and not label.startswith("handoff:"):
            label, score, second = "handoff:front_desk", 1.0, 0.0
        if _CALLBACK.search(text) and not (label.startswith("handoff:") and label != "handoff:front_desk"):
            label, score, second = "callback", 1.0, 0.0
        s = extract_slots(text, self.hotel, self._today(), context.expecting)
        dated = s.check_in is not None or s.check_out is not None
        nights = s.nights if not _WEEKEND_ONLY.search(text) else None
        if dated and (nights or s.guests or s.check_out) and not label.startswith(("handoff:", "ask:faq")) and (
            label in ("book", "slots", "change") or runner_up in ("book", "slots", "change")
            or label in ("ask:rooms", "ask:check_in", "ask:early_check_in") or label.startswith("ask:room:")
        ):
            # Dates with nights or guests: someone wants a room, whatever it sounds nearest to.
            label, score, second = ("slots" if context.in_booking else "book"), 1.0, 0.0
        if _MY_RESERVATION.search(text) and _INSTEAD.search(text) and not context.in_booking and not (
            label.startswith("handoff:") or label in ("cancel", "find", "callback")
        ):
            return "change"
        if score < settings.min_score or label == "unclear":
            staff = self._staff_job(text)
            if staff:
                return staff
            hint = self._lexical_topic(text)
            if hint and score >= settings.min_score - 0.15:
                return hint
            return "unclear"
        hint = self._lexical_topic(text)
        if hint and label.startswith("ask:") and hint != label and scores.get(hint, -1.0) >= score - 0.08:
            label, second = hint, score - 0.08  # a word names the topic outright
        if score - second < settings.margin and _family(label) != _family(runner_up):
            if hint in (label, runner_up):
                label = hint
            else:
                return "unclear"
        if label in ("slots", "book") and not context.in_booking and s.check_in is None:
            label = self._staff_job(text) or label  # "the beds haven't been changed in three days"
        label = _direction(label, text)
        if label.startswith("handoff:"):
            for dept, words in _DEPARTMENT_WORDS.items():
                if words.search(text) and dept in {d for d in c.Department.__args__}:  # type: ignore[attr-defined]
                    return f"handoff:{dept}"
        if label == "change" and (context.pending in ("book", "rebook") or context.in_booking):
            return "slots"
        if label == "book" and context.has_reservation and _INSTEAD.search(text):
            return "change"
        if label in ("book", "slots") and _MY_RESERVATION.search(text) and not context.in_booking:
            return "change"
        named = find_room_type(text, self.hotel)
        if named and (label == "ask:rooms" or (label == "slots" and _PRICE.search(text) and not context.in_booking)):
            return f"ask:room:{named}"
        if label.startswith("ask:") and self._books(text, label, context):
            return "book"
        return label

    def _staff_job(self, text: str) -> str | None:
        """A repair or a housekeeping request, by what it is about."""
        if _HOUSEKEEPING.search(text):
            return "handoff:housekeeping"
        if _BROKEN.search(text):
            return "handoff:maintenance"
        return None

    def _lexical_topic(self, text: str) -> str | None:
        """The topic a word in the text names outright ("checkout", "airport"), to settle a
        near tie between two meanings."""
        for entry in self.hotel.faq:
            if any(re.search(rf"\b{re.escape(k)}(?:s|es)?\b", text) for k in entry.keywords):
                return f"ask:faq:{entry.id}"
        key = topic_key(text)
        return f"ask:{key}" if key else None

    def _books(self, text: str, label: str, context: c.Context) -> bool:
        """A question about rooms that names dates or guests asks whether one is free."""
        s = extract_slots(text, self.hotel, self._today(), context.expecting)
        dates = s.check_in is not None or s.check_out is not None
        stay = s.nights is not None or s.guests is not None
        if label in ("ask:rooms",) or label.startswith("ask:room:"):
            return dates or (stay and not is_question(text) and not _PRICE.search(text))
        return label in ("ask:check_in", "ask:early_check_in", "ask:check_out") and dates and (
            s.check_out is not None or stay
        ) and not context.in_booking

    def _commands(
        self, text: str, labels: list[str], slots: c.SetSlots, context: c.Context, said: str
    ) -> list[c.Command]:
        if len(labels) > 1:
            labels = [x for x in labels if x not in ("unclear", "greeting", "thanks")] or labels
        stay = slots.check_in or slots.check_out or slots.nights or slots.guests or slots.room_type
        outside = not context.in_booking and not context.pending and context.expecting is None
        dated = slots.check_in or slots.check_out
        if outside and stay and "book" not in labels and "change" not in labels and (
            "slots" in labels
            or ("unclear" in labels and not is_question(said) and dated and (slots.nights or slots.guests))
        ):
            labels = ["book", *(x for x in labels if x != "unclear")]
        staff = any(x.startswith("handoff:") for x in labels) and not context.in_booking
        if (outside and {"callback", "find", "cancel"} & set(labels)) or staff:
            slots = c.SetSlots()
        if {"book", "change"} & set(labels):
            labels = [x for x in labels if x != "slots"]
        if (
            not context.in_booking and _MY_RESERVATION.search(text) and _INSTEAD.search(text)
            and not {"cancel", "find", "callback"} & set(labels)
            and not any(x.startswith(("handoff:", "ask:")) for x in labels)
        ):
            labels = ["change"]
        if "change" in labels:
            labels = [x for x in labels if x != "book"]
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
        if slots.given() and context.pending:
            # New details at a read-back are a change, not a yes or no from their sound.
            out = [x for x in out if not isinstance(x, c.Affirm | c.Deny)]
            labels = [x for x in labels if x not in ("affirm", "deny")] + ["slots"]
        if any(isinstance(x, c.Handoff) for x in out) and not context.in_booking:
            out = [x for x in out if not isinstance(x, c.StartBooking | c.AskFact)]
        booking_talk = any(isinstance(x, c.StartBooking | c.ChangeReservation) for x in out)
        answering = bool({"slots", "affirm", "deny"} & set(labels)) or (
            "unclear" in labels and not is_question(said)
        )
        if slots.given() and (booking_talk or answering):
            out.append(slots)
        code_only = context.expecting == "code" or all(isinstance(x, c.Unclear) for x in out) or (
            re.search(r"\b(code|reservation|booking|confirmation)\b", text) is not None
            and not any(isinstance(x, c.AskFact | c.Handoff | c.StartBooking) for x in out)
        )
        if code and code_only and not any(isinstance(x, c.FindReservation | c.Cancel) for x in out):
            out = [c.Cancel(code) if re.search(r"\bcancel", text) else c.FindReservation(code)]
        if "goodbye" not in labels and _GOODBYE.search(text) and all(
            isinstance(x, c.Deny | c.Thanks | c.Unclear) for x in out
        ):
            out = [*(x for x in out if not isinstance(x, c.Unclear)), c.Goodbye()]
        return out or [c.Unclear(question=is_question(said))]


_ARRIVAL_TOPICS = {"ask:check_in": "ask:check_out", "ask:early_check_in": "ask:late_check_out"}
_DEPARTURE_TOPICS = {v: k for k, v in _ARRIVAL_TOPICS.items()}


def _direction(label: str, text: str) -> str:
    """Check-in and check-out questions sound alike to an encoder; the words for leaving or
    arriving tell them apart."""
    if label in _ARRIVAL_TOPICS and _LEAVING.search(text) and not _ARRIVING.search(text):
        return _ARRIVAL_TOPICS[label]
    if label in _DEPARTURE_TOPICS and _ARRIVING.search(text) and not _LEAVING.search(text):
        return _DEPARTURE_TOPICS[label]
    return label


def _family(label: str) -> str:
    """Labels of one family may be confused without harm to the choice of flow."""
    if label.startswith("handoff:"):
        return "handoff"
    if label in ("book", "slots"):
        return "booking"
    return label
