"""/dashboard in headless Chromium (Debian's, driven by Playwright) against a database filled
with a realistic week of calls: the numbers shown match the KPI query; a screenshot is kept."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import urllib.error
import urllib.request
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from analytics_data import fill, week_of_calls
from conftest import ADMIN_TOKEN, free_port
from playwright.async_api import async_playwright

from appliance.app import Appliance, build_appliance
from appliance.config import INSTALL_ROOT, Config, ServerSettings
from appliance.engines import build_engines
from appliance.server import create_app
from appliance.store import calls
from appliance.store.kpis import Period, summary

#: A real browser.
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
#: Where the screenshot is kept for people to look at after the run.
ARTIFACTS = INSTALL_ROOT / "test-artifacts"


@pytest.fixture()
async def dashboard(config: Config) -> AsyncIterator[tuple[Appliance, str]]:
    settings = dataclasses.replace(config, server=ServerSettings(admin_token=ADMIN_TOKEN))
    fill(settings.paths.database_file, week_of_calls(datetime.now(UTC), seed=7, days=7))
    engines = build_engines(settings)
    state = await build_appliance(settings, engines)
    runner = web.AppRunner(create_app(state))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield state, f"http://127.0.0.1:{port}"
    await runner.cleanup()
    await state.close()
    engines.close()


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read(), reply.url
    except urllib.error.HTTPError as err:
        return err.code, err.read(), url


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


async def test_the_dashboard_shows_the_weeks_numbers(
    dashboard: tuple[Appliance, str], tmp_path: Path
) -> None:
    state, base = dashboard
    # A call in progress, with what the caller has said so far.
    live = await state.sessions.create_session(channel="webrtc")
    live.add_message("user", "Is the pool open this evening?")
    live.add_message("assistant", "The indoor pool is open from 7 AM to 10 PM.")
    # A recorded call, to play.
    recorded = await record_a_call(state, tmp_path)

    # Without the login, nothing: the page sends the browser to it, the data is refused.
    status, _, landed = await asyncio.to_thread(fetch, base + "/dashboard")
    assert landed.endswith("/login") and status == 200
    assert (await asyncio.to_thread(fetch, base + "/dashboard/data"))[0] == 401

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"]
        )
        page = await browser.new_page(viewport={"width": 1400, "height": 1800})
        await page.add_init_script(
            "window.blocked = []; document.addEventListener('securitypolicyviolation',"
            " (e) => window.blocked.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        await page.goto(base + "/dashboard")
        assert page.url.endswith("/login")
        await page.fill("#token", "not-the-token")
        await page.click("button[type=submit]")
        assert "not the admin token" in (await page.text_content(".error") or "")
        await page.fill("#token", ADMIN_TOKEN)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#dashboard[data-loaded=true]", timeout=20000)

        start = datetime.fromisoformat(await page.get_attribute("#dashboard", "data-period-start") or "")
        end = datetime.fromisoformat(await page.get_attribute("#dashboard", "data-period-end") or "")
        assert timedelta(days=7) - (end - start) < timedelta(seconds=1)
        kpis = await state.store.read(summary, state.config.analytics, Period(start, end))
        assert kpis.calls > 100

        async def tile(name: str) -> str:
            return (await page.text_content(f"[data-kpi={name}]") or "").strip()

        assert await tile("calls") == str(kpis.calls)
        assert await tile("containment_rate") == percent(kpis.containment_rate)
        assert await tile("transfer_rate") == percent(kpis.transfer_rate)
        assert await tile("bookings") == str(kpis.bookings)
        assert await tile("booking_conversion") == percent(kpis.booking_conversion)
        assert await tile("avg_handle_s") == f"{kpis.avg_handle_s:.1f} s"
        assert await tile("after_hours_calls") == str(kpis.after_hours_calls)
        assert await tile("flagged_calls") == str(kpis.flagged_calls)

        # The charts hold the same numbers.
        per_hour = await page.evaluate(
            "Chart.getChart('chart-calls-per-hour').data.datasets[0].data.reduce((a, b) => a + b, 0)"
        )
        assert per_hour == kpis.calls
        outcomes = await page.evaluate(
            "(() => { const c = Chart.getChart('chart-outcomes');"
            " return Object.fromEntries(c.data.labels.map((l, i) => [l, c.data.datasets[0].data[i]])); })()"
        )
        assert outcomes == kpis.outcomes
        transfers = await page.evaluate(
            "(() => { const c = Chart.getChart('chart-transfers');"
            " return Object.fromEntries(c.data.labels.map((l, i) => [l, c.data.datasets[0].data[i]])); })()"
        )
        assert transfers == kpis.transfers_by_department
        sentiment_total = await page.evaluate(
            "Chart.getChart('chart-sentiment').data.datasets[0].data.reduce((a, b) => a + b, 0)"
        )
        assert sentiment_total == sum(kpis.sentiment_bands.values())
        stages = await page.evaluate("Chart.getChart('chart-latency').data.datasets.map(d => d.label)")
        assert "voice_to_voice" in stages and "stt" in stages

        # Browser calls' connection quality, mean per call.
        cells = await page.eval_on_selector_all(
            "#connection tr[data-channel=webrtc] td", "tds => tds.map(td => td.textContent)"
        )
        webrtc = kpis.connection["webrtc"]
        assert cells == ["webrtc", f"{webrtc['rtc_jitter_ms']:.1f}",
                         f"{webrtc['rtc_packet_loss_pct']:.1f}", f"{webrtc['rtc_rtt_ms']:.1f}"]  # fmt: skip

        # The live call, and its transcript on a click.
        await page.click(f"tr[data-session={live.id}]")
        await page.wait_for_selector("#live-transcript:not([hidden]) li")
        transcript = await page.text_content("#live-transcript ol") or ""
        assert "Is the pool open this evening?" in transcript and "10 PM" in transcript

        # A recording plays, and the play is in the access log.
        played = await page.evaluate(
            f"fetch('/dashboard/recordings/{recorded}').then(r => r.arrayBuffer()).then(b => b.byteLength)"
        )
        assert played > 1000

        screenshot = tmp_path / "dashboard.png"
        await page.screenshot(path=str(screenshot), full_page=True)
        # Everything above ran under the page's Content-Security-Policy, nothing blocked.
        assert await page.evaluate("window.blocked") == []

        # Signing out ends the sign-in on the server: a copy of the cookie opens nothing.
        (cookie,) = [c for c in await page.context.cookies() if c["name"] == "appliance_admin"]
        await page.click("#sign-out")
        await page.wait_for_url("**/login")
        replayed = urllib.request.Request(
            base + "/dashboard/data", headers={"Cookie": f"appliance_admin={cookie['value']}"}
        )
        assert (await asyncio.to_thread(fetch_request, replayed))[0] == 401
        await browser.close()

    assert screenshot.stat().st_size > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / "dashboard.png")
    log = await state.store.read(
        lambda db: db.execute("SELECT who, action, session_id FROM access_log").fetchall()
    )
    assert log == [("admin", "play-recording", recorded)]
    licence = await asyncio.to_thread(fetch, base + "/dashboard/static/chart.js.LICENSE.md")
    assert licence[0] == 401  # even the static files are behind the login
    await state.sessions.end_session(live.id)


async def record_a_call(state: Appliance, tmp_path: Path) -> str:
    """A finished call whose recording is a WAV under the data dir, as LocalRecordings keeps it."""
    session = await state.sessions.create_session(channel="phone")
    await state.sessions.end_session(session.id)
    path = state.store.path.parent / "recordings" / f"{session.id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\x00\x01" * 16000)
    await state.store.write(calls.update_call, session.id, {"recording_url": str(path)})
    return session.id


async def test_dashboard_data_names_a_bad_period(dashboard: tuple[Appliance, str]) -> None:
    _, base = dashboard
    request = urllib.request.Request(
        base + "/dashboard/data?since=yesterday-ish", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    status, body, _ = await asyncio.to_thread(fetch_request, request)
    assert status == 400 and b"since" in body and b"yesterday-ish" in body


def fetch_request(request: urllib.request.Request) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read(), reply.url
    except urllib.error.HTTPError as err:
        return err.code, err.read(), request.full_url
