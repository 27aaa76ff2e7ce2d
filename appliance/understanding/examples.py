"""The meanings the semantic understander knows, each with example phrasings: the package's
(examples.toml) and the hotel file's own facts, rooms, FAQ entries and departments."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.hotel.facts import topics
from appliance.hotel.model import Hotel

EXAMPLES_FILE = Path(__file__).with_name("examples.toml")


@dataclass(frozen=True)
class Match:
    """How one piece of an utterance compares with every meaning."""

    label: str
    score: float
    runner_up: str
    second: float
    #: The best score of every meaning, for settling near ties.
    scores: dict[str, float]


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
        if key.startswith("faq:"):
            entry = next(f for f in hotel.faq if f"faq:{f.id}" == key)
            phrases += [t.format(keyword=k) for k in entry.keywords for t in raw["faq_templates"]["phrases"]]
        if not phrases:
            name = key.replace("_", " ")
            phrases = [f"tell me about the {name}", f"is there a {name}", name]
        examples[f"ask:{key}"] = phrases
    for dept in hotel.departments.values():
        label = f"handoff:{dept.id}"
        examples.setdefault(label, []).append(f"connect me to {dept.description}")
    return {label: [p for p in phrases if p.strip()] for label, phrases in examples.items()}
