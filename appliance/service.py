"""`appliance serve`: listen at once, load the models behind the health check, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import time
from datetime import UTC, datetime, timedelta

from aiohttp import web

from appliance.analytics.sync import sync_loop
from appliance.app import Appliance, open_appliance
from appliance.config import MODEL_ROLES, Config
from appliance.errors import ConfigError, ServerError, StoreError
from appliance.hotel.model import load_hotel
from appliance.instance import remove_address, write_address
from appliance.logs import AcceptErrors
from appliance.models import preflight
from appliance.server import create_app, is_loopback
from appliance.store.access import server_url_for
from appliance.store.records import CallRecords

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
    preflight(config.paths.models_dir, {r: config.model_path(r) for r in MODEL_ROLES})


async def retention_loop(records: CallRecords, days: int, every_s: float = 24 * 3600) -> None:
    """Purge calls older than ``days``, now and then once a day."""
    while True:
        try:
            await records.purge(datetime.now(UTC) - timedelta(days=days))
        except StoreError as err:
            _LOGGER.error("daily purge failed: %s", err.message)
        await asyncio.sleep(every_s)


#: The most file descriptors the server asks for, whatever the hard limit allows.
WANTED_FDS = 65536


def raise_descriptor_limit(wanted: int = WANTED_FDS) -> int:
    """Take as many file descriptors as the hard limit allows (up to ``wanted``): a call and
    every connection hold some. Returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as err:
            _LOGGER.warning("could not raise the descriptor limit from %d to %d: %s", soft, target, err)
    return soft


def make_runner(appliance: Appliance) -> web.AppRunner:
    """The HTTP server of the appliance: a client must send its request within
    ``header_timeout_s`` (aiohttp's keep-alive timeout also bounds the wait for the first one)."""
    return web.AppRunner(
        create_app(appliance), handle_signals=False, access_log=None,
        keepalive_timeout=appliance.config.server.header_timeout_s,
    )  # fmt: skip


async def serve(config: Config) -> None:
    """Run until SIGTERM or SIGINT; raise ServerError or ModelError if it cannot."""
    started = time.monotonic()
    asyncio.get_running_loop().set_exception_handler(AcceptErrors())
    async with open_appliance(config) as appliance:
        runner = make_runner(appliance)
        await runner.setup()
        try:
            await _serve(config, appliance, runner, started)
        finally:
            remove_address(config.paths.data_dir)
            await runner.cleanup()
    _LOGGER.info("stopped cleanly")


async def _serve(
    config: Config, appliance: Appliance, runner: web.AppRunner, started: float
) -> None:
    site = web.TCPSite(
        runner,
        config.server.host,
        config.server.port,
        shutdown_timeout=config.server.shutdown_grace_s,
    )
    try:
        await site.start()
    except OSError as err:
        raise ServerError(
            "listen-failed",
            f"cannot listen on {config.server.host}:{config.server.port}: {err.strerror or err} "
            "(is another appliance running? `appliance doctor` checks the port)",
        ) from err

    write_address(config.paths.data_dir, server_url_for(config.server.host, config.server.port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    _LOGGER.info(
        "listening on http://%s:%d with %d file descriptors; loading models (health answers 503 "
        "until they are ready)", config.server.host, config.server.port,
        resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    )  # fmt: skip
    background: list[asyncio.Task[None]] = []
    if config.retention.call_days:
        background.append(
            asyncio.create_task(retention_loop(appliance.records, config.retention.call_days))
        )
    if config.sync.enabled:
        background.append(asyncio.create_task(sync_loop(appliance.sync), name="cloud-sync"))
    try:
        loading = asyncio.create_task(appliance.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({loading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if loading.done():
            if (failure := loading.exception()) is not None:
                raise failure
            _LOGGER.info("ready in %.1f s", time.monotonic() - started)
            await stopping
        else:
            _LOGGER.info("stop requested while loading models; waiting for the loads to end")
            await asyncio.gather(loading, return_exceptions=True)
        _LOGGER.info("stopping: taking no new calls")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        for task in background:
            task.cancel()


def run(config: Config) -> None:
    """Checks that need no model, then the server. Errors propagate as ApplianceError."""
    check_exposure(config)
    check_models(config)
    load_hotel(config.paths.hotel_file)  # a broken hotel file stops start-up, naming the entry
    raise_descriptor_limit()
    if not config.server.admin_token:
        _LOGGER.warning("no admin token is set: the admin API is open to this machine only")
    asyncio.run(serve(config))
