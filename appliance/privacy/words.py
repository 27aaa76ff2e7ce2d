"""The words the card rule listens for: numbers as spoken or misheard, and what marks a turn
as card talk, phone talk, booking talk or filler."""

from __future__ import annotations

import re

DIGIT_WORDS = {
    "zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "niner": 9,
}  # fmt: skip
#: Zero as people say it; also a word of its own ("oh, I see"), so it counts only beside a digit.
ZERO_WORDS = frozenset({"oh", "o"})
#: What whisper writes for a digit over a noisy line ("for one one one" for "4111"). Ordinary
#: words too ("for two nights"): they count only where digits are being read out.
MISHEARD = {"for": 4, "fore": 4, "to": 2, "too": 2, "won": 1, "ate": 8, "tree": 3, "free": 3}
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
REPEATS = {"double": 2, "triple": 3}

MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_ORDINAL = (
    r"(?:twenty|thirty)?[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
    r"|eighteenth|nineteenth|twentieth|thirtieth"
)
_UNIT_WORD = r"one|two|three|four|five|six|seven|eight|nine"
_SPOKEN_YEAR = (
    rf"(?:nineteen|twenty)[\s-]+(?:{'|'.join(TEENS)}|{'|'.join(TENS)})(?:[\s-]+(?:{_UNIT_WORD}))?"
    rf"|two thousand(?:\s+and)?(?:\s+(?:{'|'.join(TEENS)}|{_UNIT_WORD}|twenty(?:[\s-]+(?:{_UNIT_WORD}))?))?"
)
_DAY = rf"\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL}"
_YEAR = rf"(?:19|20)\d{{2}}|{_SPOKEN_YEAR}"
_MM = r"(?:0?[1-9]|1[0-2])"
_DD = r"(?:0?[1-9]|[12]\d|3[01])"
#: Dates and times: a date, not a number read out (tool arguments and the agent carry them).
#: Only real ones, with nothing more after them: "4111-11-11 1111" is no date.
NOT_NUMBERS = re.compile(
    rf"(?<![\d\-/])\b(?:19|20)\d{{2}}-{_MM}-{_DD}"  # 2026-12-20
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?(?![\d\-]|/\d)"  # T10:00
    rf"|(?<![\d\-/])\b{_MM}/{_DD}/(?:19|20)?\d{{2}}(?![\d\-/])"  # 12/20/2026
    r"|(?<![\d:\-/])\b(?:[01]?\d|2[0-3]):[0-5]\d\b(?![:\-/]\d)"  # 10:30
    rf"|\b(?:{MONTHS})\s+(?:the\s+)?(?:{_DAY})\b(?:,?\s*(?:of\s+)?(?:{_YEAR})\b)?"  # May 2nd, 2027
    rf"|\b(?:{MONTHS})\s+\d{{1,2}},?\s*(?:{_YEAR})\b"  # May 2, 2027
    rf"|\b(?:{_DAY})\s+(?:of\s+)?(?:{MONTHS})\b(?:,?\s*(?:{_YEAR})\b)?",  # 2nd of May 2027
    re.IGNORECASE,
)
#: A network address, with its port: "127.0.0.1:8080" in a log line is no card (only outside
#: card talk, where "4.1.1.1" may be digits read out).
NETWORK_ADDRESS = re.compile(
    r"(?<![\d.])\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b(?!\.\d)"
    r"(?::\d{1,5}\b)?"
)
#: "May 28": a date, but in card talk an expiry (May 2028), so only outside it.
BARE_DATE = re.compile(rf"\b(?:{MONTHS})\s+\d{{1,2}}\b(?!\s*[/\-])", re.IGNORECASE)
#: "one" that is no digit: "one sec", "that one".
NOT_DIGIT_ONE = re.compile(
    r"\bone(?=\s+(?:sec|secs|second|moment|minute|min|thing)\b)"
    r"|(?<=\bthis )one\b|(?<=\bthat )one\b|(?<=\bwhich )one\b|(?<=\bno )one\b"
    r"|(?<=\bany )one\b|(?<=\bsome )one\b|(?<=\beach )one\b|(?<=\bother )one\b"
    r"|(?<=\banother )one\b|(?<=\blittle )one\b|(?<=\bbig )one\b|(?<=\bevery )one\b",
    re.IGNORECASE,
)
#: Letters that name card things, never part of a confirmation code ("CVV 7 3 7").
NOT_CODE_LETTERS = frozenset(
    {"CVV", "CVC", "CV", "CID", "PIN", "EXP", "MC", "ID", "OK", "AM", "PM", "TV", "US", "USA"}
)

