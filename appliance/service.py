"""`appliance serve`: listen at once, load the models behind the health check, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from aiohttp import web

from appliance.config import Config, masked
from appliance.engines import build_engines
from appliance.errors import ConfigError, ServerError
from appliance.models import preflight
from appliance.server import ServerState, create_app, is_loopback

_LOGGER = logging.getLogger(__name__)


def check_exposure(config: Config) -> None:
    """Refuse to put an admin API without a token on an address other machines can reach."""
    host = config.server.host
    if not config.server.admin_token and not is_loopback(host):
        raise ConfigError(
            "admin-token-required",
            f"refusing to listen on {host}: the admin API would be open to the network. Set "
            "APPLIANCE_ADMIN_TOKEN (install.sh writes one to .env.local) or listen on 127.0.0.1.",
        )


def check_models(config: Config) -> None:
    preflight(config.paths.models_dir, {r: config.model_path(r) for r in ("stt", "llm", "tts")})


async def serve(config: Config) -> None:
    """Run until SIGTERM or SIGINT; raise ServerError or ModelError if it cannot."""
    started = time.monotonic()
    engines = build_engines(config)
    state = ServerState(engines=engines, settings=config.server, config_view=masked(config))
    app = create_app(state)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(
        runner,
        config.server.host,
        config.server.port,
        shutdown_timeout=config.server.shutdown_grace_s,
    )
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        engines.close()
        raise ServerError(
            "listen-failed",
            f"cannot listen on {config.server.host}:{config.server.port}: {err.strerror or err} "
            "(is another appliance running? `appliance doctor` checks the port)",
        ) from err

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    _LOGGER.info(
        "listening on http://%s:%d; loading models (health answers 503 until they are ready)",
        config.server.host, config.server.port,
    )  # fmt: skip

    try:
        loading = asyncio.create_task(engines.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({loading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if loading.done():
            if loading.exception() is not None:
                state.phase = "failed"
                raise loading.exception()  # type: ignore[misc]
            state.phase = "ready"
            _LOGGER.info("ready in %.1f s", time.monotonic() - started)
            await stopping
        else:
            _LOGGER.info("stop requested while loading models; waiting for the loads to end")
            await asyncio.gather(loading, return_exceptions=True)
        state.phase = "stopping"
        _LOGGER.info(
            "stopping: taking no new calls, ending %d active sessions", state.active_sessions()
        )
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        # Runs the app's shutdown hooks (sessions end, the store flushes), then closes sockets.
        await runner.cleanup()
        await asyncio.to_thread(engines.close)
    _LOGGER.info("stopped cleanly")


def run(config: Config) -> None:
    """Checks that need no model, then the server. Errors propagate as ApplianceError."""
    check_exposure(config)
    check_models(config)
    if not config.server.admin_token:
        _LOGGER.warning("no admin token is set: the admin API is open to this machine only")
    asyncio.run(serve(config))
