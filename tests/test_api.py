"""The session and call endpoints, in-process on a real DuckDB file, with and without the token."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from appliance.config import Config
from appliance.engines import build_engines
from appliance.server import create_app
from appliance.service import close_state, open_state

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
    state = await open_state(settings, engines)
    yield await aiohttp_client(create_app(state))
    await close_state(state)
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
