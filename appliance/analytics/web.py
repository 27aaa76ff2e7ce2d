"""The analytics endpoints: KPIs and sync for the admin API, /metrics for Prometheus."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from appliance.analytics import metrics
from appliance.api import parse_since
from appliance.app import APPLIANCE, Appliance
from appliance.clients import client_of, machine_names, networks
from appliance.errors import SyncError
from appliance.http import json_body, json_error, text_field
from appliance.logs import Throttled, over
from appliance.store.access import jsonable
from appliance.store.dashboard import read_snapshot
from appliance.store.kpis import Period, summary

_LOGGER = logging.getLogger(__name__)


def _say_refused(count: int, since_s: float | None, latest: str) -> None:
    _LOGGER.warning("refused %d /metrics scrape(s)%s; the latest from %s", count, over(since_s), latest)


#: Refused scrapes, said once per ten seconds however many come.
REFUSED_SCRAPES = web.AppKey("refused_scrapes", Throttled)


def _state(request: web.Request) -> Appliance:
    return request.app[APPLIANCE]


def query_time(request: web.Request, name: str) -> datetime | None:
    """A time in the query string (7d, 12h, 30m or ISO); a 400 naming it otherwise."""
    text = request.query.get(name)
    if not text:
        return None
    try:
        return parse_since(text)
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"{name}: {err}") from err


def query_period(request: web.Request) -> Period:
    start, end = query_time(request, "since"), query_time(request, "until")
    if start is not None and end is not None and start >= end:
        raise web.HTTPBadRequest(text=f"since ({start.isoformat()}) must be before until ({end.isoformat()})")
    return Period.since(start, end)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=jsonable))


async def analytics_summary(request: web.Request) -> web.Response:
    state = _state(request)
    period = query_period(request)
    kpis = await state.store.read(summary, state.config.analytics, period)
    return _json(kpis.to_dict())


async def sync_status(request: web.Request) -> web.Response:
    state = _state(request)
    status = await state.sync.status()
    return _json(status.to_dict())


async def sync_now(request: web.Request) -> web.Response:
    """One sync run now; ``{"until": "now"}`` sends the current hour too, up to this minute."""
    state = _state(request)
    until = text_field(await json_body(request), "until")
    if until not in (None, "now"):
        return json_error(400, "bad-until", f'until may only be "now" (the current hour too), not {until!r}')
    try:
        report = await state.sync.run(until_now=until == "now")
    except SyncError as err:
        return json_error(409, err.code, err.message)
    status = await state.sync.status()
    return _json({"report": report.to_dict(), "status": status.to_dict()})


async def prometheus(request: web.Request) -> web.Response:
    state = _state(request)
    config = state.config
    why = metrics.refusal(
        client_of(request),
        request.headers.get("Host", ""),
        request.headers.get("Authorization", ""),
        config.analytics,
        networks(config.metrics.allow),
        config.server.admin_token,
        machine_names(config.twilio.public_base_url),
    )
    if why is not None:
        request.app[REFUSED_SCRAPES](f"{client_of(request).address or '?'}: {why}")
        code = 401 if "needs a token" in why else 403
        response = json_error(code, "metrics-refused", why)
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    snapshot = await state.store.read(read_snapshot, state.config.analytics)
    active: dict[str, int] = {}
    for session in state.sessions.active():
        active[session.channel] = active.get(session.channel, 0) + 1
    workers = [
        metrics.WorkerLoad(host.role, host.worker.queued, host.worker.busy_s, host.calls)
        for host in state.engines.hosts()
    ]
    gauge = None
    if state.sync.settings.enabled:
        status = await state.sync.status()
        gauge = metrics.SyncGauge(
            status.destination,
            status.enabled,
            len(status.pending),
            status.failures,
            status.last_success_at.timestamp() if status.last_success_at else None,
        )
    body = metrics.render(snapshot, active, workers, gauge)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    app[REFUSED_SCRAPES] = Throttled(_say_refused)
    app.router.add_get("/admin/analytics/summary", analytics_summary)
    app.router.add_get("/admin/sync/status", sync_status)
    app.router.add_post("/admin/sync/now", sync_now)
    app.router.add_get("/metrics", prometheus)
