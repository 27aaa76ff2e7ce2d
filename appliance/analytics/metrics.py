"""/metrics for Prometheus: calls by channel and outcome, live sessions, per-stage latency
histograms, the model workers' queues and busy time, errors by code, sync status.

Counts come from the database at each scrape (so they survive restarts and match the KPIs);
what only the running process knows (live sessions, worker queues) comes from it."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from appliance.clients import Client, in_networks, names_this_machine
from appliance.config import AnalyticsSettings
from appliance.store.dashboard import BUCKETS_S, Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
@dataclass(frozen=True)
class WorkerLoad:
    role: str
    queued: int
    busy_s: float
    calls: int


@dataclass(frozen=True)
class SyncGauge:
    destination: str
    enabled: bool
    pending_batches: int
    failures: int
    last_success_unix: float | None


class _Collector(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics


def render(
    snapshot: Snapshot,
    active_by_channel: dict[str, int],
    workers: Iterable[WorkerLoad],
    sync: SyncGauge | None,
) -> bytes:
    """The Prometheus text exposition of one scrape."""
    calls = CounterMetricFamily(
        "appliance_calls", "Ended calls by channel and outcome (calls kept in the database).",
        labels=["channel", "outcome"],
    )  # fmt: skip
    for channel, outcome, count in snapshot.calls:
        calls.add_metric([channel, outcome], count)
    active = GaugeMetricFamily(
        "appliance_active_sessions", "Calls in progress now.", labels=["channel"]
    )
    for channel, count in sorted(active_by_channel.items()):
        active.add_metric([channel], count)
    errors = CounterMetricFamily(
        "appliance_call_errors", "Calls that ended with an error, by code.", labels=["code"]
    )
    for code, count in snapshot.errors:
        errors.add_metric([code], count)
    flagged = GaugeMetricFamily(
        "appliance_flagged_calls", "Calls flagged for a person to look at (kept in the database)."
    )
    flagged.add_metric([], snapshot.flagged)
    latency = HistogramMetricFamily(
        "appliance_stage_latency_seconds", "Per-turn latency of each stage of the loop.",
        labels=["stage"],
    )  # fmt: skip
    for histogram in snapshot.stages:
        buckets: list[tuple[str, float]] = [
            (repr(bound), float(n)) for bound, n in zip(BUCKETS_S, histogram.cumulative, strict=True)
        ]
        buckets.append(("+Inf", float(histogram.count)))
        latency.add_metric([histogram.stage.removesuffix("_ms")], buckets, histogram.sum_s)
    queue = GaugeMetricFamily(
        "appliance_model_queue_depth", "Calls waiting for or running on each model's worker.",
        labels=["model"],
    )  # fmt: skip
    busy = CounterMetricFamily(
        "appliance_model_busy_seconds", "Time each model's worker has spent running calls.",
        labels=["model"],
    )  # fmt: skip
    for worker in workers:
        queue.add_metric([worker.role], worker.queued)
        busy.add_metric([worker.role], worker.busy_s)
    metrics: list[Metric] = [calls, active, errors, flagged, latency, queue, busy]
    enabled = GaugeMetricFamily("appliance_sync_enabled", "1 when cloud sync is on.")
    enabled.add_metric([], 1 if sync is not None and sync.enabled else 0)
    metrics.append(enabled)
    if sync is not None:
        labels = [sync.destination]
        pending = GaugeMetricFamily(
            "appliance_sync_pending_batches", "Batches planned and not yet delivered.",
            labels=["destination"],
        )  # fmt: skip
        pending.add_metric(labels, sync.pending_batches)
        failures = GaugeMetricFamily(
            "appliance_sync_consecutive_failures", "Failed sync runs since the last success.",
            labels=["destination"],
        )  # fmt: skip
        failures.add_metric(labels, sync.failures)
        metrics += [pending, failures]
        if sync.last_success_unix is not None:
            last = GaugeMetricFamily(
                "appliance_sync_last_success_timestamp_seconds",
                "When the last sync run delivered everything (Unix time).",
                labels=["destination"],
            )
            last.add_metric(labels, sync.last_success_unix)
            metrics.append(last)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(metrics))
    return generate_latest(registry)


def refusal(
    client: Client,
    host: str,
    authorization: str,
    settings: AnalyticsSettings,
    allow: Collection[ipaddress.IPv4Network | ipaddress.IPv6Network],
    admin_token: str,
    names: Collection[str],
) -> str | None:
    """Why this scrape may not read /metrics; None when it may. A bearer token (the metrics
    token or the admin token) always works. On "local", this machine's loopback and the
    ``[metrics] allow`` networks need none, if they name this machine in Host (a page
    elsewhere cannot make a browser on the LAN scrape it by pointing its own name at us)."""
    scheme, _, given = authorization.partition(" ")
    tokens = [t for t in (settings.metrics_token, admin_token) if t]
    if scheme.lower() == "bearer" and given and any(
        hmac.compare_digest(given.strip().encode(), t.encode()) for t in tokens
    ):
        return None
    if settings.metrics_access == "token":
        if not tokens:
            return "[analytics] metrics_access is token but no APPLIANCE_METRICS_TOKEN is set"
        return "/metrics needs a token: Authorization: Bearer <metrics token>"
    if not (client.loopback or in_networks(client.address, allow)):
        return (
            f"/metrics needs a token from {client.address or 'an unknown address'}: only this "
            "machine and the [metrics] allow networks may scrape without one"
        )
    if not names_this_machine(host, names):
        return f"/metrics without a token answers requests for this machine, not for Host {host!r}"
    return None
