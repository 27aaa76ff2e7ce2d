"""Cloud sync against real servers on loopback: moto's S3 server and an aiohttp receiver that
fails, times out and comes back. The Parquet that arrives is read back and its numbers checked
against the KPI query; retries never duplicate; a week offline catches up."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import duckdb
import pytest
from aiohttp import web
from analytics_data import FakeCall, add_call, fill, open_file, run, week_of_calls
from conftest import appliance_env, free_port, on_loopback
from moto.server import ThreadedMotoServer

from appliance.analytics.schedule import parse_schedule
from appliance.analytics.sync import (
    Batch,
    FileDatabase,
    S3Destination,
    SyncRunner,
    batch_key,
    sync_loop,
)
from appliance.config import INSTALL_ROOT, AnalyticsSettings, SyncSettings
from appliance.errors import SyncError
from appliance.store import calls
from appliance.store.kpis import Period, summary

NOW = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)
BUCKET = "group-analytics"
PROPERTY = "harbor-view"
SALT = "per-hotel-salt-0123"


def s3_settings(endpoint: str, **more: Any) -> SyncSettings:
    return replace(SyncSettings(
        enabled=True, destination="s3", property_id=PROPERTY, s3_bucket=BUCKET,
        s3_endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        timeout_s=3.0, retry_base_s=60.0, retry_max_s=600.0,
    ), **more)  # fmt: skip


@pytest.fixture(scope="module")
def week_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week of calls, written once for the module: each test gets a copy of its own."""
    path = tmp_path_factory.mktemp("week") / "appliance.duckdb"
    fill(path, week_of_calls(NOW, seed=11, days=7))
    return path


@pytest.fixture()
def week_db(week_file: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "appliance.duckdb"
    shutil.copy(week_file, path)
    db = open_file(path)
    yield db
    db.close()


def runner_for(db: duckdb.DuckDBPyConnection, settings: SyncSettings, now: datetime = NOW,
               destination: Any = None) -> SyncRunner:  # fmt: skip
    return SyncRunner(settings, AnalyticsSettings(), FileDatabase(db), destination, now=lambda: now)


def start_moto(port: int) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    # moto keeps its buckets per process: start each test from an empty store.
    urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"), timeout=10
    ).close()
    client = s3_client(f"http://127.0.0.1:{port}")
    client.create_bucket(Bucket=BUCKET)
    return server


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip


def download_all(endpoint: str, into: Path) -> list[str]:
    """Every object in the bucket, kept under its key: the group's copy of the data."""
    client = s3_client(endpoint)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    for key in keys:
        target = into / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return sorted(keys)


def readme_query(root: str) -> str:
    """The group analysts' query as the README shows it, pointed at a local copy of the bucket."""
    text = (INSTALL_ROOT / "README.md").read_text()
    block = text.split("```sql\n", 1)[1].split("```", 1)[0]
    select = block[block.index("SELECT"):]
    return select.replace("s3://group-analytics/", root)


def synced_period(db: duckdb.DuckDBPyConnection) -> Period:
    first = db.execute("SELECT min(start_time) FROM voice_calls").fetchone()[0]
    start = first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Period(start, (NOW - timedelta(minutes=60)).replace(minute=0, second=0, microsecond=0))


