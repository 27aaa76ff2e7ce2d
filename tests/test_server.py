"""The aiohttp app in-process: health, the admin token, JSON errors, exposure rules."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from appliance.app import Appliance, build_appliance
from appliance.config import Config, ServerSettings
from appliance.engines import Engines, build_engines
from appliance.errors import ConfigError
from appliance.server import create_app, is_loopback
from appliance.service import check_exposure

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
TOKEN = "in-process-admin-token-abcdef012345"


@pytest.fixture()
async def state(engines: Engines, config: Config) -> AsyncIterator[Appliance]:  # loaded models
    """The server's real state on a database of the test's own."""
    settings = dataclasses.replace(
        config, server=dataclasses.replace(config.server, admin_token=TOKEN)
    )
    opened = await build_appliance(settings, engines)
    opened.open_for_calls()
    yield opened
    await opened.close()


def _app(state: Appliance) -> web.Application:
    return create_app(state)


async def test_health_is_200_with_every_model_loaded(
    state: Appliance, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(_app(state))
    reply = await client.get("/voice/health")
    assert reply.status == 200
    body = await reply.json()
    assert body["status"] == "ready"
    assert body["active_sessions"] == 0
    assert set(body["models"]) == {"stt", "llm", "tts", "nlu"}
    for model in body["models"].values():
        assert model["loaded"] is True and model["load_time_s"] > 0 and model["path"]
    assert set(body) == {"status", "version", "uptime_s", "active_sessions", "storage", "models"}
    assert body["storage"]["ok"] is True and body["storage"]["free_mb"] > 64


async def test_health_is_503_while_loading(
    state: Appliance, config: Config, aiohttp_client: ClientFactory
) -> None:
    unloaded = build_engines(config)
    try:
        client = await aiohttp_client(
            _app(dataclasses.replace(state, engines=unloaded, phase="loading"))
        )
        reply = await client.get("/voice/health")
        assert reply.status == 503
        body = await reply.json()
        assert body["status"] == "loading"
        assert not any(m["loaded"] for m in body["models"].values())
    finally:
        unloaded.close()


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "needs the admin token"),
        ("Bearer wrong-token", "is wrong"),
        (f"Basic {TOKEN}", "needs the admin token"),
    ],
)
async def test_admin_api_refuses_a_missing_or_wrong_token(
    state: Appliance, aiohttp_client: ClientFactory, header: str | None, why: str
) -> None:
    client = await aiohttp_client(_app(state))
    headers = {"Authorization": header} if header else {}
    for path in ("/admin/config", "/voice/sessions", "/voice/calls/abc"):
        reply = await client.get(path, headers=headers)
        assert reply.status == 401, path
        body = await reply.json()
        assert body["error"] == "unauthorized" and why in body["message"]
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_admin_api_answers_the_right_token_and_masks_secrets(
    state: Appliance, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(_app(state))
    reply = await client.get("/admin/config", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 200
    body = await reply.json()
    assert body["server"]["admin_token"] == "****" + TOKEN[-4:]
    assert TOKEN not in await reply.text()


async def test_unknown_paths_get_a_json_404(
    state: Appliance, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(_app(state))
    reply = await client.get("/voice/nothing-here")
    assert reply.status == 404
    assert (await reply.json())["error"] == "not-found"


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.20", "hotel-box.local"))


def test_an_open_admin_api_is_refused_off_loopback(config: Config) -> None:
    exposed = dataclasses.replace(config, server=ServerSettings(host="0.0.0.0", admin_token=""))
    with pytest.raises(ConfigError, match="refusing to listen on 0.0.0.0"):
        check_exposure(exposed)
    check_exposure(
        dataclasses.replace(exposed, server=ServerSettings(host="0.0.0.0", admin_token=TOKEN))
    )
    check_exposure(
        dataclasses.replace(exposed, server=ServerSettings(host="127.0.0.1", admin_token=""))
    )
