"""One call's card rule: what callers say over a noisy phone line, turn by turn, kept without
a card digit, while phone numbers are labelled and booking talk is kept as said."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.privacy import (
    CARD_MARK,
    PHONE_MARK,
    CardRule,
    Revision,
    mask_for_display,
    redact,
    redact_turns,
)
from appliance.privacy.numbers import read_numbers

CARD = "4539 1488 0343 6467"


def heard(*turns: str) -> CardRule:
    rule = CardRule()
    for said in turns:
        rule.hear(said)
    return rule


def kept(*turns: str) -> list[str]:
    rule = heard(*turns)
    return [rule.kept(index) for index in range(len(turns))]


def no_digits(text: str) -> bool:
    spoken = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"}
    return not any(ch.isdigit() for ch in text) and not spoken & set(text.lower().split())


# 1. Numbers in every form count as digits.


def test_the_misheard_card_from_a_real_call_is_removed_from_both_turns() -> None:
    rule = CardRule()
    first = rule.hear("My card is for one, one, one.")
    second = rule.hear("for one one one one, one one one")
    assert first == [Revision(0, f"My card is {CARD_MARK}.", True)]
    assert second == [Revision(1, CARD_MARK, True)]


@pytest.mark.parametrize(
    "said",
    [
        "forty five thirty nine, fourteen eighty eight, oh three forty three, sixty four sixty seven",
        "four thousand five hundred thirty nine, one thousand four hundred eighty eight, "
        "three hundred forty three, six thousand four hundred sixty seven",
        "four five three nine, one four double eight, oh three four three, six four six seven",
        "four triple one, one one one one, one one one one, one one one one",
        "for one one one one one one one one one one one one one one one",  # no card word said
    ],
)
def test_a_card_said_in_tens_thousands_and_repeats_is_removed(said: str) -> None:
    assert redact(said) == CARD_MARK
    assert kept(said) == [CARD_MARK]


@pytest.mark.parametrize("word", ["for", "fore", "to", "too", "won", "ate", "tree", "free"])
def test_a_misheard_digit_in_card_talk_goes_with_the_digits(word: str) -> None:
    assert kept("my card number is", f"{word} one one") == ["my card number is", CARD_MARK]


def test_a_group_of_misheard_digits_alone_in_card_talk_is_removed() -> None:
    assert kept("my card number is", "tree, won, fore, ate") == ["my card number is", CARD_MARK]


def test_oh_among_digits_read_one_by_one_is_a_zero() -> None:
    assert kept("4721, five nine oh 1, oh 9 2 eight, one 5 9 zero") == [CARD_MARK]


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("forty five thirty nine", "4539"),
        ("four thousand five hundred thirty nine", "4539"),
        ("five hundred and three", "503"),
        ("six oh one one", "6011"),
        ("double oh nine", "009"),
        ("triple one", "111"),
        ("twenty twenty six", "2026"),
    ],
)
def test_spoken_numbers_read_as_their_digits(said: str, digits: str) -> None:
    assert [run.digits for run in read_numbers(said)] == [digits]


# 2. A turn about a card puts the call in card talk: every number after it is card data.


@pytest.mark.parametrize(
    "cue",
    [
        "I'll give you my card",
        "it's a credit card",
        "a debit card",
        "it's a Visa",
        "Mastercard",
        "amex",
        "American Express",
        "Discover",
        "the card number",
        "the expiry",
        "the expiration date",
        "the security code",
        "the CVV",
        "the CVC",
        "I'd like to pay",
        "the payment",
        "for the deposit",
    ],
)
def test_after_a_card_word_even_two_digits_are_card_data(cue: str) -> None:
    rule = CardRule()
    rule.hear(cue)
    assert rule.card_context
    assert rule.hear("4 1") == [Revision(1, CARD_MARK, True)]


def test_card_talk_ends_when_the_caller_moves_on() -> None:
    turns = ["I'll pay by card", "41", "what time is breakfast", "41", "room 204 please"]
    assert kept(*turns) == ["I'll pay by card", CARD_MARK, *turns[2:]]
    assert not heard(*turns).card_context


def test_a_turn_with_card_digits_keeps_card_talk_for_the_next() -> None:
    rule = heard(CARD)  # sixteen digits, no card word
    assert rule.card_context
    assert rule.hear("and 12") == [Revision(1, f"and {CARD_MARK}", True)]


def test_a_room_key_card_is_no_payment_card() -> None:
    turns = ["my key card stopped working", "room 204"]
    assert kept(*turns) == turns


# 3. Filler between groups does not break the chain.


def test_a_card_in_four_groups_with_hold_on_and_okay_between_goes_from_every_group() -> None:
    rule = CardRule()
    said = ["4539", "hold on", "1488", "okay", "0343", "6467"]
    revisions = [rule.hear(turn) for turn in said]
    assert revisions[:2] == [[], []]  # four digits on their own may be anything
    assert revisions[2] == [Revision(0, CARD_MARK, True), Revision(2, CARD_MARK, True)]
    assert revisions[3] == [] and revisions[4:] == [[Revision(4, CARD_MARK, True)], [Revision(5, CARD_MARK, True)]]  # fmt: skip
    assert [rule.kept(i) for i in range(6)] == [CARD_MARK, "hold on", CARD_MARK, "okay", CARD_MARK, CARD_MARK]  # fmt: skip


@pytest.mark.parametrize(
    "filler", ["one sec", "sorry", "let me find it", "uh", "yes", "wait", "Hang on, one second."]
)
def test_filler_between_groups_does_not_break_the_chain(filler: str) -> None:
    assert kept("four five three nine", filler, "1488") == [CARD_MARK, filler, CARD_MARK]
    assert kept("my card is", "4539", filler, "14") == ["my card is", CARD_MARK, filler, CARD_MARK]


# 4. Outside card talk, the chain of long numbers stands.


def test_a_card_read_without_a_card_word_is_removed_with_its_code_and_expiry() -> None:
    rule = heard(
        "it runs out march 28", "4539 1488", "0343 6467", "the back says seven three seven"
    )
    assert [rule.kept(i) for i in range(4)] == [
        "it runs out [removed]",
        CARD_MARK,
        CARD_MARK,
        f"the back says {CARD_MARK}",
    ]


def test_short_numbers_in_turns_of_their_own_are_kept() -> None:
    turns = ["room 204", "for 2 nights", "two adults"]
    assert kept(*turns) == turns


# 5. Phone numbers are labelled, not removed as cards.


@pytest.mark.parametrize(
    ("said", "as_kept"),
    [
        ("my number is 555 234 5678", f"my number is {PHONE_MARK}"),
        (
            "you can call me at five five five, two three four, five six seven eight",
            f"you can call me at {PHONE_MARK}",
        ),
        ("my phone number is 1 555 234 5678, thanks", f"my phone number is {PHONE_MARK}, thanks"),
        ("reach me at 234 5678", f"reach me at {PHONE_MARK}"),
        ("callback number (555) 234-5678", f"callback number {PHONE_MARK}"),
        (
            "my mobile is 555-234-5678 and we are 2 people",
            f"my mobile is {PHONE_MARK} and we are 2 people",
        ),
    ],
)
def test_a_phone_number_after_a_phone_cue_is_labelled_and_is_not_card_data(
    said: str, as_kept: str
) -> None:
    rule = CardRule()
    assert rule.hear(said) == [Revision(0, as_kept, False)]
    assert not rule.card_context


def test_a_phone_number_asked_for_is_labelled() -> None:
    rule = CardRule()
    assert rule.hear("555 234 5678", asked_for="phone") == [Revision(0, PHONE_MARK, False)]


def test_a_phone_number_counts_no_card_digits_and_starts_no_card_talk() -> None:
    turns = ["my number is 555 234 5678", "room 204", "12"]
    assert kept(*turns) == [f"my number is {PHONE_MARK}", "room 204", "12"]


def test_card_talk_wins_over_a_phone_cue() -> None:
    rule = heard("it's a visa")
    assert rule.hear("my number is 555 234 5678") == [Revision(1, f"my number is {CARD_MARK}", True)]  # fmt: skip
    assert rule.hear("555 234 5678", asked_for="phone") == [Revision(2, CARD_MARK, True)]


@pytest.mark.parametrize("said", [CARD, "555 234 5678 9012 3456", "555 234 5678, 9012"])
def test_sixteen_digits_after_a_phone_cue_are_a_card(said: str) -> None:
    assert kept(f"my number is {said}") == [f"my number is {CARD_MARK}"]
    assert heard().hear(said, asked_for="phone") == [Revision(0, CARD_MARK, True)]


def test_a_phone_number_on_its_own_is_labelled_too() -> None:
    assert redact("call me back on 555 123 4567") == f"call me back on {PHONE_MARK}"


# 6. Confirmation codes are kept; digits alone in card talk are no code.


@pytest.mark.parametrize("code", ["K7M2QX", "K 7 M 2 Q X", "K7 M2 QX", "k seven m two q x"])
def test_a_confirmation_code_is_kept_even_in_card_talk(code: str) -> None:
    rule = heard("I'd like to pay by card")
    assert rule.hear(f"my code is {code}", asked_for="code") == []
    assert rule.kept(1) == f"my code is {code}"


def test_digits_alone_in_card_talk_are_no_code() -> None:
    rule = heard("I'd like to pay by card")
    assert rule.hear("the code is 453914", asked_for="code") == [
        Revision(1, f"the code is {CARD_MARK}", True)
    ]
    assert rule.hear("it's 4 1") == [Revision(2, f"it's {CARD_MARK}", True)]


# 7. Other numbers are kept.


@pytest.mark.parametrize(
    "said",
    [
        "a room for 2 nights from January 15th",
        "I'm in room 204",
        "two people",
        "is breakfast at 7?",
        "check in 2026-12-20, check out 2026-12-22",
        "from 2026-12-20T10:00",
        "under 200 dollars",
        "for two nights",
        "I want to book for four people",
        "a double room for two people",
        "arriving December 20, 2026 at 10:30",
    ],
)
def test_booking_talk_is_kept_as_said(said: str) -> None:
    assert redact(said) == said
    assert kept(said) == [said]


def test_years_in_dates_over_turns_are_no_card() -> None:
    turns = ["arriving January 15th 2027", "leaving January 18th 2027", "room 204"]
    assert kept(*turns) == turns
    assert redact_turns(turns) == turns


def test_room_numbers_and_prices_over_turns_are_no_card() -> None:
    turns = ["room 1208", "anything under 250 dollars?", "or for 300 dollars", "room 312"]
    assert kept(*turns) == turns


def test_booking_quantities_in_card_talk_are_kept() -> None:
    turns = ["can I pay by card", "for two nights", "I want to book for four people"]
    assert kept(*turns) == turns


# 8. The agent's words are kept as spoken, but for what repeats the caller's card.

PRICES = "a queen at 149 dollars, a king at 189 dollars or a suite at 289 dollars a night"
HOTEL = "Your code is K, 7, M, 2, Q, X. Call us on 555 234 5678. See you December 20, 2026."


@pytest.mark.parametrize("before", [[], ["my card is 4111 1111 1111 1111"], [CARD]])
@pytest.mark.parametrize("says", [PRICES, HOTEL, "That's 298 dollars for 2 nights."])
def test_the_agents_prices_dates_code_and_phone_are_kept(before: list[str], says: str) -> None:
    assert heard(*before).agent(says) == says


@pytest.mark.parametrize(
    "says",
    [
        "I couldn't find a reservation under the code 4, 5, 3, 9, 1, 4.",
        "I couldn't find a reservation under the code four five three nine one four.",
        "Did you say 6467?",
    ],
)
def test_the_agent_repeating_the_callers_card_digits_is_removed(says: str) -> None:
    rule = heard("four five three nine, one four double eight", "oh three four three, 6467")
    assert no_digits(rule.agent(says)) and CARD_MARK in rule.agent(says)


def test_the_agent_reading_a_whole_card_is_removed() -> None:
    assert CardRule().agent(f"Is it {CARD}?") == f"Is it {CARD_MARK}?"


# 9. A tool argument is judged as if the caller had just said it.


def test_an_argument_after_card_digits_is_removed() -> None:
    rule = heard("my card is four five three nine", "one four eight eight")
    assert rule.argument("453914") == CARD_MARK
    assert rule.argument("K7M2QX") == "K7M2QX" and rule.argument("2026-12-20") == "2026-12-20"
    assert rule.kept(1) == CARD_MARK and rule.card_context  # the argument changed nothing


def test_an_id_of_letters_and_digits_is_no_number() -> None:
    session = "VS4fa47b5a69ee4fcfadf162dc7536bf3c"
    assert heard(CARD).argument(session) == session and redact(session) == session


def test_an_argument_echoing_a_card_after_the_caller_moved_on_is_removed() -> None:
    rule = heard(CARD, "what time is breakfast")
    assert rule.argument("code 453914") == f"code {CARD_MARK}"


def test_an_argument_with_the_callers_phone_number_is_labelled() -> None:
    rule = heard("my number is 555 234 5678", "what time is breakfast")
    assert rule.argument("+15552345678") == PHONE_MARK


# 10. and 11. Screens and texts on their own.


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("it's forty five thirty nine", "it's [removed]"),
        ("four thousand five hundred thirty nine", "[removed]"),
        ("2 nights for 3 people in room 12", "2 nights for 3 people in room 12"),
    ],
)
def test_screens_blot_every_group_of_digits(said: str, shown: str) -> None:
    assert mask_for_display(said) == shown


def test_a_text_on_its_own_keeps_a_price_after_a_card_word() -> None:
    """A message or the agent's words: "deposit" before a price is no caller reading a card."""
    assert redact("A deposit of 149 dollars is taken by card.") == (
        "A deposit of 149 dollars is taken by card."
    )


# The interface.


def test_nothing_changes_nothing_is_reported() -> None:
    rule = CardRule()
    assert rule.hear("hello") == [] and rule.kept(0) == "hello" and not rule.card_context


def test_a_revision_is_a_frozen_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Revision(0, CARD_MARK, True).kept = "x"  # type: ignore[misc]


def test_bad_calls_say_what_was_wrong() -> None:
    with pytest.raises(IndexError, match="no caller turn 3"):
        CardRule().kept(3)
    with pytest.raises(ValueError, match="asked_for"):
        CardRule().hear("hi", asked_for="email")  # type: ignore[arg-type]


def test_card_talk_outlives_the_window_and_the_said_words_do_not() -> None:
    rule = heard("my card is", *(["hold on"] * 10))
    assert rule.card_context
    assert rule.hear("41") == [Revision(11, CARD_MARK, True)]
    for _ in range(10):
        rule.hear("what time is breakfast")
    assert "41" not in repr(vars(rule))  # the digits as said are no longer held anywhere


def test_card_talk_from_a_card_read_without_a_card_word_outlives_the_window() -> None:
    rule = heard("4539", "1488", *(["hold on"] * 9))
    assert rule.card_context
    assert rule.hear("12") == [Revision(11, CARD_MARK, True)]
