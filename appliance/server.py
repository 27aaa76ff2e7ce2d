"""The aiohttp application: health, the admin API and its bearer token, and the headers
every answer carries."""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web, web_response
from aiohttp.typedefs import Middleware
from yarl import URL

from appliance import __version__, api
from appliance.analytics import dashboard
from appliance.analytics import web as analytics_web
from appliance.app import APPLIANCE, Appliance
from appliance.channels.twilio import webhooks
from appliance.channels.webrtc import routes as webrtc_routes
from appliance.clients import PROXIES, Proxies, client_of
from appliance.http import json_error

_LOGGER = logging.getLogger(__name__)

#: Paths that show or change guest data or the appliance itself: they need the admin token.
PROTECTED_PREFIXES = ("/admin", "/voice/sessions", "/voice/calls", "/voice/tools", "/dashboard")
#: Answers no browser or proxy may keep a copy of: guest data, recordings, the sign-in.
NO_STORE_PREFIXES = (*PROTECTED_PREFIXES, "/login", "/logout", "/metrics")
#: What a page may load, and who may frame it (nobody). The guest page and the dashboard load
#: their scripts and styles from this server only; the login page allows its one inline style
#: by its hash.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: The Server header: no product or version for a scanner to match.
SERVER_NAME = "appliance"
# aiohttp's own answers to a malformed request go out before any hook of ours can change them.
web_response.SERVER_SOFTWARE = SERVER_NAME
#: Pages a browser opens: the admin login (a cookie) stands for the token there.
BROWSER_PREFIX = "/dashboard"
#: The shortest admin token accepted on an address other machines can reach.
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problem(host: str, token: str) -> str | None:
    """Why the admin API must not listen on ``host`` with ``token``; None if it may."""
    if is_loopback(host):
        return None
    if not token:
        return (
            f"refusing to listen on {host}: the admin API would be open to the network. Set "
            "APPLIANCE_ADMIN_TOKEN (install.sh writes one to .env.local) or listen on 127.0.0.1."
        )
    if len(token) < MIN_TOKEN_CHARS:
        return (
            f"refusing to listen on {host}: APPLIANCE_ADMIN_TOKEN has {len(token)} characters and "
            f"could be guessed; use at least {MIN_TOKEN_CHARS} (install.sh writes a 43-character one)"
        )
    return None


def _loopback_url_host(text: str, scheme: str = "http") -> bool:
    """Is ``text`` (a Host header, or an Origin) this machine?"""
    try:
        host = URL(text if "://" in text else f"{scheme}://{text}").host
    except ValueError:
        return False
    return host is not None and is_loopback(host.strip("[]"))


def _cross_site(request: web.Request) -> str | None:
    """Why a request without a token is not from this machine's own tools, if it is not:
    a web page on this box may send requests to loopback, so the token-less API checks the
    Host (DNS rebinding), the Origin (another site's page) and that a change comes as JSON,
    which a page cannot send across sites without asking first."""
    if not _loopback_url_host(request.headers.get("Host", "")):
        return f"the Host header {request.headers.get('Host', '')!r} is not this machine"
    origin = request.headers.get("Origin")
    if origin is not None and not (
        origin.startswith(("http://", "https://")) and _loopback_url_host(origin)
    ):
        return f"requests from {origin!r} are not taken: the Origin is not this machine"
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.content_type != "application/json"
    ):
        return (
            f"a {request.method} here takes a JSON body (Content-Type: application/json), "
            f"not {request.content_type!r}"
        )
    return None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API clients get JSON for every error, with the reason in words."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return json_error(err.status, err.reason.lower().replace(" ", "-"), err.text or err.reason)
    except Exception as err:  # the request fails; the server, and every call on it, goes on
        _LOGGER.exception("%s %s failed", request.method, request.path)
        return json_error(500, "internal-error", f"{type(err).__name__}: {err}")


