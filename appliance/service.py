"""`appliance serve`: listen at once, load the models behind the health check, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from appliance.analytics.sentiment import (
    EscalationPolicy,
    LlmMoodJudge,
    SentimentScorer,
    build_scorer,
    judge_gate,
)
from appliance.analytics.sync import SyncRunner, sync_loop
from appliance.appstate import ServerState
from appliance.channels.twilio.rest import TwilioRest
from appliance.channels.twilio.webhooks import TwilioChannel
from appliance.channels.webrtc.call import WebRtcChannel
from appliance.config import MODEL_ROLES, Config, masked
from appliance.dialogue.agent import Agent, HotelAgent, llm_phraser, small_talk_gate
from appliance.dialogue.loop import FIXED_PROMPTS
from appliance.engines import Engines, build_engines
from appliance.errors import ConfigError, ServerError, StoreError
from appliance.hotel.model import Hotel, load_hotel
from appliance.hotel.reservations import LocalReservations
from appliance.models import preflight
from appliance.server import create_app, is_loopback
from appliance.sessions import CallStatus, SessionManager
from appliance.store import calls
from appliance.store.database import Connection, Store
from appliance.store.recordings import Recordings, open_recordings
from appliance.store.records import CallRecords, storages
from appliance.switchboard import Switchboard
from appliance.tools import install_toolbox
from appliance.tools.context import NoSms, ToolContext
from appliance.tools.registry import Toolbox
from appliance.understanding.base import Understander
from appliance.understanding.llm import LlmUnderstander
from appliance.understanding.rules import RulesUnderstander
from appliance.understanding.semantic import SemanticUnderstander

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


async def open_state(config: Config, engines: Engines) -> ServerState:
    """The database (migrated, crashed calls closed), sessions, hotel data and tools."""
    hotel = load_hotel(config.paths.hotel_file)
    store = Store(config.paths.database_file)
    await store.open(on_open=_close_crashed_calls)
    recordings = open_recordings(config.recording, config.paths.data_dir)
    if recordings is not None:
        await _finish_crashed_recordings(store, recordings)
    sentiment = build_scorer(config.analytics)
    sessions = SessionManager(store, recordings, sentiment)
    reservations = LocalReservations(store, hotel)
    rest = TwilioRest(config.twilio)
    twilio_ready = bool(config.twilio.account_sid and config.twilio.auth_token)
    toolbox = Toolbox(
        ToolContext(
            sessions,
            store,
            hotel,
            reservations,
            config.departments,
            sms=rest if twilio_ready else NoSms(),
        )
    )
    install_toolbox(toolbox)
    agent = build_agent(config, hotel, toolbox, engines, sentiment)
    switchboard = Switchboard(
        engines, agent, sessions, toolbox, config.vad, config.dialogue, config.voice
    )
    return ServerState(
        engines=engines,
        settings=config.server,
        config_view=masked(config),
        store=store,
        sessions=sessions,
        toolbox=toolbox,
        reservations=reservations,
        records=CallRecords(store, storages(recordings, config.paths.data_dir)),
        agent=agent,
        switchboard=switchboard,
        twilio=TwilioChannel(config, rest),
        webrtc=WebRtcChannel(switchboard, config.webrtc),
        analytics=config.analytics,
        sync=SyncRunner(config.sync, config.analytics, store),
    )


def _close_crashed_calls(db: Connection) -> None:
    interrupted = calls.mark_interrupted(db)
    if interrupted:
        _LOGGER.warning(
            "%d call(s) were cut off when the appliance last stopped; marked interrupted: %s",
            len(interrupted), ", ".join(interrupted),
        )  # fmt: skip


def build_understander(
    config: Config, hotel: Hotel, engines: Engines, today: Callable[[], date] = date.today
) -> Understander:
    """The configured understander; the LLM one falls back to the semantic one."""
    if config.understanding.understander == "rules":
        return RulesUnderstander(hotel, today)
    semantic = SemanticUnderstander(hotel, engines.encode, today, config.understanding)
    if config.understanding.understander == "llm":
        return LlmUnderstander(
            hotel, engines, today, fallback=semantic, timeout_s=config.llm.timeout_s
        )
    return semantic


def build_agent(
    config: Config,
    hotel: Hotel,
    toolbox: Toolbox,
    engines: Engines,
    sentiment: SentimentScorer | None = None,
) -> HotelAgent:
    return HotelAgent(
        hotel,
        toolbox,
        build_understander(config, hotel, engines),
        sentiment=sentiment,
        escalation=EscalationPolicy.from_settings(config.analytics),
    )


async def prepare_agent(
    config: Config, agent: Agent, engines: Engines, sessions: SessionManager | None = None
) -> None:
    """Once the models are loaded: the understander's index, whether the language model
    may phrase small talk, and (given the sessions) whether it judges the callers' moods."""
    if sessions is not None:
        await prepare_judge(config, sessions, engines)
    if not isinstance(agent, HotelAgent):
        return
    await agent.understander.prepare()
    if engines.tts.status().loaded:  # `appliance chat` speaks no audio and loads no voice
        rendered = await engines.render_prompts(
            [agent.greeting(config.dialogue.greeting), *FIXED_PROMPTS, *agent.fixed_sentences()]
        )
        _LOGGER.info("rendered %d pieces of fixed prompts ahead of the first call", rendered)
    if config.dialogue.small_talk_with_llm and await small_talk_gate(
        llm_phraser(engines, temperature=0.0), agent.hotel.name
    ):
        agent.phraser = llm_phraser(engines)
        _LOGGER.info("small talk: phrased by the language model (it passed the check)")


