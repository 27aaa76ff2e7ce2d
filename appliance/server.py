"""The aiohttp application: health, the admin API and its bearer token."""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from appliance import __version__, api
from appliance.appstate import STATE, ServerState, json_error
from appliance.channels.twilio import webhooks

_LOGGER = logging.getLogger(__name__)

#: Paths that show or change guest data or the appliance itself: they need the admin token.
PROTECTED_PREFIXES = ("/admin", "/voice/sessions", "/voice/calls", "/voice/tools")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    token = request.app[STATE].settings.admin_token
    if not token:
        # Only reachable on loopback: start-up refuses any other address without a token.
        return await handler(request)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return _unauthorized("this endpoint needs the admin token: Authorization: Bearer <token>")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return _unauthorized("the admin token is wrong")
    return await handler(request)


def _unauthorized(message: str) -> web.Response:
    response = json_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="appliance"'
    return response


async def health(request: web.Request) -> web.Response:
    """503 while loading or stopping, 200 when every model is loaded and warm."""
    state = request.app[STATE]
    body = {
        "status": state.phase,
        "version": __version__,
        "uptime_s": round(time.monotonic() - state.started_monotonic, 1),
        "active_sessions": state.sessions.count(),
        "models": {
            h.role: {k: v for k, v in dataclasses.asdict(h.status()).items() if k != "role"}
            for h in state.engines.hosts()
        },
    }
    return web.json_response(body, status=200 if state.phase == "ready" else 503)


async def admin_config(request: web.Request) -> web.Response:
    """The running configuration, secrets masked."""
    return web.json_response(request.app[STATE].config_view)


def create_app(state: ServerState) -> web.Application:
    app = web.Application(middlewares=[_json_errors, _require_token])
    app[STATE] = state
    app.router.add_get("/voice/health", health)
    app.router.add_get("/admin/config", admin_config)
    api.add_routes(app)
    webhooks.add_routes(app, state.twilio)
    return app