@web.middleware
async def _require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PROTECTED_PREFIXES):
        return await handler(request)
    token = request.app[APPLIANCE].config.server.admin_token
    if not token:
        # Only reachable on loopback: start-up refuses any other address without a token.
        why = _cross_site(request)
        if why is not None:
            _LOGGER.warning("refused %s %s without a token: %s", request.method, request.path, why)
            return json_error(403, "not-from-this-machine", why)
        return await handler(request)
    header = request.headers.get("Authorization", "")
    if request.path.startswith(BROWSER_PREFIX) and not header:
        if request.app[dashboard.LOGINS].valid(request.cookies.get(dashboard.COOKIE)):
            return await handler(request)
        if request.path == BROWSER_PREFIX:
            raise web.HTTPFound("/login")
    if not header.isascii():
        _refused(request, "an Authorization header that is not ASCII")
        return json_error(400, "bad-authorization", "the Authorization header must be ASCII text")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        _refused(request, "no bearer token")
        return _unauthorized("this endpoint needs the admin token: Authorization: Bearer <token>")
    attempts = request.app[dashboard.FAILED_SIGN_INS]
    address = client_of(request).address
    if (wait_s := attempts.wait_s(address)) > 0:
        request.app[dashboard.REFUSED_WHILE_WAITING](
            f"{request.method} {request.path} from {address or '?'}, {wait_s:.0f} s to wait"
        )
        response = json_error(
            429, "too-many-attempts",
            f"too many wrong admin tokens from {address}: try again in {wait_s:.0f} s",
        )  # fmt: skip
        response.headers["Retry-After"] = str(max(1, round(wait_s)))
        return response
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        failures = attempts.failed(address)
        _refused(request, f"a wrong token ({failures} in {attempts.window_s:.0f} s)")
        return _unauthorized("the admin token is wrong")
    return await handler(request)


def _refused(request: web.Request, why: str) -> None:
    """A failed login, for whoever watches the log; never the token that was tried."""
    _LOGGER.warning(
        "refused %s %s from %s: %s",
        request.method, request.path, client_of(request).address or "?", why,
    )  # fmt: skip


def _unauthorized(message: str) -> web.Response:
    response = json_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="appliance"'
    return response


async def health(request: web.Request) -> web.Response:
    """503 while loading or stopping, or while the disk cannot keep calls (it is full, or
    failing: callers are put through to the front desk meanwhile); 200 when every model is
    loaded and warm and the disk takes writes."""
    state = request.app[APPLIANCE]
    storage = await asyncio.to_thread(state.store.health.to_dict)
    body = {
        "status": state.phase if storage["ok"] or state.phase != "ready" else storage["problem"],
        "version": __version__,
        "uptime_s": round(time.monotonic() - state.started_monotonic, 1),
        "active_sessions": state.sessions.count(),
        "storage": storage,
        "models": {
            h.role: {k: v for k, v in dataclasses.asdict(h.status()).items() if k != "role"}
            for h in state.engines.hosts()
        },
    }
    ready = state.phase == "ready" and storage["ok"]
    return web.json_response(body, status=200 if ready else 503)


async def admin_config(request: web.Request) -> web.Response:
    """The running configuration, secrets masked."""
    return web.json_response(request.app[APPLIANCE].config_view)


def _body_deadline(timeout_s: float) -> Middleware:
    """A request's body must arrive within ``timeout_s`` too: a client that sends its headers
    and then trickles the body holds nothing for long. (aiohttp's keep-alive timeout, set to
    the same, bounds the wait for the headers.)"""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body and not request.content_type.startswith("multipart/"):
            try:
                async with asyncio.timeout(timeout_s):
                    await request.read()  # kept: the handler's post() or json() reads it again
            except TimeoutError:
                _LOGGER.warning(
                    "%s %s from %s: the body did not arrive within %.0f s; dropped",
                    request.method, request.path, client_of(request).address or "?", timeout_s,
                )  # fmt: skip
                response = json_error(
                    408, "request-timeout", f"the request body did not arrive within {timeout_s:.0f} s"
                )
                response.force_close()
                return response
        return await handler(request)

    return deadline


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer: no framing, no sniffing, no referrer, scripts from here only; guest data
    never cached; no version in Server."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    # login form's POST, and the sign-in could no longer tell its own page from another site's.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
    if request.path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    headers["Server"] = SERVER_NAME


def create_app(state: Appliance) -> web.Application:
    app = web.Application(
        middlewares=[_json_errors, _body_deadline(state.config.server.header_timeout_s), _require_token]
    )
    app[APPLIANCE] = state
    app[PROXIES] = Proxies(state.config.server.trusted_proxies)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/voice/health", health)
    app.router.add_get("/admin/config", admin_config)
    api.add_routes(app)
    analytics_web.add_routes(app)
    dashboard.add_routes(app)
    webhooks.add_routes(app, state.twilio)
    webrtc_routes.add_routes(app, state.webrtc)
    return app