_CARD_WORD = r"(?<!\bkey )(?<!\bkey-)(?<!\bsim )(?<!\bbusiness )(?<!\bgreeting )card"
#: A turn that mentions any of these is card talk: its numbers and the next turn's are card data.
CARD_CUE = re.compile(
    rf"\b(?:{_CARD_WORD}s?|credit|debit|visa|master\s?card|amex|american express|discover"
    r"|expir(?:y|es|ed|ing|ation)|exp date|security code|c\W?v\W?[vc2]|pay|pays|paying|paid"
    r"|payments?|deposit|billing)\b",
    re.IGNORECASE,
)
#: What a caller says before their phone number.
PHONE_CUE = re.compile(
    r"\b(?:my\s+(?:phone\s+|cell\s+|mobile\s+|home\s+|work\s+)?number(?:\s+is|'s)"
    r"|phone\s+number|phone(?:\s+is|'s)|(?:call|text|reach)\s+(?:me|us)(?:\s+back)?\s+(?:at|on)"
    r"|you\s+can\s+(?:call|text|reach)|call\s*back\s+number|mobile|cell)\b",
    re.IGNORECASE,
)
#: Booking quantities: "for two nights", "4 people", "under 200 dollars": a card group is not
#: followed by "nights". Outside card talk such a number is never part of a card; in card talk
#: only a short one is kept.
QUANTITY_AFTER = re.compile(
    r"\s*(?:nights?|people|persons?|guests?|adults?|kids?|children|rooms?|beds?|dollars?"
    r"|bucks|pounds|euros|percent|hours?|minutes?|days?|weeks?|digits?|o'clock|[ap]\.?m)\b",
    re.IGNORECASE,
)
#: "room 204", "suite 1208": outside card talk, a room number is no group of a card.
ROOM_BEFORE = re.compile(r"\b(?:room|suite|floor)\s+(?:number\s+)?$", re.IGNORECASE)
#: A month before a number in card talk: an expiry ("march 2028", "march of 27").
MONTH_BEFORE = re.compile(rf"\b(?:{MONTHS})\s+(?:of\s+)?$", re.IGNORECASE)

_FILLER_PHRASE = re.compile(
    r"\b(?:hold on|hang on|one sec(?:ond)?|one moment|one minute|just a (?:sec(?:ond)?|moment|minute)"
    r"|give me a (?:sec(?:ond)?|moment|minute)|let me (?:find|get|grab|check|see|look for|look)"
    r"(?: (?:it|that|them|my wallet|my purse))?|bear with me|where was i|go on|got it)\b",
    re.IGNORECASE,
)
_FILLER_WORDS = frozenset({
    "okay", "ok", "alright", "right", "sorry", "wait", "waiting", "uh", "uhh", "um", "umm",
    "uhm", "er", "erm", "hmm", "mm", "mhm", "ah", "oh", "yes", "yeah", "yep", "yup", "sure",
    "so", "and", "then", "next", "well", "still", "there", "here", "is", "it", "it's", "its",
    "that's", "thats", "the", "rest", "sec", "second", "moment", "please", "just", "hello",
    "hi", "again", "ready",
})  # fmt: skip


def is_filler(text: str) -> bool:
    """Whether ``text`` says nothing but "hold on", "okay", "sorry", "let me find it"."""
    words = re.findall(r"[a-z']+", _FILLER_PHRASE.sub(" ", text.lower()))
    return all(word in _FILLER_WORDS for word in words)
