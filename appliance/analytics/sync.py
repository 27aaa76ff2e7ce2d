"""Analytics to the hotel group's cloud: hourly aggregates (and, opted in, per-call rows) as
Parquet in an S3-compatible bucket, or as JSON or Parquet to an HTTPS endpoint.

How nothing is lost and nothing doubles: a run first *plans* every hour that has settled
since the watermark, and in which no call is still open, into batches, one per UTC date, each
with a key fixed by its period (``hourly/property=<id>/date=<d>/hourly_0000-1300.parquet``),
and stores the plan and the new watermark in one transaction. A call still open (or left
``active`` by a crash, until the next start closes it) holds the watermark at its hour, so
it is sent once it has ended, never skipped. Then it delivers the pending batches oldest first; a batch is
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

from appliance.analytics.schedule import parse_schedule
from appliance.config import AnalyticsSettings, SyncSettings
from appliance.errors import SyncError
from appliance.privacy import redact
from appliance.store import sync as store_sync
from appliance.store.access import jsonable
from appliance.store.database import Connection
from appliance.store.kpis import call_facts_sql, hourly_sql
from appliance.store.sync import Batch, batch_key, plan_periods

__all__ = ["Batch", "FileDatabase", "S3Destination", "SyncRunner", "batch_key", "plan_periods", "sync_loop"]

_LOGGER = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class SyncStatus(store_sync.SyncState):
    """The stored state of the sync, with where it goes."""

    enabled: bool
    destination: str
    target: str

    def to_dict(self) -> dict[str, Any]:
        return dict(json.loads(json.dumps(asdict(self), default=jsonable)))


@dataclass(frozen=True)
class SyncReport:
    planned: int
    #: Batches delivered (each with rows): a period with no ended call is not one of them...
    sent: int
    rows: int
    pending: int
    error: str | None
    #: ...but one of these, marked done without sending anything.
    empty: int = 0

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


def _export(
    db: Connection,
    batch: Batch,
    target: Path,
    analytics: AnalyticsSettings,
    settings: SyncSettings,
) -> list[dict[str, Any]]:
    """Write the batch's rows to ``target`` as Parquet; return them too. Transcripts (opted in)
    go out with card and phone numbers removed."""
    if batch.dataset == "hourly":
        query = hourly_sql(analytics)
    else:
        query = store_sync.calls_sql(
            call_facts_sql(analytics), settings.caller_hash_salt, settings.include_transcripts
        )
    records = store_sync.rows(db, query, batch)
    if batch.dataset == "calls" and settings.include_transcripts:
        for row in records:
            row["transcript"] = redact(row["transcript"]) if row["transcript"] else None
    store_sync.write_parquet(db, query, batch, records, target)
    return records


def _plan(
    db: Connection,
    destination: str,
    property_id: str,
    datasets: tuple[str, ...],
    until: datetime,
    whole_hours: bool,
) -> int:
    """Plan up to ``until``, but not past the start of a call still open: its hour is sent
    once it has ended (whole hours on schedule; to the minute when an operator asks for now)."""
    opened = store_sync.earliest_open_call(db)
    if opened is not None:
        held = store_sync.floor_hour(opened) if whole_hours else store_sync.floor_minute(opened)
        if held < until:
            _LOGGER.info(
                "sync holds at %s: a call that started then is still open",
                held.isoformat(timespec="minutes"),
            )
            until = held
    return store_sync.plan(db, destination, property_id, datasets, until)


def _status(db: Connection, settings: SyncSettings, target: str) -> SyncStatus:
    found = store_sync.state(db, target)
    return SyncStatus(
        **vars(found), enabled=settings.enabled, destination=settings.destination, target=target
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

    async def run(self, until_now: bool = False) -> SyncReport:
        """Plan what has settled (``until_now``: everything up to this minute, for an operator
        who asks), then deliver every pending batch oldest first; stop at the first failure
        (the next run resumes there)."""
        if not self.settings.enabled:
            raise SyncError("sync-off", "sync is off ([sync] enabled = false): nothing leaves the box")
        async with self._running:
            return await self._run(until_now)

    async def _run(self, until_now: bool) -> SyncReport:
        # The watermark belongs to the place the data goes: a new bucket or URL gets it all.
        name = self.target
        # Per-call rows only when opted in; aggregates always.
        datasets = ("hourly", "calls") if self.settings.include_calls else ("hourly",)
        now = self._now()
        if until_now:
            until = store_sync.floor_minute(now)
        else:
            until = store_sync.floor_hour(now - timedelta(minutes=self.settings.settle_minutes))
        planned = await self._db.write(
            _plan, name, self.settings.property_id, datasets, until, not until_now
        )
        pending = await self._db.read(store_sync.pending, name)
        sent = empty = rows = 0
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
                    await self._db.write(store_sync.mark_sent, name, current.key, len(records))
                    if records:
                        sent += 1
                        rows += len(records)
                    else:
                        empty += 1  # a period with no ended call: nothing to send
        except SyncError as err:
            failures = await self._db.read(store_sync.failures, name) + 1
            retry_at = self._now() + timedelta(seconds=self.backoff_s(failures))
            await self._db.write(
                store_sync.mark_failed, name, current.key if current else None, err.message, retry_at
            )
            _LOGGER.warning(
                "sync to %s failed (%d in a row; next try after %s): %s",
                self.destination.target, failures, retry_at.isoformat(timespec="seconds"), err.message,
            )  # fmt: skip
            return SyncReport(planned, sent, rows, len(pending) - sent - empty, err.message, empty)
        await self._db.write(store_sync.mark_success, name)
        if sent:
            _LOGGER.info("synced %d batch(es), %d row(s) to %s", sent, rows, self.destination.target)
        return SyncReport(planned, sent, rows, 0, None, empty)


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

