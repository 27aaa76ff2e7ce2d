"""Card numbers never reach the disk, however the caller gives them and over however many turns."""

from __future__ import annotations

import pytest

from appliance.privacy import (
    CARD_MARK,
    contains_card_number,
    mask_for_display,
    redact,
    redact_turns,
)

VISA = "4111111111111111"


@pytest.mark.parametrize(
    "said",
    [
        f"my card number is {VISA}",
        "my card number is 4111 1111 1111 1111",
        "it's 4111-1111-1111-1111 thanks",
        "5555 5555 5555 4444",
        "amex 3782 822463 10005",  # 15 digits, grouped 4-6-5
        "Four one one one, one one one one, one one one one, one one one one.",
        "four one one one one one one one one one one one one one one one",
        "Six oh one one, double oh oh nine, nine oh one three, nine four two four.",  # 6011000990139424
        "5 5 5 5, 5 5 5 5, 5 5 5 5, 4 4 4 4",
        "keyed: 4111111111111111#",
    ],
)
def test_card_numbers_are_removed_in_every_form(said: str) -> None:
    cleaned = redact(said)
    assert CARD_MARK in cleaned
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    assert len(digits) < 13, cleaned
    assert not contains_card_number(cleaned)


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("I'd like a room for 2 nights from January 15th", "2 nights from January 15th"),
        ("my confirmation code is K7M2QX", "K7M2QX"),
        ("a double room for two people", "a double room for two people"),
        ("I'm in room 204, is breakfast at 7?", "room 204, is breakfast at 7?"),
        ("check in 2026-12-20, check out 2026-12-22", "2026-12-20, check out 2026-12-22"),
        # A log line's addresses, ports and paths are no card read out.
        ("cannot listen on 127.0.0.1:33173, is 0.0.0.0 meant?", "127.0.0.1:33173, is 0.0.0.0"),
        ("sent date=2026-12-03/hourly.parquet to 10.0.0.12:8443", "2026-12-03/hourly.parquet to 10.0.0.12:8443"),
        (
            "missing /tmp/run-162/models/llm/m.gguf, /tmp/run-162/models/stt, /tmp/run-162/x",
            "/tmp/run-162/models/llm/m.gguf, /tmp/run-162/models/stt, /tmp/run-162/x",
        ),
    ],
)
def test_other_numbers_are_kept(said: str, kept: str) -> None:
    assert kept in redact(said)


def test_security_code_and_expiry_next_to_a_card_go_too() -> None:
    cleaned = redact("card 4111 1111 1111 1111, expires 03/27, security code 123")
    assert "03/27" not in cleaned and "123" not in cleaned
    spoken = redact(
        "it's 5555 5555 5555 4444 expiring march 2028 and the code is seven three seven"
    )
    assert "march 2028" not in spoken.lower() and "seven three seven" not in spoken


def test_a_security_code_far_from_any_card_is_not_touched() -> None:
    assert redact("room 123 please") == "room 123 please"


@pytest.mark.parametrize(
    "said",
    [
        "the number 4111111111111112",  # a misheard digit fails the Luhn check: still a card
        "order 1234 5678 9012 3456",
        "call me back on 555 123 4567",  # could be two thirds of a card: removal wins
        "the first half is 4111 1111",
    ],
)
def test_long_numbers_are_removed_whether_or_not_they_pass_luhn(said: str) -> None:
    assert not any(ch.isdigit() for ch in redact(said)), redact(said)


@pytest.mark.parametrize(
    "turns",
    [
        ["four one one one one one one one", "one one one one one one one one"],  # 8 + 8
        ["4111 1111 1111", "1111, and the code is 737"],  # 12 + 4, then the security code
        ["4111", "1111", "1111", "1111"],  # four groups, one a turn
        ["my card is 4111 1111 1111 1111", "the code is seven three seven"],
    ],
)
def test_a_card_read_over_consecutive_turns_is_removed_from_every_turn(turns: list[str]) -> None:
    kept = redact_turns(turns)
    assert all(CARD_MARK in turn for turn in kept), kept
    spoken = ("one", "seven", "three")
    assert not any(ch.isdigit() for turn in kept for ch in turn), kept
    assert not any(word in turn.split() for turn in kept for word in spoken), kept


def test_an_expiry_in_the_turn_after_a_card_goes_too() -> None:
    kept = redact_turns(["my card is 4111 1111 1111 1111", "it expires march of 27"])
    assert "27" not in kept[1] and "march" not in kept[1].lower()


def test_a_short_number_in_the_next_turn_after_an_ordinary_one_is_kept() -> None:
    assert redact_turns(["room 204 please", "for 2 nights"]) == ["room 204 please", "for 2 nights"]


def test_what_a_screen_shows_of_the_callers_words_holds_no_group_of_digits() -> None:
    """A page or kiosk shows a turn at once; the rule across turns may learn later that it
    began a card. Every group of three or more digits is blotted out on screens."""
    assert mask_for_display("my card is 4111") == "my card is [removed]"
    assert "one one" not in mask_for_display("it's four one one one, then")
    assert mask_for_display("2 nights for 3 people in room 12") == "2 nights for 3 people in room 12"
