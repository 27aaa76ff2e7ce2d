"""The sentence catalogue: every sentence the appliance says to a guest, by key, with its slots,
and how values (dates, times, prices, counts, lists) are said in its language.

Flows, tools and channels never hold their own wording: they ask the catalogue
(``lines.say("booking.ask_nights")``). Pre-rendering reads the fixed sentences from it, and
a translation is one more file with the same keys and slots.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from appliance.errors import ConfigError, ToolError

_FORMATTER = string.Formatter()
#: Sections whose sentences the agent's voice never says.
NOT_SPOKEN = frozenset({"phone", "kiosk", "hearing"})


def slots_of(sentence: str) -> frozenset[str]:
    """The names of a sentence's slots: "{room} at {price}" -> {"room", "price"}."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(sentence) if name)


@dataclass(frozen=True)
class Catalogue:
    """One language's sentences (``section.key``) and words."""

    language: str
    sentences: Mapping[str, str]
    words: Mapping[str, Any]

    def say(self, key: str, /, **slots: object) -> str:
        """The sentence ``key`` with its slots filled; every slot must be given, no other."""
        try:
            sentence = self.sentences[key]
        except KeyError:
            raise KeyError(f"the {self.language} catalogue has no sentence {key!r}") from None
        wanted = slots_of(sentence)
        if wanted != set(slots):
            raise KeyError(
                f"sentence {key!r} takes the slots {sorted(wanted)}, was given {sorted(slots)}"
            )
        return " ".join(sentence.format(**slots).split())

    def join(self, *parts: str) -> str:
        """Sentences one after another, the empty ones left out."""
        return " ".join(p.strip() for p in parts if p and p.strip())

    def fixed(self) -> list[str]:
        """Every sentence the agent's voice says the same on every call (no slot): what is
        rendered once. The phone company's voice ([phone]), the kiosk's screen ([kiosk]) and
        the words the speech-to-text is told to expect ([hearing]) are not the agent's."""
        return [
            s for key, s in self.sentences.items()
            if not slots_of(s) and key.partition(".")[0] not in NOT_SPOKEN
        ]  # fmt: skip

    # --- values, as this language says them ---------------------------------------------

    def word(self, name: str) -> Any:
        return self.words[name]

    def date(self, value: date | datetime | str, with_weekday: bool = False) -> str:
        """'January 15th', or 'Friday, January 15th'; an ISO date in text is read too."""
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            text = value.strip()
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return text  # already spoken
            value = date.fromisoformat(text)
        month = self.words["months"][value.month - 1]
        day = self.ordinal(value.day)
        if with_weekday:
            weekday = self.words["weekdays"][value.weekday()]
            return self.words["date_with_weekday"].format(weekday=weekday, month=month, day=day)
        return str(self.words["date"].format(month=month, day=day))

    def ordinal(self, number: int) -> str:
        suffixes = self.words["ordinal_suffixes"]
        suffix = suffixes.get(str(number % 100)) or suffixes.get(str(number % 10)) or suffixes["other"]
        return str(self.words["ordinal"].format(number=number, suffix=suffix))

    def time(self, value: Any) -> str:
        """'07:00' -> '7 AM', '14:30' -> '2:30 PM', '12:00' -> 'noon'."""
        text = str(value).strip()
        m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", text)
        if not m:
            return text
        hour, minute = int(m.group(1)), int(m.group(2))
        if (hour, minute) == (12, 0):
            return str(self.words["noon"])
        if (hour, minute) in ((0, 0), (24, 0)):
            return str(self.words["midnight"])
        half = self.words["am" if hour < 12 else "pm"]
        hour12 = hour % 12 or 12
        if minute == 0:
            return str(self.words["time_on_the_hour"].format(hour=hour12, half=half))
        return str(self.words["time"].format(hour=hour12, minute=f"{minute:02d}", half=half))

    def price(self, value: Any, currency: str = "USD") -> str:
        """199 -> '199 dollars', 199.5 -> '199 dollars and 50 cents', 1 -> '1 dollar'."""
        if isinstance(value, dict):
            currency = str(value.get("currency", currency))
            value = value.get("amount", value.get("price"))
        try:
            amount = Decimal(str(value).replace(",", "").lstrip("$€£")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ToolError("bad-argument", f"{value!r} is not a price") from None
        one, many, cent, cents = self.words.get(currency.upper(), [currency] * 2 + ["", ""])
        whole, fraction = int(amount), int((amount - int(amount)) * 100)
        unit = one if whole == 1 else many
        if fraction:
            return str(
                self.words["money_and_cents"].format(
                    amount=whole, unit=unit, cents=fraction, cent_unit=cent if fraction == 1 else cents
                )
            )
        return str(self.words["money"].format(amount=whole, unit=unit))

    def count(self, number: int, noun: str) -> str:
        """'1 night', '2 nights'."""
        one, many = self.words[noun]
        return f"{number} {one if number == 1 else many}"

    def listing(self, items: Iterable[Any], conjunction: str = "and") -> str:
        """'a', 'a and b', 'a, b and c' ('or' for a choice)."""
        words = [str(i) for i in items if str(i).strip()]
        if not words:
            return str(self.words["nothing"])
        if len(words) == 1:
            return words[0]
        joined = str(self.words["list_separator"]).join(words[:-1])
        return f"{joined} {self.words[conjunction]} {words[-1]}"

    @staticmethod
    def code(value: Any) -> str:
        """Confirmation codes one character at a time: 'K7M2QX' -> 'K, 7, M, 2, Q, X'."""
        return ", ".join(ch for ch in str(value).upper() if ch.isalnum())

    @staticmethod
    def phone(value: Any) -> str:
        """Digit by digit, grouped as people read them: '+15551234567' -> '5 5 5, 1 2 3, 4 5 6 7'."""
        digits = re.sub(r"\D", "", str(value))
        if not digits:
            raise ToolError("bad-argument", f"{value!r} has no digits to read")
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) == 10:
            groups = [digits[:3], digits[3:6], digits[6:]]
        else:
            groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        return ", ".join(" ".join(group) for group in groups if group)

    def call_name(self, channel: str) -> str:
        """How a channel's call is named: 'browser call', 'phone call'."""
        return str(self.words.get(f"{channel}_call", self.words["other_call"]))


