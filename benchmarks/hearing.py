"""How well the appliance hears what bookings need over telephone lines as they are.

Each utterance of the hearing set (benchmarks/hearing_set.py, 344 of them) is spoken by one
of seven voices from two synthesisers that are not the appliance's own (espeak-ng accents
and variants; flite's diphone and cluster voices), carried over a simulated phone line
(300-3400 Hz, 8 kHz, G.711 mu-law) at each line condition: clean, 15 dB and 8 dB SNR of
hiss, and 15 dB with 2 % of the 20 ms packets lost. The speech-to-text writes it down, the
configured understander reads it in the context it was said in, and the values it finds
are compared with the truth: per slot (dates, nights, guests, room, name, phone, code,
yes/no, card digits recognised as such), per line condition, per voice family.

Also printed: word error rate (numbers compared as digits) and the speech-to-text time per
utterance, and the same values read from the exact text (what understanding alone gets).

    .venv/bin/python benchmarks/hearing.py [--prompts none hints] [--lines clean 15 8 15+loss]
                                           [--limit N] [--misses N] [--stt-model PATH]

``--prompts`` compares ways to prompt the speech-to-text with what the conversation expects:
"none"; "question", the agent's question alone; "hints", the question and the catalogue's
examples of answers (appliance/dialogue/listening.py, what the appliance does).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from text_to_num import alpha2digit

from appliance.app import build_understander
from appliance.audio.frames import AudioFrame
from appliance.config import INSTALL_ROOT, default_config
from appliance.dialogue.flows.booking import READ_BACK
from appliance.dialogue.listening import expected_words
from appliance.engines import Engines, build_engines
from appliance.hotel.model import load_hotel
from appliance.privacy import contains_card_number
from appliance.sentences import english
from appliance.stt.base import Transcript
from appliance.understanding import commands as c

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).parent))
from hearing_set import TODAY, Utterance, utterances  # noqa: E402
from voices import VOICES, PhoneLine  # noqa: E402

LINES = {
    "clean": PhoneLine(),
    "15": PhoneLine(snr_db=15),
    "8": PhoneLine(snr_db=8),
    "15+loss": PhoneLine(snr_db=15, loss=0.02),
}
SLOTS = ("check_in", "check_out", "nights", "guests", "room_type", "name", "phone", "code",
         "answer", "card")  # fmt: skip
#: The question each context answers (what the agent said just before).
QUESTIONS = {
    "check_in": "booking.ask_check_in", "nights": "booking.ask_nights",
    "guests": "booking.ask_guests", "room_type": "booking.ask_room_type",
    "name": "booking.ask_name", "phone": "booking.ask_phone", "code": "reservation.ask_code",
}  # fmt: skip


def context_of(u: Utterance) -> c.Context:
    lines = english()
    if u.expecting in QUESTIONS:
        question = lines.say(QUESTIONS[u.expecting])
    elif u.pending == "book":
        question = lines.say(
            "booking.confirm", details="a deluxe king room for 2 nights from December 20",
            name="Anna Smith",
        )  # fmt: skip
    elif u.pending == "pay_link":
        question = lines.say("payment.offer_link")
    else:
        question = lines.say("call.greeting", hotel="Harbor View Hotel")
    return c.Context(
        expecting=u.expecting,  # type: ignore[arg-type]
        pending=u.pending,  # type: ignore[arg-type]
        in_booking=u.in_booking,
        last_reply=question,
    )


def found(commands: Sequence[c.Command], heard: str) -> dict[str, object]:
    """The values in what understanding made of ``heard``."""
    out: dict[str, object] = {}
    for command in commands:
        if isinstance(command, c.SetSlots):
            for key, value in command.given().items():
                if key != "use_caller_number":
                    out[key] = value.isoformat() if isinstance(value, date) else value
        elif isinstance(command, c.FindReservation | c.Cancel) and command.code:
            out["code"] = command.code
        elif isinstance(command, c.Affirm):
            out["answer"] = "yes"
        elif isinstance(command, c.Deny):
            out.setdefault("answer", "no")
        elif isinstance(command, c.Pay):
            out["card"] = True
    if contains_card_number(heard):
        out["card"] = True  # the card rule takes the digits out: never kept
    return out


def same(slot: str, want: object, got: object) -> bool:
    if slot == "name" and isinstance(got, str):
        return got.strip().lower() == str(want).lower()
    return got == want


def words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    text = alpha2digit(text, "en")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = re.sub(r"(?<=\d) (?=\d)", "", text)  # "4 1 1 1" and "4111" are the same digits
    return text.split()


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


@dataclasses.dataclass
class Tally:
    right: Counter[str] = dataclasses.field(default_factory=Counter)
    total: Counter[str] = dataclasses.field(default_factory=Counter)
    whole: int = 0
    utterances: int = 0
    errors: int = 0
    reference_words: int = 0
    stt_ms: list[float] = dataclasses.field(default_factory=list)

    def add(self, u: Utterance, got: dict[str, object], heard: str | None, stt_ms: float) -> bool:
        ok = True
        for slot, want in u.truth.items():
            self.total[slot] += 1
            hit = same(slot, want, got.get(slot))
            self.right[slot] += hit
            ok &= hit
        extra = [s for s in got if s not in u.truth and s not in ("answer", "card")]
        ok &= not extra
        self.whole += ok
        self.utterances += 1
        if heard is not None:
            reference = words(u.text)
            self.errors += edit_distance(reference, words(heard))
            self.reference_words += len(reference)
            self.stt_ms.append(stt_ms)
        return ok

    def slot_accuracy(self) -> float:
        return 100 * sum(self.right.values()) / max(1, sum(self.total.values()))

    def row(self, label: str) -> str:
        slots = " ".join(
            f"{100 * self.right[s] / self.total[s]:5.1f}" if self.total[s] else "    -"
            for s in SLOTS
        )
        wer = (
            f"{100 * self.errors / self.reference_words:5.1f}" if self.reference_words else "    -"
        )
        stt = f"{statistics.median(self.stt_ms):5.0f}" if self.stt_ms else "    -"
        return (f"  {label:<24} {self.slot_accuracy():5.1f} {100 * self.whole / max(1, self.utterances):5.1f}"
                f" {wer} {stt}   {slots}")  # fmt: skip


HEADER = (f"  {'':<24} {'slots':>5} {'whole':>5} {'WER':>5} {'stt':>5}   "
          + " ".join(f"{s[:5]:>5}" for s in SLOTS))  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", nargs="+", default=["none", "hints"],
                        choices=["none", "question", "hints"])  # fmt: skip
    parser.add_argument("--lines", nargs="+", default=list(LINES), choices=list(LINES))
    parser.add_argument("--limit", type=int, default=0, help="only every Nth utterance")
    parser.add_argument("--misses", type=int, default=0, help="print this many misses a line")
    parser.add_argument("--stt-model", type=Path, help="another whisper model directory")
    args = parser.parse_args()

    config = default_config()
    if args.stt_model:
        config = dataclasses.replace(
            config, stt=dataclasses.replace(config.stt, model_path=args.stt_model.resolve())
        )
    engines = build_engines(config)
    await engines.stt.start()
    await engines.nlu.start()
    hotel = load_hotel(config.paths.hotel_file)
    understander = build_understander(config, hotel, engines, today=lambda: TODAY)
    await understander.prepare()
    lines = english()
    cases = utterances()
    if args.limit:
        cases = cases[:: args.limit]
    print(f"{len(cases)} utterances, voices {', '.join(v.label for v in VOICES)}; "
          f"speech-to-text {config.model_path('stt').name}, understander {config.understanding.understander}")  # fmt: skip

    started = time.perf_counter()
    spoken = [VOICES[i % len(VOICES)].speak(u.text) for i, u in enumerate(cases)]
    print(f"spoken in {time.perf_counter() - started:.0f} s")

    text_tally = Tally()
    for u in cases:
        said = await understander.understand(u.text, context_of(u))
        text_tally.add(u, found(said, u.text), None, 0.0)

    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    by_family: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    by_kind: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    misses: dict[tuple[str, str], list[str]] = defaultdict(list)
    confidence: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for line_name in args.lines:
        for i, (u, speech) in enumerate(zip(cases, spoken, strict=True)):
            line = dataclasses.replace(LINES[line_name], seed=i)
            audio = line.carry(speech)
            context = context_of(u)
            for mode in args.prompts:
                prompt = None
                if mode == "question":
                    prompt = context.last_reply or None
                elif mode == "hints":
                    prompt = expected_words(context, lines, hotel)
                transcript, stt_ms = await transcribe(engines, audio, prompt)
                heard = transcript.text
                got = found(await understander.understand(heard, context), heard)
                family = VOICES[i % len(VOICES)].family
                tallies[(line_name, mode)].add(u, got, heard, stt_ms)
                by_family[(line_name, mode, family)].add(u, got, heard, stt_ms)
                ok = by_kind[(line_name, mode, u.kind)].add(u, got, heard, stt_ms)
                if set(u.truth) & set(READ_BACK) and transcript.avg_logprob is not None:
                    confidence[mode].append((transcript.avg_logprob, ok))
                if not ok and len(misses[(line_name, mode)]) < args.misses:
                    misses[(line_name, mode)].append(
                        f"    {u.id} [{VOICES[i % len(VOICES)].label}] {u.text!r} -> {heard!r}: {got}"
                    )
        print(f"line {line_name} done at {time.perf_counter() - started:.0f} s", flush=True)
    engines.close()

    print("\nSlot accuracy per slot (%), utterances wholly right (%), word error rate (%),"
          " speech-to-text median (ms)")  # fmt: skip
    print(HEADER)
    print(text_tally.row("exact text (no hearing)"))
    for (line_name, mode), tally in tallies.items():
        print(tally.row(f"{line_name}, prompt {mode}"))
    print("\nPer voice family")
    print(HEADER)
    for (line_name, mode, family), tally in sorted(by_family.items()):
        print(tally.row(f"{line_name}/{mode} {family}"))
    print("\nPer kind of utterance (utterances wholly right, %)")
    kinds = sorted({u.kind for u in cases})
    print(f"  {'':<24} " + " ".join(f"{k[:8]:>8}" for k in kinds))
    for line_name in args.lines:
        for mode in args.prompts:
            cells = []
            for k in kinds:
                t = by_kind[(line_name, mode, k)]
                cells.append(f"{100 * t.whole / max(1, t.utterances):8.1f}")
            print(f"  {line_name + ', ' + mode:<24} " + " ".join(cells))
    doubt_table(confidence, config.stt.doubt_below_logprob)
    for key, missed in misses.items():
        print(f"\nMisses on {key[0]}, prompt {key[1]}:")
        print("\n".join(missed))


async def transcribe(
    engines: Engines, audio: AudioFrame, prompt: str | None
) -> tuple[Transcript, float]:
    started = time.perf_counter()
    transcript: Transcript = await engines.stt.run(
        lambda model, a: model.transcribe(a, None, prompt), audio
    )
    return transcript, (time.perf_counter() - started) * 1000


def doubt_table(confidence: dict[str, list[tuple[float, bool]]], current: float) -> None:
    """How well the recogniser's confidence tells a wrong date, stay or party size from a
    right one: at each threshold, the share of wrong values that would be read back (the
    more the better) and of right ones read back needlessly (the fewer the better)."""
    print(f"\nRead-backs by confidence (dates, nights, guests; all lines); now {current}")
    print(f"  {'prompt':<8} {'below':>6} {'wrong read back':>16} {'right read back':>16}")
    for mode, pairs in confidence.items():
        wrong = [p for p, ok in pairs if not ok]
        right = [p for p, ok in pairs if ok]
        for floor in (-0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -1.0):
            caught = sum(p < floor for p in wrong) / max(1, len(wrong))
            needless = sum(p < floor for p in right) / max(1, len(right))
            print(f"  {mode:<8} {floor:6.1f} {100 * caught:15.1f}% {100 * needless:15.1f}%")


if __name__ == "__main__":
    asyncio.run(main())
