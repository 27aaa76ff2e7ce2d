"""Whole bookings by phone over lines as they are, by callers the appliance has never heard.

Each call: a caller with one of the voices of tests/voices.py (espeak-ng and flite, not the
appliance's own) phones the real server through a simulated Twilio media stream, over a
phone line (8 kHz G.711, 300-3400 Hz) with hiss at the given signal-to-noise ratio, and books
a room as a guest does (tests/phone_caller.py): answers each question, says "no" to a detail
read back wrong and gives it again, types a number when offered the keypad, and checks the
read-back before saying yes. A call counts as right only when the reservation made is the
one the caller wanted, every detail of it.

Prints per line: bookings right, and per call the turns, read-backs and keyed answers; and
how the wrong ones went.

    .venv/bin/python benchmarks/noisy_bookings.py [--lines clean 15] [--calls-per-voice 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from appliance.config import INSTALL_ROOT, default_config
from appliance.engines import build_engines

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from phone_caller import Booked, BookingCaller, Stay  # noqa: E402
from twilio_fakes import SimulatedCall, phone_ready_appliance  # noqa: E402
from voices import VOICES, PhoneLine, Voice  # noqa: E402

LINES = {"clean": PhoneLine(), "15": PhoneLine(snr_db=15), "8": PhoneLine(snr_db=8)}
ROOMS = [("standard_queen", "the queen room"), ("deluxe_king", "the king room"),
         ("family_suite", "the family suite")]  # fmt: skip
NAMES = ["Anna Smith", "David Brown", "Maria Garcia", "James Wilson", "Laura Miller",
         "Peter Clark", "Grace Hall"]  # fmt: skip


def stay_for(rng: random.Random, today: date) -> Stay:
    room, said = rng.choice(ROOMS)
    return Stay(
        check_in=today + timedelta(days=rng.randrange(3, 60)),
        nights=rng.randrange(1, 5),
        guests=rng.randrange(1, 4),
        room_type=room,
        room_said=said,
        name=rng.choice(NAMES),
    )


async def main(line_names: list[str], per_voice: int, show: bool, voices: list[Voice]) -> None:
    config = default_config()
    rng = random.Random(20261204)
    with tempfile.TemporaryDirectory() as data_dir:
        config = dataclasses.replace(
            config, paths=dataclasses.replace(config.paths, data_dir=Path(data_dir))
        )
        engines = build_engines(config)
        await engines.start()
        async with (
            phone_ready_appliance(config, engines, "+12075550111", prepared=True) as (
                state, public, rest,
            ),
            aiohttp.ClientSession() as http,
        ):  # fmt: skip
            for line_name in line_names:
                outcomes: list[tuple[str, Stay, Booked, bool]] = []
                for n in range(per_voice * len(voices)):
                    voice = voices[n % len(voices)]
                    stay = stay_for(rng, state.agent.today())
                    line = dataclasses.replace(LINES[line_name], seed=n)
                    call = SimulatedCall(public, line=line)
                    rest.calls.add(call.call_sid)
                    await call.connect(http, await call.dial(http, caller="+15557654321"))
                    caller = BookingCaller(call, state, voice, stay)
                    outcome = await caller.book()
                    await call.hang_up()
                    rows = await state.store.read(
                        lambda db, sid=call.call_sid: db.execute(
                            "SELECT room_type, guests, guest_name, check_in, check_out"
                            " FROM reservations WHERE session_id = ?", [sid],
                        ).fetchall()
                    )  # fmt: skip
                    right = len(rows) == 1 and rows[0][:2] == (stay.room_type, stay.guests) and (
                        rows[0][3] == stay.check_in and (rows[0][4] - rows[0][3]).days == stay.nights
                        and rows[0][2].lower() == stay.name.lower()
                    )  # fmt: skip
                    outcomes.append((voice.label, stay, outcome, right))
                    if not right and show:
                        for m in caller.session.messages:
                            print(f"      {m.role}: {m.content}")
                    print(f"  [{line_name}] {voice.label:28} {'right' if right else 'WRONG'}: "
                          f"{len(outcome.said)} turns, {outcome.read_backs} read back, "
                          f"{outcome.keyed} keyed{'; ' + outcome.gave_up if outcome.gave_up else ''}"
                          f"{'' if right else '; booked ' + str(rows)}", flush=True)  # fmt: skip
                right = sum(o[3] for o in outcomes)
                turns = [len(o[2].said) for o in outcomes]
                print(f"{line_name}: {right}/{len(outcomes)} bookings right; turns per call median "
                      f"{statistics.median(turns):.0f}, read-backs {sum(o[2].read_backs for o in outcomes)}, "
                      f"keyed answers {sum(o[2].keyed for o in outcomes)}\n", flush=True)  # fmt: skip
        engines.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", nargs="+", default=["clean", "15"], choices=list(LINES))
    parser.add_argument("--calls-per-voice", type=int, default=1)
    parser.add_argument("--show", action="store_true", help="print the wrong calls' turns")
    parser.add_argument("--voices", nargs="+", help="only these voices (labels)")
    args = parser.parse_args()
    voices = [v for v in VOICES if not args.voices or v.label in args.voices]
    asyncio.run(main(args.lines, args.calls_per_voice, args.show, voices))
