"""Hearing on the real speech-to-text, with voices that are not the appliance's own over a
telephone line: the prompt of what the question expects, and the recogniser's own doubt."""

from __future__ import annotations

import re

from voices import VOICES, PhoneLine

from appliance.config import default_config
from appliance.dialogue.listening import expected_words
from appliance.engines import Engines
from appliance.hotel.model import load_hotel
from appliance.sentences import english
from appliance.stt.base import Transcript
from appliance.understanding.commands import Context


def two_adults(text: str) -> bool:
    return re.fullmatch(r"(two|2) adults\W*", text.strip().lower()) is not None


async def test_the_expected_answer_is_heard_and_a_garbled_one_is_doubted(engines: Engines) -> None:
    lines = english()
    hotel = load_hotel(default_config().paths.hotel_file)
    asked = lines.say("booking.ask_guests")
    prompt = expected_words(Context(expecting="guests", last_reply=asked), lines, hotel)
    plain: list[Transcript] = []
    prompted: list[Transcript] = []
    for voice in VOICES:
        audio = PhoneLine().carry(voice.speak("Two adults."))
        plain.append(await engines.stt.run(lambda m, a: m.transcribe(a), audio))
        prompted.append(await engines.stt.run(lambda m, a: m.transcribe(a, None, prompt), audio))
    # The prompt is what came before: it never shows in what the caller said.
    assert not any(asked.lower() in t.text.lower() for t in prompted)
    # These voices are hard for the small model: without the prompt most come out wrong,
    # with it nearly all come out right.
    assert sum(two_adults(t.text) for t in plain) <= 3, [t.text for t in plain]
    assert sum(two_adults(t.text) for t in prompted) >= 6, [t.text for t in prompted]
    # The recogniser's confidence tells the two apart: the garbled ones are doubted (and so
    # read back), the clear ones not.
    garbled = [t for t in plain if not two_adults(t.text)]
    assert sum(t.doubtful for t in garbled) >= len(garbled) - 1, [
        (t.text, t.avg_logprob) for t in garbled
    ]
    assert not any(t.doubtful for t in prompted if two_adults(t.text))
