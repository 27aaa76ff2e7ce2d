"""Reading the numbers in what the caller said, however the speech-to-text wrote them.

A run is digits said or keyed together, with nothing but spaces and punctuation between:
"4111 1111", "four one one one", "six oh one one", "double five", "forty five thirty nine"
(4539), "four thousand five hundred thirty nine" (4539). Dates, times and confirmation codes
(letters and digits: "K7M2QX", "K 7 M 2 Q X") are not runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

from appliance.privacy.words import (
    BARE_DATE,
    DIGIT_WORDS,
    MISHEARD,
    NETWORK_ADDRESS,
    NOT_CODE_LETTERS,
    NOT_DIGIT_ONE,
    NOT_NUMBERS,
    REPEATS,
    TEENS,
    TENS,
    ZERO_WORDS,
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
#: What may lie between two parts of one run: "4111 1111", "4111-1111", "four, one", "03/27".
_JOIN = re.compile(r"[\s,.\-/()+]*")
_CODE_JOIN = re.compile(r"[\s,.\-]*")
#: A confirmation code's length, and the most digits one may hold as said in card talk.
_CODE_LENGTH = 6
_CODE_DIGITS = 4
#: In card talk, this many misheard digits together are digits even with no real one beside.
_MISHEARD_ALONE = 3


@dataclass(frozen=True)
class Chunk:
    """Digits said as one piece: "4111", "four", "forty five", "double oh"."""

    start: int
    end: int
    digits: str


@dataclass(frozen=True)
class Run:
    """Digits said together: where they lie in the text, and the pieces they were said in."""

    chunks: tuple[Chunk, ...]

    @property
    def start(self) -> int:
        return self.chunks[0].start

    @property
    def end(self) -> int:
        return self.chunks[-1].end

    @property
    def digits(self) -> str:
        return "".join(chunk.digits for chunk in self.chunks)


class _Kind(Enum):
    KEYED = auto()  # "4111"
    DIGIT = auto()  # "four"
    ZERO = auto()  # "oh"
    MISHEARD = auto()  # "for"
    TEEN = auto()
    TENS = auto()
    HUNDRED = auto()
    THOUSAND = auto()
    REPEAT = auto()  # "double"
    AND = auto()  # "five hundred and three"


@dataclass(frozen=True)
class _Unit:
    kind: _Kind
    value: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Piece:
    """A chunk as read, before it is known whether a weak one ("oh", "for") counts."""

    chunk: Chunk
    kind: _Kind  # KEYED, DIGIT (spoken, any size), ZERO or MISHEARD
    single: bool = False  # one spoken digit word: "four"


def read_numbers(text: str, card_talk: bool = False) -> list[Run]:
    """The runs of digits in ``text``. ``card_talk``: the caller is on card data, so "for",
    "to", "won", "ate", "tree" next to a digit are digits too, and "May 28" is an expiry."""
    runs: list[Run] = []
    for units in _sequences(masked(text, card_talk)):
        for pieces in _parse(units):
            runs += _weighed(pieces, card_talk)
    return runs


def masked(text: str, card_talk: bool = False) -> str:
    """``text`` with dates, times, codes and "one sec" blotted out, all else where it was."""
    text = NOT_NUMBERS.sub(_blot, text)
    if not card_talk:
        text = BARE_DATE.sub(_blot, text)
        text = NETWORK_ADDRESS.sub(_blot, text)
        text = _COMPOUND.sub(_blot_name, text)
    text = NOT_DIGIT_ONE.sub(_blot, text)
    for start, end in code_spans(text):
        text = text[:start] + "#" * (end - start) + text[end:]
    return text


def _blot(match: re.Match[str]) -> str:
    return "#" * len(match.group(0))


#: Words joined by "-" or "_" with nothing between: "pytest-162", "hourly_0000-2400".
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[_\-][A-Za-z0-9]+)+")
_NUMBER_WORDS = frozenset(
    {*DIGIT_WORDS, *ZERO_WORDS, *MISHEARD, *TEENS, *TENS, *REPEATS, "hundred", "thousand"}
)


def _blot_name(match: re.Match[str]) -> str:
    """A name with digits in it ("pytest-162", "hourly_0000-2400", "room-204") is no number
    read out; "4111-1111" and "four-one-one" are, as all their parts are numbers."""
    parts = re.split(r"[_\-]", match.group(0))
    named = any(not part.isdigit() and part.lower() not in _NUMBER_WORDS for part in parts)
    return _blot(match) if named and any(ch.isdigit() for ch in match.group(0)) else match.group(0)


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a confirmation code: letters and digits together, said whole
    ("K7M2QX") or a piece at a time ("K 7 M 2 Q X", "K7 M2 QX", "k seven m two q x")."""
    spans: list[tuple[int, int]] = []
    group: list[tuple[int, int, str]] = []
    last_end = 0
    for token in _TOKEN.finditer(text):
        piece = _code_piece(token.group(0))
        if piece is None or (group and not _CODE_JOIN.fullmatch(text[last_end : token.start()])):
            spans += _code_of(group)
            group = []
        if piece is not None:
            group.append((token.start(), token.end(), piece))
        last_end = token.end()
    return spans + _code_of(group)


