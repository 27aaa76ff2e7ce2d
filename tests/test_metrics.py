"""/metrics on a real server on loopback, read back with prometheus-client's own parser and
checked against the database; who may read it."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web
from analytics_data import fill, run, week_of_calls
from conftest import ADMIN_TOKEN, appliance_env, free_port
from prometheus_client.parser import text_string_to_metric_families

from appliance.analytics.metrics import refusal
from appliance.app import Appliance, build_appliance
from appliance.clients import Client
from appliance.config import AnalyticsSettings, Config, MetricsSettings, ServerSettings
from appliance.engines import build_engines
from appliance.server import create_app
from appliance.store.kpis import Period, summary

METRICS_TOKEN = "metrics-token-0123456789abcdef"


async def serve(state: Appliance) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(state))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture()
async def served(config: Config, request: pytest.FixtureRequest) -> AsyncIterator[tuple[Appliance, str]]:
    params = dict(getattr(request, "param", {}))
    settings = dataclasses.replace(
        config,
        server=ServerSettings(admin_token=ADMIN_TOKEN),
        metrics=params.pop("metrics", MetricsSettings()),
        analytics=AnalyticsSettings(**params),
    )
    fill(settings.paths.database_file, week_of_calls(datetime.now(UTC), seed=3, days=2))
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    runner, base = await serve(state)
    yield state, base
    await runner.cleanup()
    await state.close()
    engines.close()


def scrape(url: str, token: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


async def get(url: str, token: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    import asyncio

    return await asyncio.to_thread(scrape, url, token, headers)


async def test_metrics_parse_and_match_the_database(served: tuple[Appliance, str]) -> None:
    state, base = served
    live = [await state.sessions.create_session(channel=c) for c in ("webrtc", "webrtc", "phone")]
    status, text = await get(base + "/metrics")
    assert status == 200, text
    families = {f.name: f for f in text_string_to_metric_families(text)}

    calls = {
        (s.labels["channel"], s.labels["outcome"]): s.value
        for s in families["appliance_calls"].samples if s.name == "appliance_calls_total"
    }  # fmt: skip
    by_status = dict(
        await state.store.read(
            lambda db: db.execute(
                "SELECT channel || '/' || status, count(*) FROM voice_calls"
                " WHERE status <> 'active' GROUP BY ALL"
            ).fetchall()
        )
    )
    transferred = sum(v for (ch, o), v in calls.items() if o == "transferred")
    assert transferred == sum(v for k, v in by_status.items() if k.endswith("/transferred"))
    assert sum(calls.values()) == sum(by_status.values()) > 20

    active = {s.labels["channel"]: s.value for s in families["appliance_active_sessions"].samples}
    assert active == {"webrtc": 2, "phone": 1}

    v2v = [s for s in families["appliance_stage_latency_seconds"].samples
           if s.labels.get("stage") == "voice_to_voice"]  # fmt: skip
    count = next(s.value for s in v2v if s.name.endswith("_count"))
    under_1s = next(s.value for s in v2v if s.name.endswith("_bucket") and s.labels["le"] == "1.0")
    expected_count, expected_under = await state.store.read(
        lambda db: db.execute(
            "SELECT count(*), count(*) FILTER (WHERE metric_value <= 1000) FROM voice_analytics"
            " WHERE metric_name = 'voice_to_voice_ms'"
        ).fetchone()
    )
    assert count == expected_count > 0 and under_1s == expected_under

    queue = {s.labels["model"]: s.value for s in families["appliance_model_queue_depth"].samples}
    assert set(queue) == {"stt", "llm", "tts", "nlu"} and all(v == 0 for v in queue.values())
    assert "appliance_sync_enabled" in families
    assert next(iter(families["appliance_sync_enabled"].samples)).value == 0
    for session in live:
        await state.sessions.end_session(session.id)


@pytest.mark.parametrize("served", [{"metrics_access": "token", "metrics_token": METRICS_TOKEN}],
                         indirect=True)  # fmt: skip
async def test_token_mode_needs_a_token(served: tuple[Appliance, str]) -> None:
    _, base = served
    assert (await get(base + "/metrics"))[0] == 401
    assert (await get(base + "/metrics", "wrong-token"))[0] == 401
    status, text = await get(base + "/metrics", METRICS_TOKEN)
    assert status == 200 and "appliance_calls_total" in text
    assert (await get(base + "/metrics", ADMIN_TOKEN))[0] == 200


@pytest.mark.parametrize(
    "served", [{"metrics": MetricsSettings(allow=("10.20.0.0/24",))}], indirect=True
)
async def test_without_a_token_only_this_machine_and_allowed_networks_scrape(
    served: tuple[Appliance, str],
) -> None:
    """The guest Wi-Fi is a private network too: it needs the token. A scraper on the
    monitoring VLAN (behind the hotel's proxy here) does not; nor does this machine, when it
    asks for this machine and not for a name a web page made point here."""
    _, base = served
    assert (await get(base + "/metrics"))[0] == 200
    guest = await get(base + "/metrics", headers={"X-Forwarded-For": "192.168.1.20"})
    assert guest[0] == 401 and "192.168.1.20" in guest[1]
    assert (await get(base + "/metrics", headers={"X-Forwarded-For": "10.20.0.7"}))[0] == 200
    rebound = await get(base + "/metrics", headers={"Host": f"evil.example:{base.rsplit(':', 1)[1]}"})
    assert rebound[0] == 403 and "evil.example" in rebound[1]
    assert (await get(base + "/metrics", METRICS_TOKEN, {"X-Forwarded-For": "192.168.1.20"}))[0] == 401
    assert (await get(base + "/metrics", ADMIN_TOKEN, {"Host": "evil.example"}))[0] == 200


def test_local_mode_trusts_loopback_and_the_allowed_networks_only() -> None:
    local = AnalyticsSettings(metrics_access="local")
    allow = [ipaddress.ip_network("10.20.0.0/24")]
    names = {"frontdesk-box"}

    def why(address: str, host: str = "127.0.0.1:8080", auth: str = "", proxied: bool = False,
            settings: AnalyticsSettings = local) -> str | None:  # fmt: skip
        return refusal(Client(address, False, proxied), host, auth, settings, allow, "", names)

    assert why("127.0.0.1") is None
    assert why("10.20.0.9", "frontdesk-box:8080") is None
    for guest in ("10.1.2.3", "192.168.1.20", "8.8.4.4"):
        refused = why(guest)
        assert refused is not None and guest in refused
    assert why("127.0.0.1", proxied=True) is not None  # through a proxy: not this machine
    assert why("127.0.0.1", "rebind.attacker.example") is not None
    assert why("127.0.0.1", "[::1]:8080") is None and why("127.0.0.1", "localhost") is None
    with_token = AnalyticsSettings(metrics_token=METRICS_TOKEN)
    assert why("8.8.4.4", "anything", f"Bearer {METRICS_TOKEN}", settings=with_token) is None
    unset = why("127.0.0.1", settings=AnalyticsSettings(metrics_access="token"))
    assert unset is not None and "APPLIANCE_METRICS_TOKEN" in unset


async def test_the_cli_reads_through_the_running_server(served: tuple[Appliance, str]) -> None:
    state, base = served
    port = base.rsplit(":", 1)[1]
    env = appliance_env(APPLIANCE_PORT=port, APPLIANCE_DATA_DIR=str(state.store.path.parent))
    code, out, err = await run(env, "analytics", "summary", "--since", "3d", "--format", "json")
    assert code == 0, err
    shown = json.loads(out)
    period = Period(datetime.fromisoformat(shown["period_start"]), datetime.fromisoformat(shown["period_end"]))
    kpis = await state.store.read(summary, state.config.analytics, period)
    assert shown["calls"] == kpis.calls > 20 and shown["outcomes"] == kpis.outcomes
    code, out, err = await run(env, "analytics", "summary", "--since", "3d")
    assert code == 0 and "via the running server" in out
    code, out, err = await run(env, "sync", "status", "--json")
    assert code == 0 and json.loads(out)["enabled"] is False
    code, out, err = await run(env, "sync", "now")
    assert code == 1 and "nothing leaves the box" in err


async def test_the_summary_api_names_a_bad_period(served: tuple[Appliance, str]) -> None:
    _, base = served
    status, body = await get(base + "/admin/analytics/summary?until=someday", ADMIN_TOKEN)
    assert status == 400 and "until" in body and "someday" in body
    status, body = await get(base + "/admin/analytics/summary?since=1d&until=3d", ADMIN_TOKEN)
    assert status == 400 and "must be before until" in body
    status, body = await get(base + "/admin/analytics/summary?since=2d", ADMIN_TOKEN)
    assert status == 200 and json.loads(body)["calls"] > 0
    assert (await get(base + "/admin/analytics/summary"))[0] == 401
