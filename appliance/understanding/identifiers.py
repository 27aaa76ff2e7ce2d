"""Who the caller is and what they hold, out of what the speech-to-text wrote: their name,
a phone number spoken digit by digit, and a confirmation code read out a character or a
group at a time ('k 7 m 2 q x', 'kay seven em two queue ex', 'b as in bravo', '5y um 9v')."""

from __future__ import annotations

import re

import phonenumbers

_PHONE_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
                "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip


def find_phone(text: str, region: str = "US") -> str | None:
    """A phone number spoken digit by digit or written, as E.164."""
    digits = ""
    repeat = 1
    for token in re.findall(r"\+?\d+|[a-z]+", text):
        bare = token.lstrip("+")
        if bare.isdigit():
            digits += bare * repeat if len(bare) == 1 else bare
            repeat = 1
        elif token in _PHONE_WORDS:
            digits += _PHONE_WORDS[token] * repeat
            repeat = 1
        elif token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
        elif len(digits) >= 10:
            break
        elif token in ("plus", "dash", "area", "code", "and"):
            continue
        else:
            digits, repeat = "", 1
    if not 10 <= len(digits) <= 15:
        return None
    try:
        number = phonenumbers.parse("+" + digits if len(digits) > 10 else digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


CALLER_NUMBER = re.compile(
    r"\b(this number|this phone|the number i'?m calling (from|on)|the one i'?m calling (from|on)|same number|"
    r"number i'?m (calling|on)|my cell|calling from|ringing from|the number you have|the number that shows|this one|"
    r"the one i'?m on|the one i am on|this mobile|the mobile i'?m)\b"
)

_CODE_ALPHABET = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
_CODE_LOOKALIKES = {"thanks", "answer", "causes", "search", "gather", "bunch", "cheers",
                    "change", "wanted", "master", "please", "number", "cancel", "letter"}  # fmt: skip
_LETTER_WORDS = {
    "ay": "A", "bee": "B", "be": "B", "see": "C", "sea": "C", "cee": "C", "dee": "D", "ee": "E",
    "eff": "F", "gee": "G", "aitch": "H", "jay": "J", "kay": "K", "el": "L", "em": "M", "en": "N",
    "pee": "P", "queue": "Q", "cue": "Q", "are": "R", "ar": "R", "ess": "S", "tee": "T", "tea": "T",
    "you": "U", "vee": "V", "ex": "X", "why": "Y", "zed": "Z", "zee": "Z",
}  # fmt: skip
_NATO = {
    "alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E",
    "foxtrot": "F", "golf": "G", "hotel": "H", "india": "I", "juliet": "J", "juliett": "J",
    "kilo": "K", "lima": "L", "mike": "M", "november": "N", "oscar": "O", "papa": "P",
    "quebec": "Q", "romeo": "R", "sierra": "S", "tango": "T", "uniform": "U", "victor": "V",
    "whiskey": "W", "whisky": "W", "xray": "X", "x-ray": "X", "yankee": "Y", "zulu": "Z",
}  # fmt: skip
_CODE_DIGITS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                "eight": "8", "nine": "9"}  # fmt: skip
_CODE_TRIGGERS = {"reservation", "code", "number", "is", "booking", "confirmation", "it's", "its"}
#: What may come before a code said on its own: "yes, the code is ...".
_CODE_LEAD_IN = _CODE_TRIGGERS | {"yes", "yeah", "sure", "ok", "okay", "so", "right", "it", "the", "my"}
_CODE_FILLER = {"as", "in", "for", "like", "is", "it's", "its", "and", "then", "dash", "space",
                "the", "code", "my", "confirmation", "number", "capital", "letter", "um", "uh"}  # fmt: skip


#: "the 2nd", "21st": a day of a month, never a group of a code.
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")


def find_code(text: str, expecting: bool = False) -> str | None:
    """A six-character confirmation code, written whole ('K7M2QX'), read out one character at
    a time ('k 7 m 2 q x', 'kay seven em two queue ex', 'b as in bravo'), or in groups
    ('F8 8, V N 6'). A code always has a letter: a run of digits alone is no code (it may be
    a card being read out, and must never be read back as one)."""
    code = _find_code(text, expecting)
    return code if code is not None and re.search(r"[A-Z]", code) else None


