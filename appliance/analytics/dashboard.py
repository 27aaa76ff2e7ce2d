"""/dashboard: the hotel's calls at a glance, behind the admin login. The page is static HTML
and script; its numbers come from /dashboard/data, drawn with Chart.js (vendored, MIT)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from appliance.analytics.web import query_period
from appliance.app import APPLIANCE, Appliance
from appliance.clients import Attempts, client_of
from appliance.errors import StoreError
from appliance.http import json_error
from appliance.logs import Throttled, over
from appliance.store import dashboard as queries
from appliance.store.access import jsonable

_LOGGER = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
#: The files the page may load, and their types.
STATIC_FILES = {
    "chart.umd.min.js": "text/javascript",
    "chart.js.LICENSE.md": "text/markdown",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
COOKIE = "appliance_admin"
#: How long a dashboard login lasts.
LOGIN_S = 12 * 3600
#: Sentiment histogram: ten bins from -1.0 to 1.0.


class Logins:
    """Dashboard sign-ins, kept on the server: a cookie is a random key to one of them, so
    signing out (or a restart) ends it for good, whoever kept a copy of the cookie."""

    def __init__(self, lifetime_s: float = LOGIN_S, clock: Callable[[], float] = time.time) -> None:
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._expires: dict[str, float] = {}

    @staticmethod
    def _key(cookie: str) -> str:
        return hashlib.sha256(cookie.encode()).hexdigest()

    def issue(self) -> str:
        """A new sign-in; its cookie value."""
        now = self._clock()
        self._expires = {k: t for k, t in self._expires.items() if t > now}
        cookie = secrets.token_urlsafe(32)
        self._expires[self._key(cookie)] = now + self.lifetime_s
        return cookie

    def valid(self, cookie: str | None) -> bool:
        if not cookie:
            return False
        expires = self._expires.get(self._key(cookie))
        return expires is not None and expires > self._clock()

    def revoke(self, cookie: str | None) -> bool:
        """End the sign-in ``cookie`` stands for; whether there was one."""
        return bool(cookie) and self._expires.pop(self._key(cookie or ""), None) is not None


#: Failed sign-ins one address may make in LOGIN_WINDOW_S before it has to wait.
LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 300.0
LOGINS = web.AppKey("logins", Logins)
#: Failed admin sign-ins (the dashboard's form and the API's bearer token), per address.
FAILED_SIGN_INS = web.AppKey("failed_sign_ins", Attempts)
#: Sign-ins refused while their address waits: a guessing script sends them by the thousand.
REFUSED_WHILE_WAITING = web.AppKey("refused_while_waiting", Throttled)


def _say_waiting(count: int, since_s: float | None, latest: str) -> None:
    _LOGGER.warning(
        "refused %d admin sign-in(s)%s from addresses that must wait after too many wrong tokens; "
        "the latest: %s", count, over(since_s), latest,
    )  # fmt: skip


def _state(request: web.Request) -> Appliance:
    return request.app[APPLIANCE]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, default=jsonable))


LOGIN_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center;
       min-height: 100vh; margin: 0; }
form { background: #fff; padding: 2rem; border-radius: 8px; display: grid; gap: 0.6rem; min-width: 280px; }
.error { color: #b00020; }
"""
LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Appliance login</title>
<style>{style}</style></head>
<body><form method="post" action="/login">
<h1>Front desk dashboard</h1>
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
<p class="error">{error}</p>
</form></body></html>
"""
#: The login page's one inline style, allowed by its hash and nothing else.
LOGIN_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(LOGIN_STYLE.encode()).digest()).decode()
    + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _login_page(error: str = "", status: int = 200) -> web.Response:
    response = web.Response(
        text=LOGIN_PAGE.format(style=LOGIN_STYLE, error=html.escape(error)),
        content_type="text/html", status=status,
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = LOGIN_CSP
    return response


async def login_page(request: web.Request) -> web.Response:
    return _login_page()


def foreign_origin(request: web.Request, public_base_url: str = "") -> str | None:
    """Why a browser's form post did not come from this site's own page, if it did not: its
    Origin names another site (a page elsewhere posting here), or the browser says so."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return f"the browser says the request came from a {request.headers['Sec-Fetch-Site']} page"
    origin = request.headers.get("Origin")
    if origin is None:
        return None  # not a browser's form (curl, a script): nothing to forge
    try:
        seen = URL(origin)
    except ValueError:
        seen = URL()
    if not seen.scheme or not seen.host:
        return f"the Origin {origin!r} is not a site"
    ours = [request.host]
    if (forwarded := request.headers.get("X-Forwarded-Host")) and client_of(request).proxied:
        ours.append(forwarded.split(",")[0].strip())
    if public_base_url:
        ours.append(URL(public_base_url).raw_authority)
    for host in ours:
        try:
            candidate = URL(f"{seen.scheme}://{host}")
        except ValueError:
            continue
        if candidate.host == seen.host and candidate.port == seen.port:
            return None
    return f"the Origin {origin!r} is not this site"