async def test_a_week_offline_catches_up_and_the_parquet_matches_the_kpis(
    week_db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    runner = runner_for(week_db, s3_settings(endpoint))

    # The link is down: nothing is lost, the batches wait, the next try backs off.
    offline = await runner.run()
    assert offline.error is not None and f"127.0.0.1:{port}" in offline.error
    status = await runner.status()
    assert status.failures == 1 and status.last_success_at is None
    assert len(status.pending) == 8  # seven days and today's settled hours, one batch a date
    assert status.next_attempt_at == NOW + timedelta(seconds=60)
    again = await runner.run()
    assert again.error is not None
    assert (await runner.status()).next_attempt_at == NOW + timedelta(seconds=120)  # doubled

    server = start_moto(port)
    try:
        back = await runner.run()
        assert back.error is None and back.sent == 8 and back.pending == 0
        keys = download_all(endpoint, tmp_path / "group")
        assert len(keys) == 8
        assert all(k.startswith(f"hourly/property={PROPERTY}/date=") for k in keys)
        status = await runner.status()
        assert status.failures == 0 and status.pending == () and status.last_error is None

        # The group's analysts' query (README) over the synced files.
        group = duckdb.connect()
        synced = group.execute(
            "SELECT property, count(DISTINCT date), sum(calls), sum(booked), sum(transferred),"
            " sum(abandoned), sum(after_hours_calls)"
            f" FROM read_parquet('{tmp_path}/group/hourly/*/*/*.parquet', hive_partitioning = true)"
            " GROUP BY property"
        ).fetchall()
        kpis = summary(week_db, AnalyticsSettings(), synced_period(week_db))
        assert synced == [(PROPERTY, 8, kpis.calls, kpis.bookings, kpis.outcomes["transferred"],
                           kpis.outcomes["abandoned"], kpis.after_hours_calls)]  # fmt: skip
        assert kpis.calls > 100
        readme = readme_query(f"{tmp_path}/group/")
        (row,) = group.execute(readme).fetchall()
        assert row[0] == PROPERTY and row[1] == kpis.calls and row[3] == kpis.bookings
        assert row[2] == pytest.approx(kpis.containment_rate)
        assert row[4] == pytest.approx(kpis.avg_handle_s)
        assert row[5] == kpis.after_hours_calls
        columns = {r[0] for r in group.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{tmp_path}/group/hourly/*/*/*.parquet')"
        ).fetchall()}  # fmt: skip
        assert not columns & {"caller_id", "caller_hash", "transcript", "session_id"}

        # A later run with nothing new settled sends nothing and duplicates nothing.
        later = await runner.run()
        assert later.sent == 0 and len(download_all(endpoint, tmp_path / "again")) == 8

        # An hour later, the hour that settled goes as its own batch.
        hour_later = runner_for(week_db, s3_settings(endpoint), now=NOW + timedelta(hours=1))
        assert (await hour_later.run()).sent == 1
        today = NOW.date().isoformat()
        assert sorted(k for k in download_all(endpoint, tmp_path / "third") if today in k) == [
            f"hourly/property={PROPERTY}/date={today}/hourly_0000-0900.parquet",
            f"hourly/property={PROPERTY}/date={today}/hourly_0900-1000.parquet",
        ]
    finally:
        server.stop()


@dataclass
class DropsAfterUpload:
    """The S3 upload reaches the bucket, then the connection drops before the answer (a crash
    mid-upload, as the appliance sees it)."""

    real: S3Destination
    drops: int = 1
    name: str = "s3"
    target: str = "s3 (flaky link)"
    sent: list[str] = field(default_factory=list)

    def send(self, batch: Batch, parquet: Path, rows: list[dict[str, Any]], property_id: str) -> None:
        self.real.send(batch, parquet, rows, property_id)
        self.sent.append(batch.key)
        if self.drops:
            self.drops -= 1
            raise SyncError("sync-upload-failed", "connection reset after the upload")


async def test_a_crash_mid_upload_resends_the_same_key_and_nothing_doubles(
    week_db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port)
    try:
        settings = s3_settings(endpoint)
        flaky = DropsAfterUpload(S3Destination(settings))
        first = await runner_for(week_db, settings, destination=flaky).run()
        assert first.error == "connection reset after the upload" and first.sent == 0
        second = await runner_for(week_db, settings, destination=flaky).run()
        assert second.error is None and second.sent == 8
        assert flaky.sent[0] == flaky.sent[1]  # the same batch, under the same key
        keys = download_all(endpoint, tmp_path / "group")
        assert len(keys) == 8
        total = duckdb.connect().execute(
            f"SELECT sum(calls) FROM read_parquet('{tmp_path}/group/hourly/*/*/*.parquet')"
        ).fetchone()[0]
        assert total == summary(week_db, AnalyticsSettings(), synced_period(week_db)).calls
    finally:
        server.stop()


