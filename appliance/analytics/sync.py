"""Analytics to the hotel group's cloud: hourly aggregates (and, opted in, per-call rows) as
Parquet in an S3-compatible bucket, or as JSON or Parquet to an HTTPS endpoint.

How nothing is lost and nothing doubles: a run first *plans* every hour that has settled
since the watermark into batches, one per UTC date, each with a key fixed by its period
(``hourly/property=<id>/date=<d>/hourly_0000-1300.parquet``), and stores the plan and the new
watermark in one transaction. Then it delivers the pending batches oldest first; a batch is
marked sent only after the destination accepted it. A crash or a failure leaves the batch
pending, and the next run sends the same key again: the object is overwritten, the HTTPS
receiver sees the same Idempotency-Key. A box offline for a week plans a week of batches and
delivers them when the link returns. Nothing runs, and nothing leaves the box, unless
``[sync] enabled`` is true.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from appliance.analytics.kpis import call_facts_sql, hourly_sql
from appliance.analytics.schedule import parse_schedule
from appliance.config import AnalyticsSettings, SyncSettings
from appliance.errors import SyncError
from appliance.privacy import redact
from appliance.store.access import jsonable
from appliance.store.database import Connection

_LOGGER = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class Batch:
    """One delivery: a dataset over a period within one UTC date."""

    key: str
    dataset: str
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class SyncStatus:
    enabled: bool
    destination: str
    target: str
    watermark: datetime | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    failures: int
    next_attempt_at: datetime | None
    pending: tuple[str, ...]
    sent: int

    def to_dict(self) -> dict[str, Any]:
        return dict(json.loads(json.dumps(asdict(self), default=jsonable)))


@dataclass(frozen=True)
class SyncReport:
    planned: int
    sent: int
    rows: int
    pending: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Destination(Protocol):
    """Where batches go. ``send`` blocks (it runs on a thread) and raises SyncError."""

    name: str
    #: Where, in words, for status (the bucket or URL, never a secret).
    target: str

    def send(self, batch: Batch, parquet: Path, rows: list[dict[str, Any]], property_id: str) -> None: ...


class S3Destination:
    """An S3-compatible bucket; the endpoint URL makes a hotel's own object store work."""

    name = "s3"

    def __init__(self, settings: SyncSettings) -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        self._bucket = settings.s3_bucket
        self._prefix = settings.s3_prefix.strip("/") + "/" if settings.s3_prefix.strip("/") else ""
        self.target = f"s3://{self._bucket}/{self._prefix}" + (
            f" at {settings.s3_endpoint_url}" if settings.s3_endpoint_url else ""
        )
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.aws_access_key_id or None,
            aws_secret_access_key=settings.aws_secret_access_key or None,
            config=BotoConfig(
                connect_timeout=settings.timeout_s,
                read_timeout=settings.timeout_s,
                retries={"max_attempts": 1},  # the sync's own backoff retries
            ),
        )

    def object_key(self, batch: Batch) -> str:
        return self._prefix + batch.key

    def send(self, batch: Batch, parquet: Path, rows: list[dict[str, Any]], property_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=self.object_key(batch),
                Body=parquet.read_bytes(),
                ContentType="application/vnd.apache.parquet",
            )
        except (BotoCoreError, ClientError) as err:
            raise SyncError(
                "sync-upload-failed", f"s3://{self._bucket}/{self.object_key(batch)}: {err}"
            ) from err