async def login(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    token = state.config.server.admin_token
    client = client_of(request)
    attempts = request.app[FAILED_SIGN_INS]
    if (why := foreign_origin(request, state.config.twilio.public_base_url)) is not None:
        _LOGGER.warning("refused a dashboard sign-in from %s: %s", client.address or "?", why)
        return _login_page("Sign in from the dashboard's own page.", status=403)
    if (wait_s := attempts.wait_s(client.address)) > 0:
        request.app[REFUSED_WHILE_WAITING](
            f"the dashboard's from {client.address or '?'}, {wait_s:.0f} s to wait"
        )
        response = _login_page(f"Too many failed attempts. Try again in {wait_s:.0f} s.", status=429)
        response.headers["Retry-After"] = str(max(1, round(wait_s)))
        return response
    form = await request.post()
    given = form.get("token")
    if not token:
        raise web.HTTPFound("/dashboard")  # no token set: the server is on loopback only
    if not isinstance(given, str) or not hmac.compare_digest(given.strip().encode(), token.encode()):
        failures = attempts.failed(client.address)
        _LOGGER.warning(
            "refused a dashboard sign-in from %s: a wrong admin token (%d in %.0f s)",
            client.address or "?", failures, attempts.window_s,
        )  # fmt: skip
        return _login_page("That is not the admin token.", status=401)
    attempts.succeeded(client.address)
    _LOGGER.info("dashboard sign-in from %s", client.address or "?")
    response = web.HTTPFound("/dashboard")
    response.set_cookie(
        COOKIE, request.app[LOGINS].issue(), max_age=LOGIN_S, httponly=True, samesite="Strict",
        secure=client.secure, path="/",
    )  # fmt: skip
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """Sign out: the sign-in is ended on the server, not only forgotten by this browser."""
    if request.app[LOGINS].revoke(request.cookies.get(COOKIE)):
        _LOGGER.info("dashboard sign-out from %s", client_of(request).address or "?")
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def page(request: web.Request) -> web.Response:
    text = await asyncio.to_thread((STATIC_DIR / "dashboard.html").read_text, encoding="utf-8")
    return web.Response(text=text, content_type="text/html")


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        return json_error(404, "no-such-file", f"no dashboard file {name!r}")
    return web.FileResponse(STATIC_DIR / name, headers={"Content-Type": STATIC_FILES[name]})


async def data(request: web.Request) -> web.Response:
    state = _state(request)
    period = query_period(request)
    body = await state.store.read(queries.dashboard_data, state.config.analytics, period)
    body["active"] = [s.to_dict(with_messages=False) for s in state.sessions.active()]
    return _json(body)


async def live_session(request: web.Request) -> web.Response:
    """One active call with its transcript so far."""
    session = _state(request).sessions.find(request.match_info["session_id"])
    if session is None:
        return json_error(404, "unknown-session", f"no live call {request.match_info['session_id']!r}")
    return _json(session.to_dict())


async def recording(request: web.Request) -> web.StreamResponse:
    """A call's recording to play; every access is written to the access log first."""
    state = _state(request)
    session_id = request.match_info["session_id"]
    url = await state.store.read(queries.recording_url, session_id)
    if not url:
        return json_error(404, "no-recording", f"call {session_id!r} has no recording")
    # From this box's recordings folder or the hotel's bucket, whichever holds it; a URL
    # outside both is no recording of ours.
    try:
        audio = await state.records.recording(url)
    except StoreError as err:
        return json_error(502, err.code, err.message)
    if audio is None:
        return json_error(
            404, "recording-missing", f"the recording of {session_id!r} is not in its store ({url})"
        )
    await state.store.write(queries.log_access, "admin", "play-recording", session_id, request.remote)
    return web.Response(body=audio, content_type="audio/wav")


def add_routes(app: web.Application) -> None:
    app[LOGINS] = Logins()
    app[FAILED_SIGN_INS] = Attempts(LOGIN_FAILURES, LOGIN_WINDOW_S)
    app[REFUSED_WHILE_WAITING] = Throttled(_say_waiting)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_get("/logout", logout)
    app.router.add_post("/logout", logout)
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/data", data)
    app.router.add_get("/dashboard/static/{name}", static)
    app.router.add_get("/dashboard/sessions/{session_id}", live_session)
    app.router.add_get("/dashboard/recordings/{session_id}", recording)
