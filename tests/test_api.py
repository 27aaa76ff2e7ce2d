"""The session and call endpoints, in-process on a real DuckDB file, with and without the token."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from appliance.app import build_appliance
from appliance.config import Config
from appliance.engines import build_engines
from appliance.server import create_app

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
TOKEN = "api-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
async def client(
    config: Config, aiohttp_client: ClientFactory
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = dataclasses.replace(
        config, server=dataclasses.replace(config.server, admin_token=TOKEN)
    )
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    yield await aiohttp_client(create_app(state))
    await state.close()
    engines.close()


async def test_sessions_endpoints_need_the_token(client: TestClient[Any, Any]) -> None:
    for method, path in [("GET", "/voice/sessions"), ("POST", "/voice/sessions"), ("GET", "/voice/sessions/x"),
                         ("POST", "/voice/sessions/x/end"), ("GET", "/voice/calls"), ("POST", "/voice/tools/get_hotel_info"),
                         ("POST", "/admin/calls/purge"), ("GET", "/admin/reservations")]:  # fmt: skip
        reply = await client.request(method, path)
        assert reply.status == 401, (method, path)


async def test_a_call_through_the_api(client: TestClient[Any, Any]) -> None:
    reply = await client.post(
        "/voice/sessions", json={"channel": "phone", "caller_id": "+15551230000"}, headers=AUTH
    )
    assert reply.status == 201
    session_id = (await reply.json())["session_id"]
    reply = await client.post(
        f"/voice/sessions/{session_id}/messages",
        json={"role": "user", "content": "Is there parking?"},
        headers=AUTH,
    )
    assert reply.status == 201 and (await reply.json())["turn_number"] == 1
    tool = await client.post("/voice/tools/get_hotel_info", json={"topic": "parking"}, headers=AUTH)
    assert "25 dollars a night" in (await tool.json())["say"]
    listed = await (await client.get("/voice/sessions", headers=AUTH)).json()
    assert [s["session_id"] for s in listed["sessions"]] == [session_id]
    live = await (await client.get(f"/voice/sessions/{session_id}", headers=AUTH)).json()
    assert live["messages"][0]["content"] == "Is there parking?"
    ended = await client.post(
        f"/voice/sessions/{session_id}/end", json={"status": "transferred"}, headers=AUTH
    )
    assert (await ended.json())["status"] == "transferred"
    stored = await (await client.get(f"/voice/calls/{session_id}", headers=AUTH)).json()
    assert (
        stored["status"] == "transferred" and stored["turns"][0]["content"] == "Is there parking?"
    )
    assert stored["start_time"].endswith("+00:00")


async def test_unknown_ids_and_bad_bodies_get_clear_json_errors(
    client: TestClient[Any, Any],
) -> None:
    for method, path in [("GET", "/voice/sessions/VSnope"), ("POST", "/voice/sessions/VSnope/end"),
                         ("POST", "/voice/sessions/VSnope/messages"), ("GET", "/voice/calls/VSnope")]:  # fmt: skip
        reply = await client.request(
            method, path, headers=AUTH, json={"role": "user", "content": "x"}
        )
        assert reply.status == 404, path
        body = await reply.json()
        assert "VSnope" in body["message"] and body["error"] in ("unknown-session", "unknown-call")
    bad_json = await client.post("/voice/sessions", data=b"{not json", headers=AUTH)
    assert bad_json.status == 400 and "not valid JSON" in (await bad_json.json())["message"]
    bad_channel = await client.post("/voice/sessions", json={"channel": "fax"}, headers=AUTH)
    assert (
        bad_channel.status == 400
        and "unknown channel 'fax'" in (await bad_channel.json())["message"]
    )
    created = await (
        await client.post("/voice/sessions", json={"channel": "kiosk"}, headers=AUTH)
    ).json()
    bad_status = await client.post(
        f"/voice/sessions/{created['session_id']}/end", json={"status": "exploded"}, headers=AUTH
    )
    assert (
        bad_status.status == 400
        and "unknown status 'exploded'" in (await bad_status.json())["message"]
    )
    unknown_tool = await client.post("/voice/tools/teleport", json={}, headers=AUTH)
    assert unknown_tool.status == 404
    bad_since = await client.get("/voice/calls?since=yesterdayish", headers=AUTH)
    assert bad_since.status == 400 and "yesterdayish" in (await bad_since.json())["message"]
    bad_purge = await client.post("/admin/calls/purge", json={"older_than_days": 0}, headers=AUTH)
    assert bad_purge.status == 400


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/voice/calls?limit=-1", None, "limit"),
        ("GET", "/voice/calls?limit=99999999999999999999", None, "limit"),
        ("GET", "/voice/calls?since=999999999d", None, "since"),
        ("GET", "/voice/calls/export?since=999999999d", None, "since"),
        ("POST", "/voice/sessions", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("POST", "/voice/sessions", {"channel": "phone", "caller_id": {"x": 1}}, "caller_id"),
        ("POST", "/admin/calls/purge", {"older_than_days": 10**12}, "older_than_days"),
        ("POST", "/admin/calls/outbound", [1, 2], "JSON object"),
        ("POST", "/admin/calls/outbound", {"to": {"number": 1}}, "'to'"),
        ("POST", "/admin/calls/outbound", {"to": "+15551230000", "purpose": 7}, "'purpose'"),
        ("POST", "/voice/tools/get_hotel_info", {"name": "x", "topic": "parking"}, "name"),
        ("POST", "/admin/calls/erase", {"caller": "not a number"}, "not a phone number"),
    ],
)
async def test_bad_admin_input_gets_a_400_that_names_it(
    client: TestClient[Any, Any], method: str, path: str, body: Any, field: str
) -> None:
    if isinstance(body, bytes):
        reply = await client.request(
            method, path, data=body, headers={**AUTH, "Content-Type": "application/json"}
        )
    else:
        reply = await client.request(method, path, json=body, headers=AUTH)
    answer = await reply.json()
    assert reply.status == 400, answer
    assert field in answer["message"], answer


async def test_a_non_ascii_authorization_header_is_a_400_and_failed_logins_are_logged(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    reply = await client.get(
        "/voice/calls", headers={"Authorization": "Bearer t\u00f6ken".encode().decode("latin-1")}
    )
    assert reply.status == 400 and "Authorization" in (await reply.json())["message"]
    wrong = "wrong-token-that-must-not-be-logged"
    assert (
        await client.get("/voice/calls", headers={"Authorization": f"Bearer {wrong}"})
    ).status == 401
    refused = [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith("refused GET /voice/calls")
    ]
    assert len(refused) == 2 and "a wrong token" in refused[1], refused
    assert not any(wrong in r.getMessage() or TOKEN in r.getMessage() for r in caplog.records)


@pytest.fixture()
async def open_client(
    config: Config, aiohttp_client: ClientFactory
) -> AsyncIterator[TestClient[Any, Any]]:
    """The admin API with no token, as it runs on loopback only."""
    settings = dataclasses.replace(
        config, server=dataclasses.replace(config.server, admin_token="")
    )
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    created = await state.sessions.create_session(channel="phone", caller_id="+15554443333")
    await state.sessions.end_session(created.id)
    yield await aiohttp_client(create_app(state))
    await state.close()
    engines.close()


async def test_without_a_token_only_this_machine_s_own_tools_get_in(
    open_client: TestClient[Any, Any],
) -> None:
    erase = {"caller": "+15554443333"}
    refused = [
        # A page on another site posting a form-like body.
        {"data": json.dumps(erase), "headers": {"Content-Type": "text/plain"}},
        {"json": erase, "headers": {"Origin": "https://evil.example"}},
        {"json": erase, "headers": {"Origin": "null"}},
        # DNS rebinding: the page's own name, resolved to 127.0.0.1.
        {"json": erase, "headers": {"Host": "evil.example:8080"}},
    ]
    for options in refused:
        reply = await open_client.post("/admin/calls/erase", **options)  # type: ignore[arg-type]
        assert reply.status in (403,), (options, await reply.text())
        assert (await reply.json())["error"] == "not-from-this-machine"
    listed = await (await open_client.get("/voice/calls")).json()
    assert len(listed["calls"]) == 1, "a refused request erased something"
    port = open_client.port
    erased = await open_client.post(
        "/admin/calls/erase", json=erase, headers={"Origin": f"http://localhost:{port}"}
    )
    assert erased.status == 200 and (await erased.json())["calls"] == 1


@pytest.mark.parametrize(
    "written", ["+1 (555) 444-3333", "15554443333", "+1-555-444-3333", "555.444.3333"]
)
async def test_erase_finds_the_caller_however_the_number_is_written(
    open_client: TestClient[Any, Any], written: str
) -> None:
    reply = await open_client.post("/admin/calls/erase", json={"caller": written})
    report = await reply.json()
    assert reply.status == 200 and report["calls"] == 1 and report["caller"] == "+15554443333"
    again = await open_client.post("/admin/calls/erase", json={"caller": written})
    assert again.status == 404 and "nothing was erased" in (await again.json())["message"]
