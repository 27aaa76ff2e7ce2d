"""Numbers in context: where a number is what the caller said, the word the speech-to-text
wrote for it ("Two adults." as "Do adults.") is read as the number, and nowhere else."""

from __future__ import annotations

from datetime import date

import pytest

from appliance.config import INSTALL_ROOT
from appliance.hotel.model import load_hotel
from appliance.understanding.commands import Expecting
from appliance.understanding.slots import extract_slots

HOTEL = load_hotel(INSTALL_ROOT / "config" / "hotel.toml")
TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("said", "expecting", "guests", "nights"),
    [
        ("Do adults.", "guests", 2, None),  # seen three times in a row on a noisy line
        ("Do adults.", None, 2, None),  # before what is counted, whatever was asked
        ("too people please", None, 2, None),
        ("For.", "guests", 4, None),
        ("For, please.", "guests", 4, None),
        ("Won.", "guests", 1, None),
        ("ate people", None, 8, None),
        ("to adults and too kids", None, 4, None),
        ("Tonight.", "nights", None, 2),  # "Two nights." as the answer to "how many nights"
        ("to nights", "nights", None, 2),
        ("Goodnight.", "nights", None, 2),
        ("for nights please", None, None, 4),
        ("just tree", "nights", None, 3),
        ("To.", "nights", None, 2),
    ],
)
def test_a_misheard_number_is_read_as_the_number(
    said: str, expecting: Expecting | None, guests: int | None, nights: int | None
) -> None:
    slots = extract_slots(said, HOTEL, TODAY, expecting)
    assert (slots.guests, slots.nights) == (guests, nights), slots


@pytest.mark.parametrize(
    ("said", "expecting"),
    [
        ("I'd like to book a room for two nights", None),
        ("For the fifteenth of January.", "check_in"),
        ("I want to go to the pool", None),
        ("Tonight.", "check_in"),  # a date: arriving tonight
        ("Good night.", None),  # leaving
        ("to", None),
        ("Is there a place for dogs?", "guests"),
    ],
)
def test_words_that_are_no_number_there_are_left_alone(said: str, expecting: Expecting | None) -> None:
    slots = extract_slots(said, HOTEL, TODAY, expecting)
    if said.startswith("I'd like"):
        assert (slots.guests, slots.nights) == (None, 2)
    else:
        assert slots.guests is None and slots.nights is None, slots
    if said == "Tonight.":
        assert slots.check_in == TODAY

