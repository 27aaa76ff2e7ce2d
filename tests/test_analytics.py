"""KPIs against a hand-counted set of calls, through the query and through
`appliance analytics summary`; sentiment scored per turn and per call."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from analytics_data import FakeCall, add_call, open_file
from conftest import appliance_env, run_appliance

from appliance.analytics.sentiment import VaderScorer
from appliance.app import build_appliance
from appliance.config import AnalyticsSettings, Config
from appliance.engines import build_engines
from appliance.store import calls
from appliance.store.kpis import Period, summary

DAY = datetime(2026, 11, 2, tzinfo=UTC)
BOOK = (("check_availability", {"nights": 2}, True), ("create_reservation", {"nights": 2}, True))


def at(hh: int, mm: int = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


#: Counted by hand in the assertions below.
HAND_COUNTED = [
    FakeCall("A", at(9), "phone", caller_turns=3, duration_s=60, sentiments=(0.5, 0.2, 0.6),
             latencies=((800, 100), (900, 200), (1000, 300))),
    FakeCall("B", at(10), "phone", caller_turns=2, duration_s=180, tools=BOOK, reservation="HV1",
             sentiments=(0.0, 0.8), latencies=((1200, 150), (1400, 250))),
    FakeCall("C", at(11), "webrtc", status="transferred", duration_s=90, sentiments=(-0.6, -0.7),
             tools=(("transfer_to_human", {"department": "housekeeping"}, True),),
             rtc={"rtc_jitter_ms": 20, "rtc_packet_loss_pct": 1.0, "rtc_rtt_ms": 80},
             flag="caller sentiment kept falling"),
    FakeCall("D", at(21, 30), "webrtc", caller_turns=1, duration_s=120, sentiments=(0.0,),
             tools=(("check_availability", {"nights": 1}, True),),
             rtc={"rtc_jitter_ms": 30, "rtc_packet_loss_pct": 2.0, "rtc_rtt_ms": 100}),
    FakeCall("E", at(23), "phone", status="abandoned", caller_turns=0, duration_s=5),
    FakeCall("F", at(12), "kiosk", status="failed", caller_turns=1, duration_s=30, sentiments=(-0.2,)),
    FakeCall("G", at(13), "phone", status="transferred", duration_s=45,
             tools=(("transfer_to_human", {"department": "front_desk"}, True),)),
    FakeCall("H", at(14), "phone", status="active", caller_turns=1),
    FakeCall("I", at(9, day=DAY - timedelta(days=1)), "phone"),  # before the period
]  # fmt: skip


@pytest.fixture()
def counted(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "appliance.duckdb"
    db = open_file(path)
    for call in HAND_COUNTED:
        add_call(db, call)
    db.close()
    return path


def test_kpis_match_the_hand_count(counted: Path) -> None:
    db = open_file(counted)
    kpis = summary(db, AnalyticsSettings(), Period(DAY, DAY + timedelta(days=1)))
    db.close()
    assert kpis.calls == 8 and kpis.active == 1 and kpis.ended == 7
    assert kpis.outcomes == {"resolved": 2, "booked": 1, "transferred": 2, "abandoned": 1, "failed": 1}
    assert kpis.containment_rate == pytest.approx(3 / 6)
    assert kpis.transfer_rate == pytest.approx(2 / 6)
    assert kpis.transfers_by_department == {"front_desk": 1, "housekeeping": 1}
    assert kpis.bookings == 1 and kpis.booking_conversion == pytest.approx(1 / 2)
    assert kpis.avg_handle_s == pytest.approx((60 + 180 + 90 + 120 + 30 + 45) / 6)
    assert kpis.after_hours_calls == 2  # D at 21:30 and E at 23:00, outside 08:00-20:00
    assert kpis.calls_by_channel == {"kiosk": 1, "phone": 5, "webrtc": 2}
    assert kpis.latency["voice_to_voice_ms"].turns == 5
    assert kpis.latency["voice_to_voice_ms"].p50_ms == pytest.approx(1000)
    assert kpis.latency["voice_to_voice_ms"].p95_ms == pytest.approx(1200 + 0.8 * 200)
    assert kpis.latency["stt_ms"].p50_ms == pytest.approx(200)
    call_scores = [(0.5 + 0.2 + 0.6) / 3, 0.4, -0.65, 0.0, -0.2]
    assert kpis.avg_sentiment == pytest.approx(sum(call_scores) / 5)
    assert kpis.sentiment_bands == {"negative": 2, "neutral": 1, "positive": 2}
    assert kpis.flagged_calls == 1
    assert kpis.connection == {
        "webrtc": {"rtc_jitter_ms": 25.0, "rtc_packet_loss_pct": 1.5, "rtc_rtt_ms": 90.0}
    }


def test_after_hours_follow_the_hotels_time_zone(counted: Path) -> None:
    db = open_file(counted)
    settings = AnalyticsSettings(timezone="America/New_York")  # UTC-5 in November
    kpis = summary(db, settings, Period(DAY, DAY + timedelta(days=1)))
    db.close()
    # Local times: A 04:00, B 05:00, C 06:00, F 07:00 are before 08:00; the rest are in hours.
    assert kpis.after_hours_calls == 4


@pytest.mark.slow  # the command runs as its own process
def test_summary_command_in_every_format(counted: Path, tmp_path: Path) -> None:
    env = appliance_env(APPLIANCE_DATA_DIR=str(counted.parent), APPLIANCE_PORT="9")
    since, until = DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()
    as_json = run_appliance("analytics", "summary", "--since", since, "--until", until,
                            "--format", "json", env=env)  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["calls"] == 8 and body["outcomes"]["transferred"] == 2
    assert body["containment_rate"] == pytest.approx(0.5)

    as_csv = run_appliance("analytics", "summary", "--since", since, "--until", until,
                           "--format", "csv", env=env)  # fmt: skip
    assert as_csv.returncode == 0, as_csv.stderr
    rows = dict(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows["calls"] == "8" and rows["transfers.housekeeping"] == "1"
    assert float(rows["avg_handle_s"]) == pytest.approx(87.5)

    table = run_appliance("analytics", "summary", "--since", since, "--until", until, env=env)
    assert table.returncode == 0, table.stderr
    assert "containment" in table.stdout and "50.0%" in table.stdout

    everything = run_appliance("analytics", "summary", "--format", "json", env=env)
    assert json.loads(everything.stdout)["calls"] == 9  # no --since: every call


@pytest.mark.slow  # the command runs as its own process
def test_summary_command_names_a_bad_argument(counted: Path) -> None:
    env = appliance_env(APPLIANCE_DATA_DIR=str(counted.parent), APPLIANCE_PORT="9")
    bad_since = run_appliance("analytics", "summary", "--since", "last tuesday", env=env)
    assert bad_since.returncode == 2 and "last tuesday" in bad_since.stderr
    bad_format = run_appliance("analytics", "summary", "--format", "xml", env=env)
    assert bad_format.returncode == 2 and "xml" in bad_format.stderr


def test_vader_scores_clearly_positive_and_negative_turns() -> None:
    vader = VaderScorer()
    assert vader.score("Thank you so much, that's perfect, you've been wonderful!") > 0.5
    assert vader.score("This is useless and I'm really angry, nobody is helping me.") < -0.5
    assert -0.05 <= vader.score("What time is check out?") <= 0.05


async def test_each_caller_turn_and_the_call_get_a_sentiment_score(config: Config) -> None:
    engines = build_engines(config)
    state = await build_appliance(config, engines)
    happy = await state.sessions.create_session(channel="phone")
    happy.add_message("user", "Hi, I'd love to book a room, your hotel looks lovely.")
    happy.add_message("assistant", "Of course.")
    happy.add_message("user", "Perfect, thank you so much!")
    angry = await state.sessions.create_session(channel="webrtc")
    angry.add_message("user", "This is ridiculous, I've been waiting forever.")
    angry.add_message("user", "Useless. I'm so frustrated and angry.")
    for session in (happy, angry):
        await state.sessions.end_session(session.id)
    rows = {
        sid: (score, turns)
        for sid, score, turns in await state.store.read(
            lambda db: db.execute(
                "SELECT c.session_id, c.sentiment_score, list(a.metric_value ORDER BY a.id)"
                " FROM voice_calls c JOIN voice_analytics a USING (session_id)"
                " WHERE a.metric_name = 'caller_sentiment' GROUP BY ALL"
            ).fetchall()
        )
    }
    await state.close()
    engines.close()
    happy_score, happy_turns = rows[happy.id]
    angry_score, angry_turns = rows[angry.id]
    assert len(happy_turns) == 2 and all(s > 0.3 for s in happy_turns)
    assert len(angry_turns) == 2 and all(s < -0.3 for s in angry_turns)
    assert happy_score == pytest.approx(sum(happy_turns) / 2)
    assert angry_score == pytest.approx(sum(angry_turns) / 2)


async def test_sentiment_off_scores_nothing(config: Config) -> None:
    quiet = dataclasses.replace(config, analytics=AnalyticsSettings(sentiment="off"))
    engines = build_engines(quiet)
    state = await build_appliance(quiet, engines)
    session = await state.sessions.create_session(channel="phone")
    session.add_message("user", "This is ridiculous and useless.")
    await state.sessions.end_session(session.id)
    call = await state.store.read(calls.get_call, session.id)
    await state.close()
    engines.close()
    assert call["sentiment_score"] is None
    assert not [m for m in call["metrics"] if m["metric_name"] == "caller_sentiment"]