def _find_code(text: str, expecting: bool) -> str | None:
    for token in re.findall(r"\b[a-z0-9]{6}\b", text):
        if re.search(r"\d", token) and re.search(r"[a-z]", token):
            return token.upper()
        if (
            expecting and set(token.upper()) <= _CODE_ALPHABET
            and token not in _CODE_LOOKALIKES and token not in _NATO
        ):
            return token.upper()
    if grouped := _grouped_code(text, expecting):
        return grouped
    if not expecting and not re.search(r"\b(code|reservation|booking|confirmation|number)\b", text):
        return None
    chars: list[str] = []
    tokens = re.findall(r"[a-z0-9'-]+", text)
    index = 0
    repeat = 1
    while index < len(tokens):
        token = tokens[index]
        index += 1
        started = len(chars)
        if token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
            continue
        after_trigger = index >= 2 and tokens[index - 2] in _CODE_TRIGGERS
        # "b as in bravo": the letter is said twice; keep one.
        if token in _NATO and index >= 3 and tokens[index - 2] == "in" and tokens[index - 3] == "as":
            continue
        if token in _NATO and chars and tokens[index - 2:index - 1] == ["for"]:
            continue
        if len(token) == 1:
            chars.append(token.upper())
        elif token in _CODE_DIGITS and (expecting or chars or index > 1):
            chars.append(_CODE_DIGITS[token])
        elif token in _LETTER_WORDS and (chars or expecting or after_trigger):
            chars.append(_LETTER_WORDS[token])
        elif token in _NATO:
            chars.append(_NATO[token])
        elif token in _CODE_FILLER:
            continue
        elif re.fullmatch(r"[a-z0-9]{2,3}", token) and not _ORDINAL.fullmatch(token) and (
            re.search(r"\d", token) or (expecting and set(token.upper()) <= _CODE_ALPHABET)
        ):
            chars.extend(token.upper())  # a group: "f8", "8vn", "tzg"
        elif token.isdigit() and len(token) <= 6:
            chars.extend(token)
        elif len(chars) >= 6:
            break
        else:
            chars = []
        if repeat > 1 and len(chars) == started + 1:
            chars.extend(chars[-1] * (repeat - 1))
        repeat = 1
    if len(chars) > 6:
        # "j... j 6 w 8 p e": a stutter says a letter twice.
        for i in range(len(chars) - 1):
            if chars[i] == chars[i + 1] and chars[i].isalpha():
                del chars[i]
                break
    if len(chars) >= 6:
        return "".join(chars[:6])
    return None


def _grouped_code(text: str, expecting: bool) -> str | None:
    """A code read in groups of two or three ('5y um 9v', 'k2m y4t'): a run of short tokens
    of the code's characters, six in all, read as groups first, so a pair that is also a
    filler or a spoken letter ('um', 'em', 'be') keeps both its characters. Without a digit
    among them it must be groups of one size, asked for, and all that was said after 'the
    code is' ('call me at my room' is no code)."""
    tokens = re.findall(r"[a-z0-9'-]+", text)
    start = 0
    for end, token in enumerate([*tokens, "."]):
        if (
            2 <= len(token) <= 3
            and set(token.upper()) <= _CODE_ALPHABET
            and not _ORDINAL.fullmatch(token)
        ):
            continue
        run = tokens[start:end]
        joined = "".join(run).upper()
        if len(run) >= 2 and len(joined) == 6:
            if re.search(r"\d", joined):
                return joined
            only_code = end == len(tokens) and set(tokens[:start]) <= _CODE_LEAD_IN
            if expecting and only_code and len({len(t) for t in run}) == 1:
                return joined
        start = end + 1
    return None


_NAME_PATTERNS = [
    r"\b(?:my |her |his |the )?name is ([a-z][a-z' -]+)",
    r"\bname,? ([a-z][a-z' -]+)$",
    r"\bname\b.*\bchange it to ([a-z][a-z' -]+)",
    r"\bname'?s ([a-z][a-z' -]+)",
    r"\bunder (?:the name )?(?:of )?([a-z][a-z' -]+)",
    r"\bthis is ([a-z][a-z' -]+)",
    r"\bit'?s ([a-z][a-z' -]+)",
    r"\bi'?m ([a-z][a-z' -]+)",
    r"\bcall me ([a-z][a-z' -]+)",
    r"\b(?:it'?s |put it |book it )?under ([a-z][a-z' -]+)",
    r"\b(?:put it|put me|put us|book it|write it) down (?:as|under) ([a-z][a-z' -]+)",
    r"\bput it (?:under|in the name of) ([a-z][a-z' -]+)",
]
_NOT_NAMES = {"looking", "calling", "interested", "trying", "wondering", "just", "not", "sure",
              "here", "fine", "good", "great", "okay", "ok", "going", "staying", "arriving",
              "checking", "a", "the", "for", "in", "me", "my", "us", "our", "sorry", "afraid",
              "from", "on", "booking", "hoping", "after", "about", "planning", "still", "yes",
              "yeah", "yep", "no", "nope", "that", "this", "it", "works", "right", "correct",
              "please", "thanks", "thank", "what", "how", "sounds", "perfect", "actually", "can",
              "could", "wait", "hold", "hello", "hi", "hey", "is", "are", "do", "does",
              "wrong", "hang", "all", "set", "done"}  # fmt: skip
_NAME_STOP = re.compile(
    r"\b(and|for|from|with|please|thanks|thank|i|my|phone|number|at|on|to|spelled|that's|thats|"
    r"is|it's|its|we|room|booking|reservation)\b.*$"
)


def find_name(text: str, expecting: bool = False) -> str | None:
    candidates = [m.group(1) for p in _NAME_PATTERNS if (m := re.search(p, text))]
    if expecting and not candidates:
        candidates = [
            re.sub(r"^((it is|it's|yes|yeah|sure|ok|okay|so|well|the name|name)\s+)+", "", text)
        ]
    for candidate in candidates:
        words = _NAME_STOP.sub("", candidate).strip(" -'").split()
        while len(words) > 2 and len(words[-1]) == 1:
            words.pop()  # "david chen c h e n": the letters spell it
        words = words[:4]
        if any(w in _NOT_NAMES for w in words[1:]):
            continue
        if words and words[0] not in _NOT_NAMES and not any(ch.isdigit() for ch in "".join(words)):
            return " ".join(w.capitalize() for w in words)
    return None
