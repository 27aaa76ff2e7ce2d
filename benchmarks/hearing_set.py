"""The hearing set: caller utterances rich in what bookings need, each with the context it is
said in (the question the agent asked) and the values it carries.

Dates in every common spoken form, nights, guest counts, the hotel's room names, people's
names, confirmation codes read in groups or by the phonetic alphabet, phone numbers read
digit by digit, yes/no answers, corrections, whole requests, and card numbers read aloud.
Numbers are written as words where callers say them one digit at a time, so the voices
read them as callers do.

The values are worked out here, from the parts each sentence is built of, not by the
appliance's parser. Relative dates are resolved from TODAY (a Wednesday): a month and day
is the next such date on or after TODAY, a day of the month alone the next such day, and
"Friday" the coming Friday. The set is fixed (seeded) and is measured, never tuned on.

    .venv/bin/python benchmarks/hearing_set.py      # prints the set, one utterance a line
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

TODAY = date(2026, 12, 2)
SEED = 20261202

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
            7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth",
            13: "thirteenth", 14: "fourteenth", 15: "fifteenth", 16: "sixteenth",
            17: "seventeenth", 18: "eighteenth", 19: "nineteenth", 20: "twentieth",
            21: "twenty-first", 22: "twenty-second", 23: "twenty-third", 24: "twenty-fourth",
            25: "twenty-fifth", 26: "twenty-sixth", 27: "twenty-seventh", 28: "twenty-eighth"}  # fmt: skip
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
           8: "eight", 9: "nine", 10: "ten"}  # fmt: skip
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
NATO = {"A": "alpha", "B": "bravo", "C": "charlie", "D": "delta", "E": "echo", "F": "foxtrot",
        "G": "golf", "H": "hotel", "J": "juliet", "K": "kilo", "M": "mike", "N": "november",
        "P": "papa", "Q": "quebec", "R": "romeo", "S": "sierra", "T": "tango", "U": "uniform",
        "V": "victor", "W": "whiskey", "X": "x-ray", "Y": "yankee", "Z": "zulu"}  # fmt: skip
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: The hotel's rooms (config/hotel.toml) as callers name them.
ROOMS = {
    "standard_queen": ["the standard queen", "a standard queen room", "the queen room",
                       "standard queen, please"],
    "deluxe_king": ["the deluxe king", "a king room", "the king room, please",
                    "deluxe king room"],
    "family_suite": ["the family suite", "a family suite, please", "the suite"],
}  # fmt: skip
FIRST = ["Anna", "David", "Maria", "James", "Sarah", "Michael", "Laura", "Daniel", "Emma",
         "Thomas", "Olivia", "Peter", "Grace", "Robert", "Helen", "Mark", "Julia", "Paul"]  # fmt: skip
LAST = ["Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Thomas",
        "Moore", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
        "Green", "Baker", "Carter"]  # fmt: skip
AREA_CODES = ["207", "415", "312", "617", "303", "512", "646", "808"]
#: Test card numbers of the card networks (they pass the Luhn check; no real account).
CARDS = ["4111111111111111", "5500000000000004", "4012888888881881", "5105105105105100",
         "4242424242424242", "378282246310005", "6011111111111117"]  # fmt: skip


@dataclass(frozen=True)
class Utterance:
    """One thing a caller says. ``expecting``/``pending`` are what the agent just asked
    (as understanding's Context has them); ``truth`` the values it carries: check_in,
    check_out (ISO dates), nights, guests, room_type, name, phone (E.164), code, answer
    ("yes"/"no"), card (True: card digits that must never be kept)."""

    id: str
    kind: str
    text: str
    expecting: str | None = None
    pending: str | None = None
    in_booking: bool = False
    truth: dict[str, object] = field(default_factory=dict)


def next_date(month: int, day: int) -> date:
    candidate = date(TODAY.year, month, day)
    return candidate if candidate >= TODAY else date(TODAY.year + 1, month, day)


def next_day_of_month(day: int) -> date:
    candidate = TODAY.replace(day=day)
    if candidate >= TODAY:
        return candidate
    month, year = (1, TODAY.year + 1) if TODAY.month == 12 else (TODAY.month + 1, TODAY.year)
    return date(year, month, day)


def coming(weekday: int) -> date:
    return TODAY + timedelta(days=(weekday - TODAY.weekday()) % 7 or 7)


def spoken_date(rng: random.Random, day: date, month_known: bool = True) -> str:
    """One of the ways people say a date."""
    month, nth = MONTHS[day.month - 1], ORDINALS[day.day]
    forms = [f"{month} {nth}", f"the {nth} of {month}", f"{month} the {nth}", f"the {nth}"]
    return rng.choice(forms if not month_known else forms[:3])


def digits(number: str, groups: tuple[int, ...], zero: str = "zero") -> str:
    out, at = [], 0
    for size in groups:
        chunk = number[at : at + size]
        out.append(" ".join(zero if d == "0" else DIGITS[int(d)] for d in chunk))
        at += size
    return ", ".join(out)


def _dates(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(36):
        form = i % 6
        if form == 0:
            weekday = rng.choice(
                [d for d in range(7) if d != TODAY.weekday()]
            )  # "this Wednesday", said on one, is unclear
            text, day = (
                rng.choice(["On {d}.", "This {d}.", "Arriving {d}."]).format(d=WEEKDAYS[weekday]),
                coming(weekday),
            )
        elif form == 1:
            day = next_day_of_month(rng.randrange(3, 28))
            text = rng.choice(["The {n}.", "On the {n}, please.", "From the {n}."]).format(
                n=ORDINALS[day.day]
            )
        elif form == 5:
            day, text = (
                TODAY + timedelta(days=1),
                rng.choice(["Tomorrow.", "Tomorrow night.", "Starting tomorrow."]),
            )
        else:
            day = next_date(rng.randrange(1, 13), rng.randrange(1, 29))
            text = rng.choice(
                ["{d}.", "Checking in on {d}.", "From {d}, please.", "I'd arrive {d}."]
            ).format(d=spoken_date(rng, day))
        out.append(Utterance(f"date-{i}", "date", text, "check_in", in_booking=True,
                             truth={"check_in": day.isoformat()}))  # fmt: skip
    for i in range(12):
        start = next_date(rng.randrange(1, 13), rng.randrange(1, 22))
        stay = rng.randrange(2, 7)
        end = start + timedelta(days=stay)
        month = MONTHS[start.month - 1]
        if end.month == start.month and i % 2:
            text = f"From the {ORDINALS[start.day]} to the {ORDINALS[end.day]} of {month}."
        else:
            text = f"From {spoken_date(rng, start)} to {spoken_date(rng, end)}."
        out.append(Utterance(f"range-{i}", "date", text, "check_in", in_booking=True,
                             truth={"check_in": start.isoformat(), "check_out": end.isoformat()}))  # fmt: skip
    return out


def _nights(rng: random.Random) -> list[Utterance]:
    forms = ["{n} nights.", "For {n} nights, please.", "{N}.", "{N} nights, please.",
             "Just {n} nights.", "It would be {n} nights."]  # fmt: skip
    out = []
    for i in range(36):
        n = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7])
        if n == 1:
            text = rng.choice(["Just one night.", "One night.", "Only the one night."])
        else:
            text = forms[i % len(forms)].format(n=NUMBERS[n], N=NUMBERS[n].capitalize())
        out.append(
            Utterance(f"nights-{i}", "nights", text, "nights", in_booking=True, truth={"nights": n})
        )
    return out


def _guests(rng: random.Random) -> list[Utterance]:
    forms = ["{n} adults.", "{N} people.", "There are {n} of us.", "{N}.", "{N} guests.",
             "It's for {n} adults."]  # fmt: skip
    out = []
    for i in range(36):
        if i % 9 == 8:
            text, n = rng.choice(
                [("Just me.", 1), ("Only me, one person.", 1), ("Me and my wife.", 2)]
            )
        elif i % 9 == 7:
            a, k = rng.choice([(2, 1), (2, 2), (1, 1)])
            text, n = (
                f"{NUMBERS[a].capitalize()} adults and {NUMBERS[k]} {'child' if k == 1 else 'children'}.",
                a + k,
            )
            if a == 1:
                text = f"One adult and {NUMBERS[k]} child."
        else:
            n = rng.choice([1, 2, 2, 2, 3, 4, 4, 5, 6])
            text = forms[i % len(forms)].format(n=NUMBERS[n], N=NUMBERS[n].capitalize())
            if n == 1:
                text = rng.choice(["One adult.", "One person.", "Just one."])
        out.append(
            Utterance(f"guests-{i}", "guests", text, "guests", in_booking=True, truth={"guests": n})
        )
    return out


def _rooms(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(24):
        room = list(ROOMS)[i % 3]
        said = rng.choice(ROOMS[room])
        text = rng.choice(["{r}.", "I'll take {r}.", "Let's go with {r}.", "{R}, I think."]).format(
            r=said, R=said[0].upper() + said[1:]
        )
        out.append(
            Utterance(
                f"room-{i}", "room", text, "room_type", in_booking=True, truth={"room_type": room}
            )
        )
    return out


def _names(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(30):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        text = rng.choice(
            ["My name is {n}.", "It's {n}.", "{n}.", "The name is {n}.", "Under {n}, please."]
        ).format(n=name)
        out.append(
            Utterance(f"name-{i}", "name", text, "name", in_booking=True, truth={"name": name})
        )
    return out


def _codes(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(30):
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        while code.isdigit() or code.isalpha():
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        if i % 3 == 2:
            spoken = " ".join(NATO.get(c) or DIGITS[int(c)] for c in code)
        else:
            spoken = ", ".join(
                " ".join(c if c.isalpha() else DIGITS[int(c)] for c in part)
                for part in (code[:3], code[3:])
            )
        text = rng.choice(
            ["It's {c}.", "The code is {c}.", "{c}.", "My confirmation is {c}."]
        ).format(c=spoken)
        out.append(Utterance(f"code-{i}", "code", text, "code", truth={"code": code}))
    return out


def _phones(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(30):
        number = rng.choice(AREA_CODES) + "555" + f"{rng.randrange(10000):04d}"
        spoken = digits(number, (3, 3, 4), zero=rng.choice(["zero", "oh"]))
        text = rng.choice(
            ["It's {p}.", "My number is {p}.", "{p}.", "You can reach me on {p}."]
        ).format(p=spoken)
        out.append(
            Utterance(
                f"phone-{i}",
                "phone",
                text,
                "phone",
                in_booking=True,
                truth={"phone": "+1" + number},
            )
        )
    return out


def _answers(rng: random.Random) -> list[Utterance]:
    yes = ["Yes.", "Yes, please.", "Yeah, that's right.", "That's correct.", "Sure, go ahead.",
           "Yes, book it.", "Sounds good.", "Yep."]  # fmt: skip
    no = [
        "No.",
        "No, that's wrong.",
        "Nope.",
        "No, thank you.",
        "That's not right.",
        "No, don't book it.",
    ]
    out = []
    for i in range(30):
        answer = "yes" if i % 2 == 0 else "no"
        text = rng.choice(yes if answer == "yes" else no)
        out.append(
            Utterance(
                f"answer-{i}",
                "answer",
                text,
                pending="book",
                in_booking=True,
                truth={"answer": answer},
            )
        )
    return out


def _corrections(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(20):
        if i % 2 == 0:
            n = rng.choice([2, 3, 4, 5])
            text = rng.choice(
                [
                    "No, {n} nights.",
                    "Actually, make it {n} nights.",
                    "No, it's {n} nights, not one.",
                ]
            ).format(n=NUMBERS[n])
            truth: dict[str, object] = {"nights": n}
        else:
            n = rng.choice([1, 2, 3, 4])
            text = rng.choice(
                ["No, {n} adults.", "Actually, there will be {n} of us.", "Sorry, {n} people."]
            ).format(n=NUMBERS[n])
            truth = {"guests": n}
        out.append(
            Utterance(
                f"correct-{i}", "correction", text, pending="book", in_booking=True, truth=truth
            )
        )
    return out


def _requests(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(40):
        start = next_date(rng.randrange(1, 13), rng.randrange(1, 29))
        n, g = rng.choice([1, 2, 2, 3, 4, 5]), rng.choice([1, 2, 2, 3, 4])
        nights = "one night" if n == 1 else f"{NUMBERS[n]} nights"
        people = "one adult" if g == 1 else f"{NUMBERS[g]} adults"
        when = spoken_date(rng, start)
        form = i % 4
        truth: dict[str, object] = {"check_in": start.isoformat(), "nights": n}
        if form == 0:
            text = f"I'd like to book a room for {nights} from {when}."
        elif form == 1:
            text = f"Hi, do you have a room for {people} on {when}, for {nights}?"
            truth["guests"] = g
        elif form == 2:
            room = list(ROOMS)[i % 3]
            text = f"I want to book {ROOMS[room][0]} for {nights}, arriving {when}."
            truth["room_type"] = room
        else:
            text = f"Can I make a booking for {people}, {nights} starting {when}?"
            truth["guests"] = g
        out.append(Utterance(f"request-{i}", "request", text, truth=truth))
    return out


def _cards(rng: random.Random) -> list[Utterance]:
    out = []
    for i in range(20):
        card = CARDS[i % len(CARDS)]
        groups = (4, 6, 5) if len(card) == 15 else (4, 4, 4, 4)
        spoken = digits(card, groups)
        text = rng.choice(
            ["My card number is {c}.", "It's {c}.", "The card is {c}.", "Sure, {c}."]
        ).format(c=spoken)
        context = rng.choice([(None, "pay_link"), ("phone", None), (None, None)])
        out.append(
            Utterance(f"card-{i}", "card", text, context[0], context[1], truth={"card": True})
        )
    return out


def utterances() -> list[Utterance]:
    rng = random.Random(SEED)
    parts = [_dates, _nights, _guests, _rooms, _names, _codes, _phones, _answers,
             _corrections, _requests, _cards]  # fmt: skip
    return [replace(u, text=u.text[0].upper() + u.text[1:]) for part in parts for u in part(rng)]


if __name__ == "__main__":
    for utterance in utterances():
        print(json.dumps(asdict(utterance)))