async def prepare_judge(config: Config, sessions: SessionManager, engines: Engines) -> None:
    """The language model judges each caller turn's mood: when asked to, or, on "auto", when
    it passes the check."""
    mode = config.analytics.sentiment
    if mode not in ("llm", "auto") or sessions.sentiment is None:
        return
    if not engines.llm.status().loaded:
        _LOGGER.info("moods scored by VADER: the language model is not loaded")
        return
    judge = LlmMoodJudge(engines, config.llm.timeout_s)
    if mode == "llm" or await judge_gate(judge):
        sessions.judge = judge
        _LOGGER.info("moods judged by the language model (%s)", "as configured" if mode == "llm" else "it passed the check")


async def _finish_crashed_recordings(store: Store, recordings: Recordings) -> None:
    urls = await store.read(
        lambda db: dict(
            db.execute(
                "SELECT session_id, recording_url FROM voice_calls WHERE recording_url IS NOT NULL"
            ).fetchall()
        )
    )
    try:
        finished = await asyncio.to_thread(recordings.recover, urls)
    except StoreError as err:
        _LOGGER.error("recordings left by the last run could not be stored: %s", err.message)
        return
    if finished:
        _LOGGER.warning("finished %d recording(s) of calls cut off by the last stop", len(finished))


async def close_state(state: ServerState) -> None:
    """No new calls; end the live ones; flush the database."""
    state.sessions.accepting = False
    await state.webrtc.close_all()
    # The calls' own loops end first, so each stops speaking before its row is closed.
    await state.switchboard.close_all(CallStatus.INTERRUPTED, "server-shutdown")
    ended = await state.sessions.end_all(CallStatus.INTERRUPTED, "server-shutdown")
    if ended:
        _LOGGER.info("ended %d active session(s) for shutdown", ended)
    install_toolbox(None)
    await state.store.close()


async def retention_loop(records: CallRecords, days: int, every_s: float = 24 * 3600) -> None:
    """Purge calls older than ``days``, now and then once a day."""
    while True:
        try:
            await records.purge(datetime.now(UTC) - timedelta(days=days))
        except StoreError as err:
            _LOGGER.error("daily purge failed: %s", err.message)
        await asyncio.sleep(every_s)


async def serve(config: Config) -> None:
    """Run until SIGTERM or SIGINT; raise ServerError or ModelError if it cannot."""
    started = time.monotonic()
    engines = build_engines(config)
    try:
        state = await open_state(config, engines)
    except BaseException:
        engines.close()
        raise
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
        await close_state(state)
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
    background: list[asyncio.Task[None]] = []
    if config.retention.call_days:
        background.append(
            asyncio.create_task(retention_loop(state.records, config.retention.call_days))
        )
    if config.sync.enabled:
        background.append(asyncio.create_task(sync_loop(state.sync), name="cloud-sync"))

    try:
        loading = asyncio.create_task(engines.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({loading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if loading.done():
            if (failure := loading.exception()) is not None:
                state.phase = "failed"
                raise failure
            await prepare_agent(config, state.agent, engines, state.sessions)
            state.phase = "ready"
            _LOGGER.info("ready in %.1f s", time.monotonic() - started)
            await stopping
        else:
            _LOGGER.info("stop requested while loading models; waiting for the loads to end")
            await asyncio.gather(loading, return_exceptions=True)
        state.phase = "stopping"
        _LOGGER.info("stopping: taking no new calls")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        for task in background:
            task.cancel()
        await close_state(state)
        await runner.cleanup()
        await asyncio.to_thread(engines.close)
    _LOGGER.info("stopped cleanly")


def run(config: Config) -> None:
    """Checks that need no model, then the server. Errors propagate as ApplianceError."""
    check_exposure(config)
    check_models(config)
    load_hotel(config.paths.hotel_file)  # a broken hotel file stops start-up, naming the entry
    if not config.server.admin_token:
        _LOGGER.warning("no admin token is set: the admin API is open to this machine only")
    asyncio.run(serve(config))