async def test_per_call_rows_only_when_opted_in_with_the_caller_hashed(tmp_path: Path) -> None:
    path = tmp_path / "appliance.duckdb"
    db = open_file(path)
    start = NOW - timedelta(hours=5)
    add_call(db, FakeCall("VScard", start, caller_id="+15557654321", caller_turns=1,
                          said=("my card is 4111 1111 1111 1111 thanks",)))  # fmt: skip
    add_call(db, FakeCall("VSplain", start + timedelta(minutes=3), caller_id="+15551112222",
                          caller_turns=1, said=("What time is check out? Call me on 555 123 4567.",)))  # fmt: skip
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port)
    try:
        # Default: aggregates only.
        await runner_for(db, s3_settings(endpoint)).run()
        assert all(k.startswith("hourly/") for k in download_all(endpoint, tmp_path / "a"))

        opted = s3_settings(endpoint, include_calls=True, caller_hash_salt=SALT, s3_prefix="calls-on")
        await runner_for(db, opted).run()
        keys = download_all(endpoint, tmp_path / "b")
        call_files = [k for k in keys if k.startswith("calls-on/calls/")]
        assert call_files
        rows = duckdb.connect().execute(
            f"SELECT session_id, caller_hash, transcript FROM read_parquet('{tmp_path}/b/calls-on/calls/*/*/*.parquet')"
            " ORDER BY session_id"
        ).fetchall()
        expected = hashlib.sha256((SALT + "+15557654321").encode()).hexdigest()
        assert rows[0] == ("VScard", expected, None)  # a transcript only when asked for too
        raw = b"".join((tmp_path / "b" / k).read_bytes() for k in call_files)
        assert b"5557654321" not in raw and b"5551112222" not in raw

        with_text = replace(opted, include_transcripts=True, s3_prefix="with-text")
        await runner_for(db, with_text).run()
        texts = dict(duckdb.connect().execute(
            "SELECT session_id, transcript FROM read_parquet("
            f"'{tmp_path}/c/with-text/calls/*/*/*.parquet')"
        ).fetchall()) if download_all(endpoint, tmp_path / "c") else {}  # fmt: skip
        assert "check out" in texts["VSplain"] and "4567" not in texts["VSplain"]
        assert "4111" not in texts["VScard"] and "card number removed" in texts["VScard"]
    finally:
        server.stop()
        db.close()


@dataclass
class Receiver:
    """The group's HTTPS endpoint on loopback: fails, then hangs, then comes back; keeps each
    batch once by its Idempotency-Key, as a receiver should."""

    script: list[str]
    attempts: list[tuple[str, str]] = field(default_factory=list)
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        mode = self.script.pop(0) if self.script else "ok"
        self.attempts.append((key, mode))
        if request.headers.get("Authorization") != "Bearer group-token":
            return web.Response(status=401, text="bad token")
        if mode == "fail":
            return web.Response(status=503, text="maintenance")
        if mode == "hang":
            await asyncio.sleep(3)
        self.kept.setdefault(key, await request.json())
        return web.json_response({"ok": True})


@pytest.fixture()
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    got = Receiver(["fail", "hang"])
    app = web.Application()
    app.router.add_post("/ingest", got.handle)
    async with on_loopback(app) as url:
        yield got, f"{url}/ingest"


