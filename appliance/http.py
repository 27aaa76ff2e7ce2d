"""Small pieces every HTTP handler shares: JSON errors and bodies that name what was wrong."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object ({} without a body); a 400 that says why otherwise."""
    if not request.body_exists:
        return {}
    raw = await request.read()  # read once, whoever read it first (the request deadline)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise web.HTTPBadRequest(text=f"the request body is not valid JSON: {err}") from err
    except RecursionError:
        raise web.HTTPBadRequest(text="the request body is JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the request body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, default: str | None = None) -> str | None:
    """``body[name]`` if it is text (or absent: ``default``); a 400 naming it otherwise."""
    value = body.get(name, default)
    if value is not None and not isinstance(value, str):
        raise web.HTTPBadRequest(text=f"{name} must be text, got {json.dumps(value)[:80]}")
    return value