class HttpsDestination:
    """An HTTPS endpoint: one POST per batch, a bearer token, the batch key as Idempotency-Key."""

    name = "https"

    def __init__(self, settings: SyncSettings) -> None:
        self._url = settings.https_url
        self._token = settings.https_token
        self._format = settings.https_format
        self._timeout_s = settings.timeout_s
        self.target = settings.https_url

    def send(self, batch: Batch, parquet: Path, rows: list[dict[str, Any]], property_id: str) -> None:
        headers = {"Idempotency-Key": batch.key, "X-Property-Id": property_id,
                   "X-Dataset": batch.dataset}  # fmt: skip
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self._format == "parquet":
            body = parquet.read_bytes()
            headers["Content-Type"] = "application/vnd.apache.parquet"
        else:
            body = json.dumps(
                {
                    "property": property_id, "dataset": batch.dataset, "batch": batch.key,
                    "period_start": batch.period_start.isoformat(),
                    "period_end": batch.period_end.isoformat(), "rows": rows,
                },
                default=jsonable,
            ).encode()  # fmt: skip
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self._url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as reply:
                reply.read()
        except urllib.error.HTTPError as err:
            if err.code == 409:  # the receiver already holds this key: delivered before
                return
            detail = err.read()[:200].decode(errors="replace")
            raise SyncError(
                "sync-upload-failed", f"{self._url} answered {err.code} to {batch.key}: {detail}"
            ) from err
        except TimeoutError as err:
            raise SyncError(
                "sync-upload-failed",
                f"{self._url} did not answer within {self._timeout_s:g} s for {batch.key}",
            ) from err
        except OSError as err:
            raise SyncError("sync-upload-failed", f"cannot reach {self._url}: {err}") from err


def build_destination(settings: SyncSettings) -> Destination:
    return S3Destination(settings) if settings.destination == "s3" else HttpsDestination(settings)


class Database(Protocol):
    """The store's writer and readers (in the server) or one connection (the CLI)."""

    async def read(self, fn: Callable[..., R], /, *args: Any) -> R: ...

    async def write(self, fn: Callable[..., R], /, *args: Any) -> R: ...


class FileDatabase:
    """One connection of this process, used from one thread at a time."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    async def read(self, fn: Callable[..., R], /, *args: Any) -> R:
        async with self._lock:
            return await asyncio.to_thread(fn, self._connection, *args)

    async def write(self, fn: Callable[..., R], /, *args: Any) -> R:
        return await self.read(fn, *args)


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _stamp(moment: datetime, day: datetime) -> str:
    hours = int((moment - day).total_seconds() // 3600)
    return f"{hours:02d}00"


def batch_key(dataset: str, property_id: str, start: datetime, end: datetime) -> str:
    """The key a batch is sent under, fixed by its period: a retry sends the same key."""
    day = start.replace(hour=0)
    return (
        f"{dataset}/property={property_id}/date={day:%Y-%m-%d}/"
        f"{dataset}_{_stamp(start, day)}-{_stamp(end, day)}.parquet"
    )


def plan_periods(watermark: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[watermark, until) cut at each UTC midnight: one batch per date."""
    periods = []
    start = watermark
    while start < until:
        midnight = start.replace(hour=0) + timedelta(days=1)
        end = min(midnight, until)
        periods.append((start, end))
        start = end
    return periods


def _plan(
    db: Connection, destination: str, property_id: str, datasets: tuple[str, ...], settled: datetime
) -> int:
    """Store the batches for every settled hour past the watermark, and the new watermark."""
    row = db.execute(
        "SELECT watermark FROM sync_state WHERE destination = ?", [destination]
    ).fetchone()
    if row is None:
        first = db.execute("SELECT min(start_time) FROM voice_calls").fetchone()
        start = _floor_hour(first[0]) if first and first[0] is not None else settled
        start = start.replace(hour=0)
    else:
        start = row[0].astimezone(UTC)
    periods = plan_periods(start, settled)
    db.execute("BEGIN TRANSACTION")
    try:
        for period_start, period_end in periods:
            for dataset in datasets:
                db.execute(
                    "INSERT INTO sync_batches (destination, batch_key, period_start, period_end,"
                    " status, created_at) VALUES (?, ?, ?, ?, 'pending', now()) ON CONFLICT DO NOTHING",
                    [destination, batch_key(dataset, property_id, period_start, period_end),
                     period_start, period_end],
                )  # fmt: skip
        db.execute(
            "INSERT INTO sync_state (destination, watermark) VALUES (?, ?)"
            " ON CONFLICT (destination) DO UPDATE SET watermark = excluded.watermark",
            [destination, max(start, settled)],
        )
        db.execute("COMMIT")
    except Exception:
        db.execute("ROLLBACK")
        raise
    return len(periods) * len(datasets)


def _pending(db: Connection, destination: str) -> list[Batch]:
    rows = db.execute(
        "SELECT batch_key, period_start, period_end FROM sync_batches"
        " WHERE destination = ? AND status = 'pending' ORDER BY period_start, batch_key",
        [destination],
    ).fetchall()
    return [
        Batch(key, key.split("/", 1)[0], start.astimezone(UTC), end.astimezone(UTC))
        for key, start, end in rows
    ]