async def test_https_receiver_failing_timing_out_and_coming_back(
    week_db: duckdb.DuckDBPyConnection, receiver: tuple[Receiver, str]
) -> None:
    got, url = receiver
    settings = SyncSettings(enabled=True, destination="https", property_id=PROPERTY, https_url=url,
                            https_token="group-token", timeout_s=1.0, retry_base_s=5.0)  # fmt: skip
    runner = runner_for(week_db, settings)
    failed = await runner.run()
    assert failed.error is not None and "503" in failed.error
    timed_out = await runner.run()
    assert timed_out.error is not None and "did not answer within 1 s" in timed_out.error
    assert (await runner.status()).failures == 2
    back = await runner.run()
    assert back.error is None and back.sent == 8

    first_key = got.attempts[0][0]
    assert [k for k, _ in got.attempts[:3]] == [first_key] * 3  # retried under one key
    assert first_key == batch_key("hourly", PROPERTY, *_first_period(week_db))
    assert len(got.kept) == 8  # each batch kept once
    total = sum(row["calls"] for body in got.kept.values() for row in body["rows"])
    assert total == summary(week_db, AnalyticsSettings(), synced_period(week_db)).calls
    assert {body["property"] for body in got.kept.values()} == {PROPERTY}


def _first_period(db: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime]:
    start = synced_period(db).start
    return start, start + timedelta(days=1)