def _flatten(table: Mapping[str, Any], where: str) -> dict[str, str]:
    sentences = {}
    for section, entries in table.items():
        if section == "words":
            continue
        if not isinstance(entries, dict):
            raise ConfigError("bad-catalogue", f"{where}: [{section}] must be a table of sentences")
        for key, sentence in entries.items():
            if not isinstance(sentence, str):
                raise ConfigError("bad-catalogue", f"{where}: {section}.{key} must be text")
            sentences[f"{section}.{key}"] = sentence
    return sentences


def parse_catalogue(text: str, language: str, where: str) -> Catalogue:
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("bad-catalogue", f"{where}: {err}") from err
    return Catalogue(language, _flatten(table, where), table.get("words", {}))


def check_translation(base: Catalogue, other: Catalogue) -> list[str]:
    """What keeps ``other`` from standing in for ``base``: missing keys, other slots."""
    problems = [f"{key}: missing" for key in base.sentences if key not in other.sentences]
    for key, sentence in other.sentences.items():
        if key not in base.sentences:
            problems.append(f"{key}: no such sentence in {base.language}")
        elif slots_of(sentence) != slots_of(base.sentences[key]):
            problems.append(
                f"{key}: slots {sorted(slots_of(sentence))}, not {sorted(slots_of(base.sentences[key]))}"
            )
    problems += [f"words.{w}: missing" for w in base.words if w not in other.words]
    return problems


@functools.cache
def load_catalogue(language: str = "en") -> Catalogue:
    """The catalogue shipped with the appliance for ``language``."""
    resource = resources.files("appliance.sentences") / f"{language}.toml"
    if not resource.is_file():
        raise ConfigError("no-catalogue", f"there are no sentences for the language {language!r}")
    catalogue = parse_catalogue(resource.read_text(encoding="utf-8"), language, str(resource))
    if language != "en":
        problems = check_translation(load_catalogue("en"), catalogue)
        if problems:
            raise ConfigError("bad-catalogue", f"{resource}: " + "; ".join(problems))
    return catalogue


def english() -> Catalogue:
    return load_catalogue("en")
