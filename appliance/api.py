"""The HTTP API for live sessions, stored calls, tools and reservations (admin token)."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from appliance.app import APPLIANCE, Appliance
from appliance.errors import StoreError, ToolError
from appliance.http import json_body, json_error, text_field
from appliance.sessions import CallStatus, SessionError
from appliance.store import calls
from appliance.store.access import jsonable
from appliance.store.records import region_of


def _state(request: web.Request) -> Appliance:
    return request.app[APPLIANCE]


#: The most rows one list request returns.
MAX_LIMIT = 10_000
#: The oldest a purge may reach for: a hundred years.
MAX_AGE_DAYS = 36_500


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=jsonable))


def _since(request: web.Request) -> datetime | None:
    text = request.query.get("since")
    if not text:
        return None
    try:
        return parse_since(text)
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"since: {err}") from err


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """'7d', '12h', '30m' ago, or an ISO date/time."""
    now = now or datetime.now(UTC)
    text = text.strip()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[:-1].isdigit() and text[-1:] in units:
        try:
            return now - timedelta(**{units[text[-1]]: int(text[:-1])})
        except OverflowError:
            raise ValueError(f"{text!r} reaches back before the year 1") from None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use 7d, 12h, 30m or an ISO date like 2026-11-01"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- live sessions -------------------------------------------------------------------------


async def list_sessions(request: web.Request) -> web.Response:
    return _json(
        {"sessions": [s.to_dict(with_messages=False) for s in _state(request).sessions.active()]}
    )


async def create_session(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        session = await _state(request).sessions.create_session(
            channel=text_field(body, "channel", "") or "",
            caller_id=text_field(body, "caller_id"),
            language=text_field(body, "language", "en-US") or "en-US",
            direction=text_field(body, "direction", "inbound") or "",
            origin="api",
        )
    except SessionError as err:
        return json_error(400, err.code, err.message)
    return _json(session.to_dict(), status=201)


async def get_session(request: web.Request) -> web.Response:
    try:
        return _json(_state(request).sessions.get(request.match_info["session_id"]).to_dict())
    except SessionError as err:
        return json_error(404, err.code, err.message)


async def add_message(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        session = _state(request).sessions.get(request.match_info["session_id"])
    except SessionError as err:
        return json_error(404, err.code, err.message)
    latency = body.get("latency_ms")
    if latency is not None and not isinstance(latency, int | float):
        return json_error(400, "bad-latency", f"latency_ms must be a number, got {latency!r}")
    try:
        message = session.add_message(
            text_field(body, "role", "") or "", text_field(body, "content", "") or "",
            latency_ms=latency,
        )  # fmt: skip
    except SessionError as err:
        return json_error(400 if err.code == "bad-role" else 409, err.code, err.message)
    await session.flush()  # the 201 means the turn is in the file
    return _json({"turn_number": message.turn_number, "content": message.content}, status=201)


async def end_session(request: web.Request) -> web.Response:
    body = await json_body(request)
    status_text = text_field(body, "status", "completed") or ""
    try:
        status = CallStatus(status_text)
    except ValueError:
        allowed = ", ".join(s.value for s in CallStatus if s is not CallStatus.ACTIVE)
        return json_error(
            400, "bad-status", f"unknown status {status_text!r}; use one of {allowed}"
        )
    try:
        session = await _state(request).sessions.end_session(
            request.match_info["session_id"], status
        )
    except SessionError as err:
        return json_error(404 if err.code == "unknown-session" else 400, err.code, err.message)
    return _json(session.to_dict(with_messages=False))


async def run_tool(request: web.Request) -> web.Response:
    body = await json_body(request)
    toolbox = _state(request).toolbox
    try:
        result = await toolbox.execute(request.match_info["name"], **body)
    except ToolError as err:
        return json_error(400, err.code, err.message)
    # The body's arguments are the API client's input: a bad one is its 400, not a tool result.
    status = {"unknown-tool": 404, "bad-arguments": 400}.get(str(result.get("error")), 200)
    return _json(result, status=status)


# --- stored calls ----------------------------------------------------------------------------


async def list_calls(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        return json_error(
            400, "bad-limit",
            f"limit must be a whole number from 1 to {MAX_LIMIT}, got {request.query['limit']!r}",
        )  # fmt: skip
    rows = await _state(request).store.read(
        calls.list_calls,
        _since(request),
        request.query.get("status"),
        request.query.get("channel"),
        limit,
    )
    return _json({"calls": rows})


async def get_call(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    call = await _state(request).store.read(calls.get_call, session_id)
    if call is None:
        return json_error(404, "unknown-call", f"no call {session_id!r} in the database")
    return _json(call)


async def export_calls(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "csv")
    if fmt not in calls.EXPORT_FORMATS:
        return json_error(
            400,
            "bad-format",
            f"unknown format {fmt!r}; use one of {', '.join(calls.EXPORT_FORMATS)}",
        )
    since = _since(request)
    with tempfile.TemporaryDirectory(prefix="appliance-export-") as tmp:
        target = Path(tmp) / f"calls.{fmt}"
        count = await _state(request).store.read(calls.export_calls, str(target), fmt, since)
        data = target.read_bytes()
    content_type = {
        "csv": "text/csv",
        "json": "application/x-ndjson",
        "parquet": "application/vnd.apache.parquet",
    }[fmt]
    return web.Response(body=data, content_type=content_type, headers={"X-Call-Count": str(count)})


async def purge_calls(request: web.Request) -> web.Response:
    body = await json_body(request)
    days = body.get("older_than_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_AGE_DAYS:
        return json_error(
            400, "bad-age",
            f"older_than_days must be a whole number of days from 1 to {MAX_AGE_DAYS}, got {days!r}",
        )  # fmt: skip
    report = await _state(request).records.purge(datetime.now(UTC) - timedelta(days=days))
    return _json(report)


async def erase_caller(request: web.Request) -> web.Response:
    body = await json_body(request)
    caller = body.get("caller")
    if not isinstance(caller, str) or not caller.strip():
        return json_error(400, "bad-caller", "give the caller's phone number as 'caller'")
    region = region_of(_state(request).config.twilio.phone_number)
    try:
        report = await _state(request).records.erase(caller.strip(), region)
    except StoreError as err:
        return json_error(400, err.code, err.message)
    if not report["matched"]:
        return _json(
            {**report, "error": "no-match", "message": _no_match(caller, report["caller"])}, 404
        )
    return _json(report)


def _no_match(given: str, number: str) -> str:
    return f"nothing is recorded under {number} (given as {given.strip()!r}): nothing was erased"


async def list_reservations(request: web.Request) -> web.Response:
    reservations = await _state(request).reservations.all()
    return _json({"reservations": [r.to_dict() for r in reservations]})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/voice/sessions", list_sessions)
    app.router.add_post("/voice/sessions", create_session)
    app.router.add_get("/voice/sessions/{session_id}", get_session)
    app.router.add_post("/voice/sessions/{session_id}/messages", add_message)
    app.router.add_post("/voice/sessions/{session_id}/end", end_session)
    app.router.add_post("/voice/tools/{name}", run_tool)
    app.router.add_get("/voice/calls", list_calls)
    app.router.add_get("/voice/calls/export", export_calls)
    app.router.add_get("/voice/calls/{session_id}", get_call)
    app.router.add_post("/admin/calls/purge", purge_calls)
    app.router.add_post("/admin/calls/erase", erase_caller)
    app.router.add_get("/admin/reservations", list_reservations)
