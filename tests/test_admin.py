"""The admin surface as an attacker meets it, on a real server on loopback: sign-ins guessed
again and again, posted from another site, replayed after sign-out; the headers every answer
carries; what the Server header gives away."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import ADMIN_TOKEN, free_port

from appliance.app import Appliance, open_appliance
from appliance.config import Config, ServerSettings
from appliance.server import create_app
from appliance.store import calls


@dataclass
class Admin:
    state: Appliance
    base: str
    http: aiohttp.ClientSession

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **options: Any
    ) -> tuple[int, Any, str]:
        async with self.http.request(
            method, self.base + path, headers=headers or {}, allow_redirects=False, **options
        ) as reply:
            return reply.status, reply.headers, (await reply.read()).decode(errors="replace")

    async def sign_in(self, token: str, **headers: str) -> tuple[int, Any, str]:
        return await self.request("POST", "/login", headers, data={"token": token})


@contextlib.asynccontextmanager
async def serve(config: Config, **server: Any) -> AsyncIterator[Admin]:
    settings = dataclasses.replace(config, server=ServerSettings(admin_token=ADMIN_TOKEN, **server))
    async with open_appliance(settings) as state:
        runner = web.AppRunner(create_app(state), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
                yield Admin(state, f"http://127.0.0.1:{port}", http)
        finally:
            await runner.cleanup()


@pytest.fixture()
async def admin(config: Config) -> AsyncIterator[Admin]:
    async with serve(config) as made:
        yield made


def cookie_of(headers: Any) -> tuple[str, SimpleCookie]:
    jar = SimpleCookie()
    for line in headers.getall("Set-Cookie", []):
        jar.load(line)
    return jar["appliance_admin"].value, jar


async def test_failed_sign_ins_are_logged_and_an_address_that_keeps_guessing_waits(
    admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(5):
        assert (await admin.sign_in("guess-" + ADMIN_TOKEN[:8]))[0] == 401
    refusals = [r.getMessage() for r in caplog.records if "refused a dashboard sign-in" in r.getMessage()]
    assert len(refusals) == 5 and all("127.0.0.1" in r and "wrong admin token" in r for r in refusals)
    assert all("guess-" not in r.getMessage() for r in caplog.records)
    # The right token too is not heard from this address for a while; another address is.
    status, headers, body = await admin.sign_in(ADMIN_TOKEN)
    assert status == 429 and "Too many failed attempts" in body and int(headers["Retry-After"]) > 0
    assert "Set-Cookie" not in headers
    status, headers, _ = await admin.sign_in(ADMIN_TOKEN, **{"X-Forwarded-For": "10.0.0.7"})
    assert status == 302 and cookie_of(headers)[0]
    # The same for the API's bearer token.
    guessing = {"X-Forwarded-For": "10.0.0.8"}
    for _ in range(5):
        status, _, _ = await admin.request("GET", "/admin/config", {**guessing, "Authorization": "Bearer nope"})
        assert status == 401
    status, headers, _ = await admin.request(
        "GET", "/admin/config", {**guessing, "Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert status == 429 and "Retry-After" in headers
    elsewhere = {"X-Forwarded-For": "10.0.0.11", "Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert (await admin.request("GET", "/admin/config", elsewhere))[0] == 200


async def test_the_sign_in_cookie_is_secure_over_https_and_ends_at_sign_out(admin: Admin) -> None:
    status, headers, _ = await admin.sign_in(ADMIN_TOKEN, **{"X-Forwarded-Proto": "https"})
    assert status == 302
    value, jar = cookie_of(headers)
    morsel = jar["appliance_admin"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict"
    signed_in = {"Cookie": f"appliance_admin={value}"}
    assert (await admin.request("GET", "/dashboard/data", signed_in))[0] == 200
    status, headers, _ = await admin.request("POST", "/logout", signed_in)
    assert status == 302 and headers["Location"] == "/login"
    # A copy of the cookie kept by anyone is worth nothing now.
    assert (await admin.request("GET", "/dashboard/data", signed_in))[0] == 401
    assert (await admin.request("GET", "/dashboard", signed_in))[1]["Location"] == "/login"


async def test_a_proxy_that_is_not_trusted_cannot_make_the_cookie_secure_or_move_the_client(
    config: Config,
) -> None:
    async with serve(config, trusted_proxies=()) as admin:
        status, headers, _ = await admin.sign_in(ADMIN_TOKEN, **{"X-Forwarded-Proto": "https"})
        assert status == 302 and not cookie_of(headers)[1]["appliance_admin"]["secure"]
        for _ in range(5):  # the guesses count against the proxy's own address...
            await admin.sign_in("nope", **{"X-Forwarded-For": "10.0.0.9"})
        status, _, _ = await admin.sign_in(ADMIN_TOKEN, **{"X-Forwarded-For": "10.0.0.10"})
        assert status == 429  # ...whatever the header claims


async def test_a_sign_in_posted_from_another_site_is_refused(admin: Admin) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}):  # fmt: skip
        status, reply, body = await admin.sign_in(ADMIN_TOKEN, **headers)
        assert status == 403 and "Set-Cookie" not in reply, (headers, body)
    status, reply, _ = await admin.sign_in(ADMIN_TOKEN, Origin=admin.base, **{"Sec-Fetch-Site": "same-origin"})
    assert status == 302 and cookie_of(reply)[0]


async def test_every_answer_carries_the_security_headers(admin: Admin) -> None:
    session = await admin.state.sessions.create_session(channel="phone")
    await admin.state.sessions.end_session(session.id)
    wav = admin.state.store.path.parent / "recordings" / f"{session.id}.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x01" * 1600)
    await admin.state.store.write(calls.update_call, session.id, {"recording_url": str(wav)})
    _, headers, _ = await admin.sign_in(ADMIN_TOKEN)
    signed_in = {"Cookie": f"appliance_admin={cookie_of(headers)[0]}"}
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    private = {
        "/dashboard": signed_in, "/dashboard/data": signed_in,
        f"/dashboard/recordings/{session.id}": signed_in, "/admin/config": bearer,
        f"/voice/calls/{session.id}": bearer, "/login": {},
    }  # fmt: skip
    public = ["/", "/talk", "/voice/health", "/voice/webrtc/config", "/static/talk/talk.js", "/no/such/page"]
    for path, headers in [*private.items(), *((p, {}) for p in public)]:
        status, reply, _ = await admin.request("GET", path, headers)
        assert status in (200, 404, 503), (path, status)
        policy = reply["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "'unsafe-" not in policy, (path, policy)
        assert reply["X-Content-Type-Options"] == "nosniff", path
        assert reply["Referrer-Policy"] == "same-origin", path
        assert reply["X-Frame-Options"] == "DENY", path
        assert reply["Server"] == "appliance", (path, reply["Server"])
        if path in private:
            assert reply["Cache-Control"] == "no-store", path
    # Even aiohttp's own answer to a request it cannot parse names no version.
    port = int(admin.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    head = (await asyncio.wait_for(reader.read(2000), 5)).decode(errors="replace")
    writer.close()
    assert head.startswith("HTTP/1.") and "Server: appliance\r\n" in head
    assert "aiohttp" not in head and "Python" not in head
