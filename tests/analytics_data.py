"""Calls written into a real DuckDB file the way the appliance writes them (the store's own
functions), for the analytics tests: a hand-counted handful, and a realistic week."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from conftest import APPLIANCE

from appliance.store import calls
from appliance.store.database import Connection, connect
from appliance.store.schema import migrate


@dataclass(frozen=True)
class FakeCall:
    session_id: str
    start: datetime
    channel: str = "phone"
    status: str = "completed"
    caller_turns: int = 2
    duration_s: float = 60.0
    tools: tuple[tuple[str, dict[str, object], bool], ...] = ()
    reservation: str | None = None
    sentiments: tuple[float, ...] = ()
    #: Per turn: voice_to_voice_ms and stt_ms.
    latencies: tuple[tuple[float, float], ...] = ()
    rtc: dict[str, float] = field(default_factory=dict)
    flag: str | None = None
    caller_id: str | None = "+15550100000"
    said: tuple[str, ...] = ()


def open_file(path: Path) -> Connection:
    db = connect(path)
    migrate(db)
    return db


def add_call(db: Connection, call: FakeCall) -> None:
    calls.insert_call(
        db, calls.CallRow(call.session_id, call.channel, call.caller_id, "inbound", "en-US", call.start)
    )
    at = call.start
    turn = 0
    for i in range(call.caller_turns):
        at += timedelta(seconds=5)
        turn += 1
        said = call.said[i] if i < len(call.said) else f"question number {i + 1}"
        calls.insert_turn(db, call.session_id, turn, "user", said, at, None, None)
        if i < len(call.sentiments):
            calls.insert_metric(db, call.session_id, "caller_sentiment", call.sentiments[i], at)
        turn += 1
        latency = call.latencies[i] if i < len(call.latencies) else None
        calls.insert_turn(db, call.session_id, turn, "assistant", "An answer.", at,
                          latency[0] if latency else None, None)  # fmt: skip
        if latency:
            calls.insert_metric(db, call.session_id, "voice_to_voice_ms", latency[0], at)
            calls.insert_metric(db, call.session_id, "stt_ms", latency[1], at)
    for name, arguments, ok in call.tools:
        calls.insert_tool_run(db, call.session_id, name, dict(arguments), {"ok": ok}, ok, 12.0, at)
    for name, value in call.rtc.items():
        calls.insert_metric(db, call.session_id, name, value, at)
    fields: dict[str, object] = {}
    if call.reservation:
        fields["reservation_id"] = call.reservation
    if call.flag:
        fields["flag_reason"] = call.flag
    if fields:
        calls.update_call(db, call.session_id, fields)
    if call.status != "active":
        end = call.start + timedelta(seconds=call.duration_s)
        calls.finish_call(db, call.session_id, call.status, end, None)


#: The tools a call of each kind runs.
_BOOK = (("check_availability", {"check_in": "2026-12-20", "nights": 2}, True),
         ("create_reservation", {"check_in": "2026-12-20", "nights": 2}, True))  # fmt: skip
_LOOK = (("check_availability", {"check_in": "2026-12-20", "nights": 2}, True),)
_TOPICS = ("check_out", "breakfast", "parking", "wifi", "pool", "pets", "rooms")
_HAPPY = ("Thank you so much, that's perfect!", "Great, thanks a lot.", "Wonderful, see you then.")
_NEUTRAL = ("What time is check out?", "Do you have parking?", "Is breakfast included?")
_ANGRY = ("This is useless, I already asked that.", "I'm getting really annoyed now.",
          "This is ridiculous, I am so frustrated.")  # fmt: skip


def week_of_calls(end: datetime, seed: int = 9, days: int = 7) -> list[FakeCall]:
    """A hotel's week: more calls by day than by night, mostly questions, some bookings,
    transfers to every department, a few abandoned and failed, phone and browser and kiosk."""
    rng = random.Random(seed)
    made: list[FakeCall] = []
    start_day = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    hour = start_day
    n = 0
    while hour < end - timedelta(hours=1):
        busy = 3 if 8 <= hour.hour < 20 else 1
        for _ in range(rng.randint(0, busy)):
            n += 1
            start = hour + timedelta(minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            if start >= end - timedelta(minutes=40):
                continue
            channel = rng.choices(["phone", "webrtc", "kiosk"], [6, 3, 1])[0]
            kind = rng.choices(
                ["question", "booking", "looked", "transfer", "abandoned", "failed"],
                [45, 15, 10, 18, 8, 4],
            )[0]
            turns = rng.randint(2, 7)
            moods = [rng.choice(_NEUTRAL) for _ in range(turns)]
            scores = [0.0] * turns
            if kind in ("booking", "question") and rng.random() < 0.6:
                moods[-1], scores[-1] = rng.choice(_HAPPY), round(rng.uniform(0.4, 0.9), 3)
            if kind == "transfer" and rng.random() < 0.5:
                for i in range(max(0, turns - 2), turns):
                    moods[i], scores[i] = rng.choice(_ANGRY), round(rng.uniform(-0.9, -0.4), 3)
            tools: tuple[tuple[str, dict[str, object], bool], ...] = tuple(
                ("get_hotel_info", {"topic": rng.choice(_TOPICS)}, True)
                for _ in range(rng.randint(0, 2))
            )
            status, reservation = "completed", None
            if kind == "booking":
                tools += _BOOK
                reservation = f"HV{n:05d}"
            elif kind == "looked":
                tools += _LOOK
            elif kind == "transfer":
                department = rng.choice(["front_desk", "front_desk", "housekeeping", "management", "maintenance"])
                tools += (("transfer_to_human", {"department": department}, True),)
                status = "transferred"
            elif kind == "abandoned":
                status, turns = "abandoned", 0
            elif kind == "failed":
                status = "failed"
            rtc = {}
            if channel == "webrtc":
                rtc = {"rtc_jitter_ms": round(rng.uniform(5, 40), 2),
                       "rtc_packet_loss_pct": round(rng.uniform(0, 3), 2),
                       "rtc_rtt_ms": round(rng.uniform(20, 150), 1)}  # fmt: skip
            made.append(
                FakeCall(
                    session_id=f"VS{start:%Y%m%d%H%M%S}{n:04d}",
                    start=start,
                    channel=channel,
                    status=status,
                    caller_turns=turns,
                    duration_s=round(rng.uniform(20, 400), 1) if turns else round(rng.uniform(2, 10), 1),
                    tools=tools,
                    reservation=reservation,
                    sentiments=tuple(scores[:turns]),
                    latencies=tuple((round(rng.uniform(500, 1600), 1), round(rng.uniform(80, 400), 1))
                                    for _ in range(turns)),
                    rtc=rtc,
                    flag="caller sentiment kept falling" if any(s < -0.4 for s in scores[:turns]) else None,
                    caller_id=f"+1555010{rng.randint(0, 9999):04d}",
                    said=tuple(moods[:turns]),
                )  # fmt: skip
            )
        hour += timedelta(hours=1)
    return made


def fill(path: Path, made: list[FakeCall]) -> None:
    db = open_file(path)
    try:
        db.execute("BEGIN TRANSACTION")
        for call in made:
            add_call(db, call)
        db.execute("COMMIT")
        db.execute("CHECKPOINT")
    finally:
        db.close()


async def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The real `appliance` command, without blocking the test's event loop (its servers)."""
    process = await asyncio.create_subprocess_exec(
        str(APPLIANCE), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()