def _mark_sent(db: Connection, destination: str, key: str, rows: int) -> None:
    db.execute(
        "UPDATE sync_batches SET status = 'sent', rows = ?, attempts = attempts + 1,"
        " last_error = NULL, sent_at = now() WHERE destination = ? AND batch_key = ?",
        [rows, destination, key],
    )


def _mark_failed(db: Connection, destination: str, key: str | None, error: str, retry_at: datetime) -> None:
    if key is not None:
        db.execute(
            "UPDATE sync_batches SET attempts = attempts + 1, last_error = ?"
            " WHERE destination = ? AND batch_key = ?",
            [error, destination, key],
        )
    db.execute(
        "UPDATE sync_state SET failures = failures + 1, last_error = ?, last_attempt_at = now(),"
        " next_attempt_at = ? WHERE destination = ?",
        [error, retry_at, destination],
    )


def _mark_success(db: Connection, destination: str) -> None:
    db.execute(
        "UPDATE sync_state SET failures = 0, last_error = NULL, last_attempt_at = now(),"
        " last_success_at = now(), next_attempt_at = NULL WHERE destination = ?",
        [destination],
    )


def _failures(db: Connection, destination: str) -> int:
    row = db.execute("SELECT failures FROM sync_state WHERE destination = ?", [destination]).fetchone()
    return int(row[0]) if row else 0


def _export(
    db: Connection,
    batch: Batch,
    target: Path,
    analytics: AnalyticsSettings,
    settings: SyncSettings,
) -> list[dict[str, Any]]:
    """Write the batch's rows to ``target`` as Parquet (DuckDB's writer); return them too."""
    if batch.dataset == "hourly":
        cursor = db.execute(hourly_sql(analytics), [batch.period_start, batch.period_end])
    else:
        cursor = db.execute(_calls_sql(analytics, settings), [batch.period_start, batch.period_end])
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    if batch.dataset == "calls" and settings.include_transcripts:
        for row in rows:
            row["transcript"] = redact(row["transcript"]) if row["transcript"] else None
    table = f"sync_{uuid.uuid4().hex}"
    query = hourly_sql(analytics) if batch.dataset == "hourly" else _calls_sql(analytics, settings)
    db.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM ({query}) LIMIT 0",
               [batch.period_start, batch.period_end])  # fmt: skip
    try:
        if rows:
            marks = ", ".join("?" for _ in names)
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(r.values()) for r in rows])
        quoted = str(target).replace("'", "''")
        db.execute(f"COPY {table} TO '{quoted}' (FORMAT parquet)")
    finally:
        db.execute(f"DROP TABLE IF EXISTS {table}")
    return rows


#: The per-call dataset's columns (opt-in): no caller number, only its salted hash.
def _calls_sql(analytics: AnalyticsSettings, settings: SyncSettings) -> str:
    salt = settings.caller_hash_salt.replace("'", "''")
    transcript = "transcription" if settings.include_transcripts else "NULL::VARCHAR"
    return f"""
    SELECT session_id, channel, language, start_time, duration_seconds, outcome, turns,
           caller_turns, tool_runs, department, sentiment, flag_reason, after_hours,
           CASE WHEN caller_id IS NULL THEN NULL ELSE sha256('{salt}' || caller_id) END AS caller_hash,
           {transcript} AS transcript
    FROM ({call_facts_sql(analytics)}) WHERE outcome <> 'active' ORDER BY start_time
    """


def _status(db: Connection, settings: SyncSettings, target: str) -> SyncStatus:
    destination = target
    state = db.execute(
        "SELECT watermark, last_success_at, last_attempt_at, last_error, failures, next_attempt_at"
        " FROM sync_state WHERE destination = ?",
        [destination],
    ).fetchone()
    pending = db.execute(
        "SELECT batch_key FROM sync_batches WHERE destination = ? AND status = 'pending'"
        " ORDER BY period_start, batch_key",
        [destination],
    ).fetchall()
    sent = db.execute(
        "SELECT count(*) FROM sync_batches WHERE destination = ? AND status = 'sent'", [destination]
    ).fetchone()
    values = state or (None, None, None, None, 0, None)
    return SyncStatus(
        enabled=settings.enabled,
        destination=settings.destination,
        target=target,
        watermark=values[0],
        last_success_at=values[1],
        last_attempt_at=values[2],
        last_error=values[3],
        failures=int(values[4]),
        next_attempt_at=values[5],
        pending=tuple(r[0] for r in pending),
        sent=int(sent[0]) if sent else 0,
    )


