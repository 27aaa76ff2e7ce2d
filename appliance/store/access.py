"""How the CLI reaches the call records: through the running server's admin API when it runs
(DuckDB lets one process hold the file for writing), or on the file directly when it doesn't."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from appliance.config import Config, RecordingSettings
from appliance.errors import StoreError
from appliance.instance import running_address
from appliance.store import calls, records
from appliance.store.database import connect
from appliance.store.recordings import Recordings, open_recordings
from appliance.store.schema import migrate


def jsonable(value: Any) -> Any:
    """JSON for what the database returns: ISO times and dates, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=jsonable))


class RecordsAccess(Protocol):
    #: Where the records are read from, in words for the command's output.
    where: str

    def list_calls(
        self, since: datetime | None, status: str | None, channel: str | None, limit: int
    ) -> list[dict[str, Any]]: ...

    def get_call(self, session_id: str) -> dict[str, Any] | None: ...

    def export(self, fmt: str, target: Path, since: datetime | None) -> int: ...

    def purge(self, older_than_days: int) -> dict[str, Any]: ...

    def erase(self, caller: str) -> dict[str, Any]: ...

    def reservations(self) -> list[dict[str, Any]]: ...


class ServerAccess:
    """The running appliance's admin API, with the admin token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self._token = token
        self.where = f"via the running server at {base_url}"

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as err:
            payload = err.read()
            if err.code == 404:
                return 404, payload
            try:
                message = json.loads(payload).get("message", payload.decode(errors="replace"))
            except ValueError:
                message = payload.decode(errors="replace")
            code = "unauthorized" if err.code == 401 else "server-error"
            raise StoreError(
                code, f"the server at {self.base_url} answered {err.code}: {message}"
            ) from err
        except OSError as err:
            raise StoreError("server-unreachable", f"cannot reach {self.base_url}: {err}") from err

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        _, payload = self._request(method, path, body)
        return json.loads(payload)

    def list_calls(
        self, since: datetime | None, status: str | None, channel: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query = {"limit": str(limit)}
        if since:
            query["since"] = since.isoformat()
        if status:
            query["status"] = status
        if channel:
            query["channel"] = channel
        return list(self._json("GET", "/voice/calls?" + urllib.parse.urlencode(query))["calls"])

    def get_call(self, session_id: str) -> dict[str, Any] | None:
        status, payload = self._request("GET", "/voice/calls/" + urllib.parse.quote(session_id))
        return None if status == 404 else dict(json.loads(payload))

    def export(self, fmt: str, target: Path, since: datetime | None) -> int:
        query = {"format": fmt, **({"since": since.isoformat()} if since else {})}
        request = urllib.request.Request(
            f"{self.base_url}/voice/calls/export?{urllib.parse.urlencode(query)}",
            headers={"Authorization": f"Bearer {self._token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as reply:
                target.write_bytes(reply.read())
                return int(reply.headers.get("X-Call-Count", "0"))
        except urllib.error.HTTPError as err:
            raise StoreError(
                "server-error", f"export failed: {err.code} {err.read().decode(errors='replace')}"
            ) from err

    def purge(self, older_than_days: int) -> dict[str, Any]:
        return dict(self._json("POST", "/admin/calls/purge", {"older_than_days": older_than_days}))

    def erase(self, caller: str) -> dict[str, Any]:
        status, payload = self._request("POST", "/admin/calls/erase", {"caller": caller})
        report = dict(json.loads(payload))
        if status == 404 and report.get("error") != "no-match":
            raise StoreError("server-error", f"the server at {self.base_url} has no erase endpoint")
        return report

    def reservations(self) -> list[dict[str, Any]]:
        return list(self._json("GET", "/admin/reservations")["reservations"])


class FileAccess:
    """The DuckDB file, opened by this process because no server holds it."""

    def __init__(
        self,
        database_file: Path,
        recording: RecordingSettings,
        data_dir: Path,
        region: str = records.DEFAULT_REGION,
    ) -> None:
        self._file = database_file
        self._recording = recording
        self._data_dir = data_dir
        self._region = region
        self.where = f"from {database_file} (no appliance server is running)"

    def _run(self, fn: Any, *args: Any) -> Any:
        db = connect(self._file)
        try:
            migrate(db)
            return _plain(fn(db, *args))
        finally:
            db.close()

    def list_calls(
        self, since: datetime | None, status: str | None, channel: str | None, limit: int
    ) -> list[dict[str, Any]]:
        return list(self._run(calls.list_calls, since, status, channel, limit))

    def get_call(self, session_id: str) -> dict[str, Any] | None:
        return self._run(calls.get_call, session_id)

    def export(self, fmt: str, target: Path, since: datetime | None) -> int:
        return int(self._run(calls.export_calls, str(target), fmt, since))

    def purge(self, older_than_days: int) -> dict[str, Any]:
        older_than = datetime.now(UTC) - timedelta(days=older_than_days)
        return dict(self._run(records.purge, older_than, self._storages()))

    def erase(self, caller: str) -> dict[str, Any]:
        return dict(self._run(records.erase, caller, self._storages(), self._region))

    def _storages(self) -> list[Recordings]:
        return records.storages(open_recordings(self._recording, self._data_dir), self._data_dir)

    def reservations(self) -> list[dict[str, Any]]:
        def rows(db: Any) -> list[dict[str, Any]]:
            cursor = db.execute(
                "SELECT code, room_type, check_in, check_out, guests, guest_name, phone, total, status"
                " FROM reservations ORDER BY check_in"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        return list(self._run(rows))


def server_url_for(host: str, port: int) -> str:
    """Where this machine reaches a server listening on ``host``."""
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    return f"http://{host}:{port}"


def server_url(config: Config) -> str:
    """Where the server of this configuration's data listens: the address it wrote when it
    started (`serve --port` may differ from the configuration), else the configured one."""
    return running_address(config.paths.data_dir) or server_url_for(
        config.server.host, config.server.port
    )


def running_appliance(base_url: str) -> dict[str, Any] | None:
    """The health of the appliance answering at ``base_url``, if one does (503 while loading)."""
    try:
        with urllib.request.urlopen(base_url + "/voice/health", timeout=2) as reply:
            body = json.load(reply)
    except urllib.error.HTTPError as err:
        try:
            body = json.load(err)
        except ValueError:
            return None
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) and "version" in body and "models" in body else None


def open_access(config: Config) -> RecordsAccess:
    base_url = server_url(config)
    if running_appliance(base_url) is not None:
        return ServerAccess(base_url, config.server.admin_token)
    return FileAccess(
        config.paths.database_file,
        config.recording,
        config.paths.data_dir,
        records.region_of(config.twilio.phone_number),
    )
