"""What the caller is likely to say next, for the speech-to-text to expect.

Whisper reads a prompt as the text that came before the utterance; words in it come out
more readily, in its spelling ("2 nights" rather than "tonight", "deluxe king" rather than
"the looks king"). The prompt is the agent's own question followed by the catalogue's
examples of answers to it ([hearing]), with the hotel's room names where a room is asked.
"""

from __future__ import annotations

from appliance.hotel.model import Hotel
from appliance.sentences import Catalogue
from appliance.understanding.commands import Context

#: The examples of answers to each question asked; other turns get ``hearing.anything``.
_HINTS = {
    "check_in": "hearing.check_in", "nights": "hearing.nights", "guests": "hearing.guests",
    "name": "hearing.name", "phone": "hearing.phone", "code": "hearing.code",
    "callback_time": "hearing.callback_time", "change": "hearing.change",
}  # fmt: skip


def expected_words(context: Context, lines: Catalogue, hotel: Hotel) -> str:
    """The prompt for the caller's next utterance in ``context``."""
    if context.expecting == "room_type":
        rooms = ". ".join(room.name[0].upper() + room.name[1:] for room in hotel.room_types)
        examples = lines.say("hearing.room_type", rooms=rooms)
    elif context.expecting in _HINTS:
        examples = lines.say(_HINTS[context.expecting])
    elif context.pending is not None:
        examples = lines.say("hearing.yes_no")
    else:
        examples = lines.say("hearing.anything")
    return lines.join(context.last_reply, examples)