@pytest.mark.slow  # the command runs as its own process
async def test_sync_commands_on_the_file(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    got, url = receiver
    got.script.clear()
    data = tmp_path / "data"
    # Two days of calls ending yesterday evening: three dates to send, whatever the hour now.
    evening = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    fill(data / "appliance.duckdb", week_of_calls(evening - timedelta(days=1), seed=5, days=2))
    base_env = appliance_env(APPLIANCE_DATA_DIR=str(data), APPLIANCE_PORT=str(free_port()))

    off = await run(base_env, "sync", "now")
    assert off[0] == 1 and "nothing leaves the box" in off[2]
    assert got.attempts == []

    config = tmp_path / "sync.toml"
    config.write_text(
        f'[sync]\nenabled = true\ndestination = "https"\nproperty_id = "{PROPERTY}"\n'
        f'https_url = "{url}"\n'
    )
    env = {**base_env, "APPLIANCE_CONFIG": str(config), "APPLIANCE_SYNC_HTTPS_TOKEN": "group-token"}
    code, out, err = await run(env, "sync", "now", "--json")
    assert code == 0, err
    report = json.loads(out)["report"]
    assert report["sent"] == 3 and report["error"] is None and len(got.kept) == 3
    code, out, err = await run(env, "sync", "status")
    assert code == 0, err
    assert "last success" in out and "0 batch(es)" in out
    _, out, _ = await run(env, "doctor", "--json")
    (check,) = [c for c in json.loads(out) if c["name"] == "cloud sync"]
    assert check["status"] == "ok" and url in check["detail"] and "per-call" not in check["detail"]
    _, out, _ = await run(base_env, "doctor", "--json")
    (check,) = [c for c in json.loads(out) if c["name"] == "cloud sync"]
    assert check["detail"] == "off: no analytics leave the box"

    bad = tmp_path / "bad.toml"
    bad.write_text('[sync]\nenabled = true\ndestination = "https"\nschedule = "every tuesday"\n')
    code, _, err = await run({**base_env, "APPLIANCE_CONFIG": str(bad)}, "sync", "status")
    assert code == 3 and "[sync] schedule" in err and "[sync] property_id" in err


def test_schedules_read_as_written() -> None:
    assert parse_schedule("every 30m").next_after(NOW) == NOW + timedelta(minutes=30)
    assert parse_schedule("every 2h").next_after(NOW) == NOW + timedelta(hours=2)
    quarter_past = parse_schedule("15 * * * *")
    assert quarter_past.next_after(NOW) == NOW.replace(hour=11, minute=15)
    nightly = parse_schedule("30 2 * * 1-5")  # weekdays at 02:30 UTC; NOW is a Friday
    assert nightly.next_after(NOW) == datetime(2026, 11, 23, 2, 30, tzinfo=UTC)  # Monday
    assert parse_schedule("0 0 * * 7").next_after(NOW).isoweekday() == 7  # 7 is Sunday too
    for bad, named in (("every tuesday", "every tuesday"), ("61 * * * *", "minute"),
                       ("* * *", "five fields"), ("every 5s", "too often"), ("0 0 31 2 *", "within a year")):  # fmt: skip
        with pytest.raises(ValueError, match=named):
            parse_schedule(bad)


async def test_the_schedule_runs_and_a_failure_retries_after_the_backoff(
    week_db: duckdb.DuckDBPyConnection,
) -> None:
    port = free_port()  # nothing listens: every run fails
    settings = s3_settings(f"http://127.0.0.1:{port}", schedule="every 60m", retry_base_s=30.0)
    runner = SyncRunner(settings, AnalyticsSettings(), FileDatabase(week_db))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await sync_loop(runner, sleep)
    assert waits[0] == pytest.approx(3600, abs=5)  # the schedule
    assert waits[1] == pytest.approx(30, abs=5)  # then the backoff after the failure
    assert waits[2] == pytest.approx(60, abs=5)  # doubled after the second
    assert (await runner.status()).failures == 2


@pytest.mark.slow
async def test_serve_syncs_on_its_schedule(tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
    """`appliance serve` with sync on: its own schedule sends the settled hours to the group's
    endpoint (through the receiver's failure and hang, by its backoff), /metrics and
    `appliance sync status` say so, and the numbers sent are the box's."""
    got, url = receiver
    data = tmp_path / "data"
    fill(data / "appliance.duckdb", week_of_calls(datetime.now(UTC), seed=7, days=2))
    config = tmp_path / "sync.toml"
    config.write_text(
        f'[sync]\nenabled = true\ndestination = "https"\nproperty_id = "{PROPERTY}"\n'
        f'https_url = "{url}"\nschedule = "every 10s"\nretry_base_s = 1.0\ntimeout_s = 2.0\n'
    )
    port = free_port()
    env = appliance_env(
        APPLIANCE_DATA_DIR=str(data), APPLIANCE_PORT=str(port), APPLIANCE_CONFIG=str(config),
        APPLIANCE_SYNC_HTTPS_TOKEN="group-token",
    )  # fmt: skip
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        process = await asyncio.create_subprocess_exec(
            str(INSTALL_ROOT / ".venv" / "bin" / "appliance"), "serve", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    clock = asyncio.get_running_loop().time
    deadline = clock() + 180
    lines: list[str] = []
    try:
        while not any(line.startswith("appliance_sync_pending_batches") and line.endswith(" 0.0") for line in lines) or not got.kept:
            assert process.returncode is None, log.read_text()[-3000:]
            assert clock() < deadline, (got.attempts, lines, log.read_text()[-3000:])
            await asyncio.sleep(1)
            try:
                async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as reply:
                    lines = [x for x in (await reply.text()).splitlines() if x.startswith("appliance_sync_")]
            except aiohttp.ClientError:
                lines = []  # not listening yet
        assert "appliance_sync_enabled 1.0" in lines
    finally:
        process.terminate()
        await process.wait()
    # The first tries failed and hung; the same batch came again under the same key.
    assert [mode for _, mode in got.attempts[:3]] == ["fail", "hang", "ok"]
    assert got.attempts[0][0] == got.attempts[1][0] == got.attempts[2][0]
    code, out, err = await run(env, "sync", "status")
    assert code == 0, err
    assert "last success" in out and "0 batch(es)" in out
    ends = [datetime.fromisoformat(body["period_end"]) for body in got.kept.values()]
    db = duckdb.connect(str(data / "appliance.duckdb"), read_only=True)
    try:
        first = db.execute("SELECT min(start_time) FROM voice_calls").fetchone()[0]
        start = first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        expected = summary(db, AnalyticsSettings(), Period(start, max(ends))).calls
    finally:
        db.close()
    assert sum(row["calls"] for body in got.kept.values() for row in body["rows"]) == expected > 0


async def test_a_call_still_open_is_sent_once_it_has_ended_never_skipped(tmp_path: Path) -> None:
    """Two calls in one hour, the second left open by a kill -9; `sync now` two hours later,
    then the restart closes it as interrupted, then sync again: the bucket has both calls,
    as the summary does, and the period with no call was not counted as sent."""
    path = tmp_path / "appliance.duckdb"
    db = open_file(path)
    hour = (NOW - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    add_call(db, FakeCall("VSfirst", hour + timedelta(minutes=5)))
    add_call(db, FakeCall("VSopen", hour + timedelta(minutes=20), status="active"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port)
    try:
        runner = runner_for(db, s3_settings(endpoint), now=hour + timedelta(hours=2, minutes=10))
        first = await runner.run()
        assert first.error is None and first.sent == 0 and first.empty == 1, first
        assert download_all(endpoint, tmp_path / "before") == []
        status = await runner.status()
        assert status.watermark == hour and status.sent == 0 and status.pending == ()

        calls.mark_interrupted(db)  # what the next start does to a call the crash left open
        second = await runner.run()
        assert second.error is None and second.sent == 1, second
        keys = download_all(endpoint, tmp_path / "group")
        assert keys == [f"hourly/property={PROPERTY}/date={hour:%Y-%m-%d}/hourly_{hour:%H}00-{hour.hour + 1:02d}00.parquet"]
        in_bucket = duckdb.connect().execute(
            f"SELECT sum(calls) FROM read_parquet('{tmp_path}/group/hourly/*/*/*.parquet')"
        ).fetchone()[0]
        everything = summary(db, AnalyticsSettings(), Period(hour - timedelta(days=1), NOW)).calls
        assert in_bucket == everything == 2
    finally:
        server.stop()
        db.close()


async def test_until_now_sends_the_current_hour_and_nothing_twice(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    """An operator sends the hour in progress (`sync now --until now`): its ended calls go at
    once, the one still open waits, and the regular runs that follow send the rest of the hour
    without sending anything twice."""
    got, url = receiver
    got.script.clear()
    data = tmp_path / "data"
    path = data / "appliance.duckdb"
    if datetime.now(UTC).minute == 0:  # the hour has no whole minute to send yet
        await asyncio.sleep(61 - datetime.now(UTC).second)
    now = datetime.now(UTC)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    db = open_file(path)
    add_call(db, FakeCall("VSyesterday", now - timedelta(days=1)))
    add_call(db, FakeCall("VSthishour", this_hour + timedelta(seconds=30), duration_s=5))
    db.close()
    config = tmp_path / "sync.toml"
    config.write_text(f'[sync]\nenabled = true\ndestination = "https"\nproperty_id = "{PROPERTY}"\n'
                      f'https_url = "{url}"\n')  # fmt: skip
    env = appliance_env(APPLIANCE_DATA_DIR=str(data), APPLIANCE_PORT=str(free_port()),
                        APPLIANCE_CONFIG=str(config), APPLIANCE_SYNC_HTTPS_TOKEN="group-token")  # fmt: skip
    code, out, err = await run(env, "sync", "now", "--until", "now", "--json")
    assert code == 0, err
    report = json.loads(out)["report"]
    sent = {row["hour_start"][:13] for body in got.kept.values() for row in body["rows"]}
    assert f"{this_hour:%Y-%m-%dT%H}" in sent and report["error"] is None

    # Later in the hour another call comes and goes; the next runs send it, and only it.
    db = open_file(path)
    add_call(db, FakeCall("VSlater", datetime.now(UTC) + timedelta(seconds=61), duration_s=5))
    runner = runner_for(db, replace(SyncSettings(
        enabled=True, destination="https", property_id=PROPERTY, https_url=url,
        https_token="group-token"), timeout_s=5.0), now=this_hour + timedelta(hours=3))  # fmt: skip
    assert (await runner.run()).error is None
    total = sum(row["calls"] for body in got.kept.values() for row in body["rows"])
    everything = summary(db, AnalyticsSettings(), Period(now - timedelta(days=3), now + timedelta(hours=3)))
    db.close()
    assert total == everything.calls == 3
    assert len(got.kept) == len(got.attempts)  # no batch twice
    code, _, err = await run(env, "sync", "now", "--until", "tomorrow")
    assert code == 2 and "--until" in err