def _code_piece(token: str) -> str | None:
    """The characters ``token`` gives a code, if it may be part of one ("K7", "Q", "seven")."""
    if not token.isalnum():  # "it's": a word, never part of a code
        return None
    if token.isdigit():
        return token if len(token) <= 2 else None
    if token.lower() in DIGIT_WORDS:
        return str(DIGIT_WORDS[token.lower()])
    if token.isalpha() and len(token) == 1:
        return None if token in "IOaio" else token.upper()
    if token.isalpha():
        upper = len(token) <= 3 and token.isupper() and token not in NOT_CODE_LETTERS
        return token if upper else None
    return token.upper() if len(token) <= _CODE_LENGTH + 2 else None  # letters and digits


def _code_of(group: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """The group as a code, if it is one. Said a piece at a time, it must be about a code's
    length with three letters or more, so that a card digit beside a stray letter or "ATM"
    is no code; read in pairs ("K7 M2 QX"), a pair of letters may be one of its pieces."""
    chars = "".join(piece for _, _, piece in group)
    letters = sum(ch.isalpha() for ch in chars)
    digits = len(chars) - letters
    mixed = [piece for _, _, piece in group if not piece.isalpha() and not piece.isdigit()]
    if len(group) == 1 and mixed:
        return [(group[0][0], group[0][1])]
    words = any(len(piece) > 1 and piece.isalpha() for _, _, piece in group)
    enough_letters = letters >= (2 if mixed else 3) and (mixed or not words)
    if enough_letters and 1 <= digits <= _CODE_DIGITS and abs(len(chars) - _CODE_LENGTH) <= 1:
        return [(group[0][0], group[-1][1])]
    return []


def _unit(token: str, start: int, end: int) -> _Unit | None:
    word = token.lower()
    if token.isdigit():
        return _Unit(_Kind.KEYED, 0, start, end, token)
    if any(ch.isdigit() for ch in token):  # "15th", "K7M2QX", a call's id: no number
        return None
    for kind, table in (
        (_Kind.DIGIT, DIGIT_WORDS),
        (_Kind.MISHEARD, MISHEARD),
        (_Kind.TEEN, TEENS),
        (_Kind.TENS, TENS),
        (_Kind.REPEAT, REPEATS),
    ):
        if word in table:
            return _Unit(kind, table[word], start, end, token)
    named = {"hundred": _Kind.HUNDRED, "thousand": _Kind.THOUSAND, "and": _Kind.AND}
    if word in named:
        return _Unit(named[word], 0, start, end, token)
    return _Unit(_Kind.ZERO, 0, start, end, token) if word in ZERO_WORDS else None


def _sequences(masked: str) -> list[list[_Unit]]:
    """Number words and digits with nothing but spaces and punctuation between."""
    sequences: list[list[_Unit]] = []
    current: list[_Unit] = []
    for token in _TOKEN.finditer(masked):
        unit = _unit(token.group(0), token.start(), token.end())
        if unit is None or (current and not _JOIN.fullmatch(masked[current[-1].end : unit.start])):
            if current:
                sequences.append(current)
            current = []
        if unit is not None:
            current.append(unit)
    return [*sequences, current] if current else sequences


_SMALL = (_Kind.DIGIT, _Kind.TEEN, _Kind.TENS)


def _below_hundred(units: list[_Unit], i: int) -> tuple[int, int] | None:
    """A number under a hundred said as words from ``units[i]``: (value, next index)."""
    unit = units[i]
    if unit.kind is _Kind.TENS:
        nxt = units[i + 1] if i + 1 < len(units) else None
        if nxt is not None and nxt.kind is _Kind.DIGIT and nxt.value:
            return unit.value + nxt.value, i + 2
    return (unit.value, i + 1) if unit.kind in _SMALL else None


def _cardinal(units: list[_Unit], i: int) -> tuple[int, int]:
    """A number said as words ("four thousand five hundred thirty nine"): (value, next index)."""
    value, i = _below_thousand(units, i)
    if i < len(units) and units[i].kind is _Kind.THOUSAND:
        value, i = max(value, 1) * 1000, i + 1
        i = _skip_and(units, i, (*_SMALL, _Kind.HUNDRED))
        if i < len(units) and units[i].kind in (*_SMALL, _Kind.HUNDRED):
            rest, i = _below_thousand(units, i)
            value += rest
    return value, i


def _below_thousand(units: list[_Unit], i: int) -> tuple[int, int]:
    if units[i].kind is _Kind.THOUSAND:
        return 0, i  # "a thousand": the caller of this multiplies
    if units[i].kind is _Kind.HUNDRED:
        value, i = 100, i + 1
    else:
        small = _below_hundred(units, i)
        assert small is not None, units[i]
        value, i = small
        if not (i < len(units) and units[i].kind is _Kind.HUNDRED):
            return value, i
        value, i = value * 100, i + 1
    i = _skip_and(units, i, _SMALL)
    if i < len(units) and (rest := _below_hundred(units, i)) is not None:
        value, i = value + rest[0], rest[1]
    return value, i


def _skip_and(units: list[_Unit], i: int, before: tuple[_Kind, ...]) -> int:
    """Past an "and" that joins the parts of one number ("five hundred and three")."""
    joins = i + 1 < len(units) and units[i].kind is _Kind.AND and units[i + 1].kind in before
    return i + 1 if joins else i


def _parse(units: list[_Unit]) -> list[list[_Piece]]:
    """Pieces in the order said, split where something that is no digit came between."""
    groups: list[list[_Piece]] = [[]]
    i = 0
    while i < len(units):
        unit = units[i]
        piece: _Piece | None = None
        if unit.kind is _Kind.KEYED:
            piece, i = _Piece(Chunk(unit.start, unit.end, unit.text), _Kind.KEYED), i + 1
        elif unit.kind in (_Kind.ZERO, _Kind.MISHEARD):
            digit = str(unit.value)
            piece, i = _Piece(Chunk(unit.start, unit.end, digit), unit.kind), i + 1
        elif unit.kind is _Kind.REPEAT:
            piece, i = _repeated(units, i)
        elif unit.kind is _Kind.AND:
            i += 1
        else:
            start = unit.start
            value, i = _cardinal(units, i)
            single = unit.kind is _Kind.DIGIT and units[i - 1] is unit
            piece = _Piece(Chunk(start, units[i - 1].end, str(value)), _Kind.DIGIT, single)
        if piece is None:
            groups.append([])
        else:
            groups[-1].append(piece)
    return [group for group in groups if group]


def _repeated(units: list[_Unit], i: int) -> tuple[_Piece | None, int]:
    """ "double five" is 55, "triple oh" is 000; a "double" before anything else is a word."""
    target = units[i + 1] if i + 1 < len(units) else None
    if target is None:
        return None, i + 1
    if target.kind in (_Kind.DIGIT, _Kind.ZERO):
        digit = str(target.value)
    elif target.kind is _Kind.KEYED and len(target.text) == 1:
        digit = target.text
    else:
        return None, i + 1
    chunk = Chunk(units[i].start, target.end, digit * units[i].value)
    return _Piece(chunk, _Kind.DIGIT), i + 2


def _weighed(pieces: list[_Piece], card_talk: bool) -> list[Run]:
    """The runs in one group of pieces, once each weak piece ("oh", "for") is kept only where it
    sits beside digits that are being read out."""
    singles = sum(piece.single for piece in pieces)
    keep = [piece.kind in (_Kind.KEYED, _Kind.DIGIT) for piece in pieces]
    changed = True
    while changed:
        changed = False
        for i, piece in enumerate(pieces):
            if keep[i]:
                continue
            beside = [pieces[j] for j in (i - 1, i + 1) if 0 <= j < len(pieces) and keep[j]]
            spoken = any(other.kind is not _Kind.KEYED for other in beside)
            if piece.kind is _Kind.ZERO:  # "six oh one", "oh 9 2": digits read one by one
                one_by_one = spoken or any(len(other.chunk.digits) == 1 for other in beside)
                keep[i] = one_by_one or (card_talk and bool(beside))
            elif card_talk:  # beside a digit, or among others: "tree, won, fore, ate"
                keep[i] = bool(beside) or len(pieces) >= _MISHEARD_ALONE
            else:  # only among digits read out one by one
                keep[i] = spoken and singles >= 3
            changed |= keep[i]
    runs: list[Run] = []
    current: list[Chunk] = []
    for piece, kept in zip(pieces, keep, strict=True):
        if kept:
            current.append(piece.chunk)
        elif current:
            runs.append(Run(tuple(current)))
            current = []
    return [*runs, Run(tuple(current))] if current else runs
