"""How the CLI reads analytics and drives sync: through the running server's admin API when
one holds the database, or on the file directly when none does (as `appliance calls` does)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from appliance.analytics.sync import FileDatabase, SyncRunner
from appliance.config import Config
from appliance.errors import StoreError, SyncError
from appliance.store.access import jsonable, running_appliance, server_url
from appliance.store.database import Connection, connect
from appliance.store.kpis import Period, summary
from appliance.store.schema import migrate

R = TypeVar("R")


def server_json(
    base_url: str,
    token: str,
    method: str,
    path: str,
    timeout_s: float = 600,
    body: dict[str, Any] | None = None,
) -> Any:
    """One admin API call; a StoreError that says what the server answered otherwise."""
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body or {}).encode() if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as err:
        try:
            message = json.load(err).get("message", "")
        except ValueError:
            message = ""
        raise StoreError(
            "unauthorized" if err.code == 401 else "server-error",
            f"the server at {base_url} answered {err.code} to {path}: {message}",
        ) from err
    except OSError as err:
        raise StoreError("server-unreachable", f"cannot reach {base_url}: {err}") from err


def on_file(config: Config, fn: Callable[[Connection], R]) -> R:
    """Run ``fn`` on the database file, opened by this process (no server holds it)."""
    db = connect(config.paths.database_file)
    try:
        migrate(db)
        return fn(db)
    finally:
        db.close()


def plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=jsonable))


def read_summary(config: Config, period: Period) -> tuple[dict[str, Any], str]:
    """The KPIs over ``period``, and where they were read from."""
    base = server_url(config)
    if running_appliance(base) is not None:
        query = urllib.parse.urlencode(
            {"since": period.start.isoformat(), "until": period.end.isoformat()}
        )
        data = server_json(base, config.server.admin_token, "GET", f"/admin/analytics/summary?{query}")
        return dict(data), f"via the running server at {base}"
    data = on_file(config, lambda db: summary(db, config.analytics, period).to_dict())
    return plain(data), f"from {config.paths.database_file} (no appliance server is running)"


def _on_file_async(config: Config, work: Callable[[SyncRunner], Any]) -> Any:
    """Run ``work(runner)`` against the database file with a connection of this process."""
    db = connect(config.paths.database_file)
    try:
        migrate(db)
        runner = SyncRunner(config.sync, config.analytics, FileDatabase(db))
        return asyncio.run(work(runner))
    finally:
        db.close()


def read_sync_status(config: Config) -> tuple[dict[str, Any], str]:
    base = server_url(config)
    if running_appliance(base) is not None:
        data = server_json(base, config.server.admin_token, "GET", "/admin/sync/status")
        return dict(data), f"via the running server at {base}"

    async def status(runner: SyncRunner) -> dict[str, Any]:
        return (await runner.status()).to_dict()

    where = f"from {config.paths.database_file} (no appliance server is running)"
    return _on_file_async(config, status), where


def sync_now(config: Config, until_now: bool = False) -> tuple[dict[str, Any], str]:
    """One sync run (``until_now``: the current hour too, up to this minute): by the running
    server, or here on the file. Raises SyncError when off."""
    if not config.sync.enabled:
        raise SyncError("sync-off", "sync is off ([sync] enabled = false): nothing leaves the box")
    base = server_url(config)
    if running_appliance(base) is not None:
        body = {"until": "now"} if until_now else {}
        data = server_json(base, config.server.admin_token, "POST", "/admin/sync/now", body=body)
        return dict(data), f"by the running server at {base}"

    async def run(runner: SyncRunner) -> dict[str, Any]:
        report = await runner.run(until_now)
        return {"report": report.to_dict(), "status": (await runner.status()).to_dict()}

    where = f"on {config.paths.database_file} (no appliance server is running)"
    return _on_file_async(config, run), where