class SyncRunner:
    """Plans and delivers batches; one run at a time."""

    def __init__(
        self,
        settings: SyncSettings,
        analytics: AnalyticsSettings,
        db: Database,
        destination: Destination | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.analytics = analytics
        self._db = db
        self._destination = destination
        self._now = now
        self._running = asyncio.Lock()

    @property
    def destination(self) -> Destination:
        if self._destination is None:
            self._destination = build_destination(self.settings)
        return self._destination

    @property
    def target(self) -> str:
        if not self.settings.enabled:
            return "(sync is off)"
        return self.destination.target

    async def status(self) -> SyncStatus:
        return await self._db.read(_status, self.settings, self.target)

    def backoff_s(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return float(min(self.settings.retry_base_s * 2 ** (failures - 1), self.settings.retry_max_s))

    async def run(self) -> SyncReport:
        """Plan what has settled, then deliver every pending batch oldest first; stop at the
        first failure (the next run resumes there)."""
        if not self.settings.enabled:
            raise SyncError("sync-off", "sync is off ([sync] enabled = false): nothing leaves the box")
        async with self._running:
            return await self._run()

    async def _run(self) -> SyncReport:
        # The watermark belongs to the place the data goes: a new bucket or URL gets it all.
        name = self.target
        # Per-call rows only when opted in; aggregates always.
        datasets = ("hourly", "calls") if self.settings.include_calls else ("hourly",)
        settled = _floor_hour(self._now() - timedelta(minutes=self.settings.settle_minutes))
        planned = await self._db.write(_plan, name, self.settings.property_id, datasets, settled)
        pending = await self._db.read(_pending, name)
        sent = rows = 0
        current: Batch | None = None
        try:
            with tempfile.TemporaryDirectory(prefix="appliance-sync-") as scratch:
                for current in pending:
                    target = Path(scratch) / f"{uuid.uuid4().hex}.parquet"
                    records = await self._db.read(_export, current, target, self.analytics, self.settings)
                    if records:
                        await asyncio.to_thread(
                            self.destination.send, current, target, records, self.settings.property_id
                        )
                    await self._db.write(_mark_sent, name, current.key, len(records))
                    sent += 1
                    rows += len(records)
        except SyncError as err:
            failures = await self._db.read(_failures, name) + 1
            retry_at = self._now() + timedelta(seconds=self.backoff_s(failures))
            await self._db.write(_mark_failed, name, current.key if current else None, err.message, retry_at)
            _LOGGER.warning(
                "sync to %s failed (%d in a row; next try after %s): %s",
                self.destination.target, failures, retry_at.isoformat(timespec="seconds"), err.message,
            )  # fmt: skip
            return SyncReport(planned, sent, rows, len(pending) - sent, err.message)
        await self._db.write(_mark_success, name)
        if sent:
            _LOGGER.info("synced %d batch(es), %d row(s) to %s", sent, rows, self.destination.target)
        return SyncReport(planned, sent, rows, 0, None)


async def sync_loop(runner: SyncRunner, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Run on the configured schedule; after a failure, again once the backoff has passed."""
    schedule = parse_schedule(runner.settings.schedule)
    while True:
        now = datetime.now(UTC)
        due = schedule.next_after(now)
        status = await runner.status()
        if status.failures and status.next_attempt_at is not None:
            due = min(due, max(now, status.next_attempt_at.astimezone(UTC)))
        await sleep(max(0.0, (due - now).total_seconds()))
        try:
            await runner.run()
        except SyncError as err:
            _LOGGER.error("sync run failed: %s", err.message)
        except Exception:  # one bad run (a database error) must not end the schedule
            _LOGGER.exception("sync run failed; the next scheduled run tries again")

