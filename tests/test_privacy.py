"""Card numbers never reach the disk, however the caller gives them."""

from __future__ import annotations

import pytest

from appliance.privacy import CARD_MARK, contains_card_number, luhn_ok, redact

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
        ("call me back on 555 123 4567", "555 123 4567"),
        ("my confirmation code is K7M2QX", "K7M2QX"),
        ("a double room for two people", "a double room for two people"),
        ("the number 4111111111111112 fails the Luhn check", "4111111111111112"),
        ("order 1234 5678 9012 3456", "1234 5678 9012 3456"),  # 16 digits, not Luhn-valid
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


def test_luhn() -> None:
    assert luhn_ok(VISA) and luhn_ok("378282246310005") and not luhn_ok("4111111111111112")
