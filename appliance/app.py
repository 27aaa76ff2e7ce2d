"""The composition root: the one place that builds the appliance from its configuration.

``appliance serve``, ``talk``, ``chat``, ``kiosk``, the benchmarks and the tests all build it
here, so every one of them runs the same parts wired the same way::

    async with open_appliance(config) as appliance:
        await appliance.start()          # load the models, prepare the agent: ready for calls
        ...

Opening builds everything but loads no model (``serve`` answers its health check while the
models load); closing ends the live calls, flushes the database and closes what it opened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from aiohttp import web

from appliance.analytics.sentiment import (
    EscalationPolicy,
    LlmMoodJudge,
    MoodTracker,
    build_scorer,
    judge_gate,
)
from appliance.analytics.sync import SyncRunner
from appliance.channels.twilio.rest import TwilioRest
from appliance.channels.twilio.webhooks import TwilioChannel
from appliance.channels.webrtc.call import WebRtcChannel
from appliance.config import MODEL_ROLES, Config, masked
from appliance.dialogue.agent import HotelAgent
from appliance.dialogue.smalltalk import llm_phraser, small_talk_gate
from appliance.engines import Engines, build_engines
from appliance.errors import StoreError
from appliance.hotel.desk import FrontDesk, NoSms
from appliance.hotel.model import Hotel, load_hotel
from appliance.hotel.reservations import LocalReservations
from appliance.sentences import load_catalogue
from appliance.sessions import Admission, CallStatus, Lane, SessionManager
from appliance.store import calls
from appliance.store.database import Connection, Store
from appliance.store.recordings import Recordings, open_recordings
from appliance.store.records import CallRecords, storages
from appliance.switchboard import Switchboard
from appliance.tools import install_toolbox
from appliance.tools.context import ToolContext
from appliance.tools.registry import Toolbox
from appliance.understanding.base import Understander
from appliance.understanding.llm import LlmUnderstander
from appliance.understanding.payment import PaymentCue
from appliance.understanding.rules import RulesUnderstander
from appliance.understanding.semantic import SemanticUnderstander

_LOGGER = logging.getLogger(__name__)

Phase = Literal["loading", "ready", "stopping", "failed"]


@dataclass
class Appliance:
    """Every part of a running appliance, built once from the configuration."""

    config: Config
    engines: Engines
    store: Store
    hotel: Hotel
    sessions: SessionManager
    toolbox: Toolbox
    reservations: LocalReservations
    records: CallRecords
    agent: HotelAgent
    switchboard: Switchboard
    twilio: TwilioChannel
    webrtc: WebRtcChannel
    sync: SyncRunner
    phase: Phase = "loading"
    started_monotonic: float = field(default_factory=time.monotonic)
    #: The configuration as shown to admins (secrets masked).
    config_view: dict[str, Any] = field(default_factory=dict)
    #: Close the models too on ``close`` (they were not lent by whoever built it).
    owns_engines: bool = False
    #: The agent's questions being rendered once calls are taken (see ``prepare``).
    _rendering: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def start(self, roles: Collection[str] = MODEL_ROLES) -> None:
        """Load the models of ``roles`` (those not loaded yet), then prepare the agent on them;
        calls are taken from here on."""
        try:
            await self.engines.start(roles)
            await self.prepare()
        except BaseException:
            self.phase = "failed"
            raise
        self.open_for_calls()

    def open_for_calls(self) -> None:
        """From now on the channels' calls are admitted."""
        self.phase = "ready"
        self.sessions.admission.accepting = True

    async def prepare(self) -> None:
        """Once the models are loaded: the understander's index, the fixed prompts rendered,
        whether the language model may phrase small talk and judge callers' moods."""
        config, agent, engines = self.config, self.agent, self.engines
        await prepare_judge(config, self.sessions, engines)
        await agent.understander.prepare()
        if engines.tts.status().loaded:  # `appliance chat` speaks no audio and loads no voice
            # What every call hears first is ready before calls are taken; the questions'
            # first pieces follow once they are, behind any call's own words, so a restart
            # does not keep the phone ringing while some sixty sentences are spoken to a cache.
            unasked = [
                agent.greeting(config.dialogue.greeting),
                *(agent.lines.say(f"call.{key}") for key in UNASKED),
            ]
            rendered = await engines.render_prompts((), whole=unasked)
            _LOGGER.info("rendered %d pieces said unasked ahead of the first call", rendered)
        if (
            config.dialogue.small_talk_with_llm
            and engines.llm.status().loaded
            and await small_talk_gate(llm_phraser(engines, temperature=0.0), self.hotel.name)
        ):
            agent.phraser = llm_phraser(engines)
            _LOGGER.info("small talk: phrased by the language model (it passed the check)")
        if engines.tts.status().loaded and self._rendering is None:
            self._rendering = asyncio.create_task(self._render_questions())

    async def _render_questions(self) -> None:
        try:
            rendered = await self.engines.render_prompts(
                self.agent.fixed_sentences(), when_free=True
            )
            _LOGGER.info("rendered %d more pieces of fixed sentences, once calls were taken", rendered)
        except Exception:  # a call synthesizes what is missing: slower, never wrong
            _LOGGER.exception("could not render the fixed sentences ahead")

    async def settled(self) -> None:
        """Wait for the work ``prepare`` left running: the fixed sentences rendered."""
        if self._rendering is not None:
            await asyncio.shield(self._rendering)

    async def close(self) -> None:
        """No new calls; end the live ones; flush the database."""
        self.phase = "stopping"
        self.sessions.stop_accepting()
        if self._rendering is not None and not self._rendering.done():
            self._rendering.cancel()
            await asyncio.gather(self._rendering, return_exceptions=True)
        await self.webrtc.close_all()
        # The calls' own loops end first, so each stops speaking before its row is closed.
        await self.switchboard.close_all(CallStatus.INTERRUPTED, "server-shutdown")
        ended = await self.sessions.end_all(CallStatus.INTERRUPTED, "server-shutdown")
        if ended:
            _LOGGER.info("ended %d active session(s) for shutdown", ended)
        install_toolbox(None)
        await self.store.close()
        if self.owns_engines:
            await asyncio.to_thread(self.engines.close)


#: What the loop says unasked, the same on every call: rendered whole at start-up.
UNASKED = ("still_there", "silence_goodbye", "technical_problem", "time_warning", "time_up")

#: The running appliance, as the HTTP handlers find it.
APPLIANCE = web.AppKey("appliance", Appliance)


def admission(config: Config) -> Admission:
    """One admission for every channel: phone lines, and the browser conversations that
    guest pages and kiosk PCs share."""
    lanes = {
        "phone": Lane("phone lines", config.twilio.max_concurrent_calls, "[twilio] max_concurrent_calls"),
        "browser": Lane("browser conversations", config.webrtc.max_sessions, "[webrtc] max_sessions"),
    }  # fmt: skip
    return Admission(
        lanes, {"phone": "phone", "sip": "phone", "webrtc": "browser", "kiosk": "browser"}
    )


@asynccontextmanager
async def open_appliance(
    config: Config,
    engines: Engines | None = None,
    today: Callable[[], date] = date.today,
) -> AsyncIterator[Appliance]:
    """The appliance for ``config``, closed on the way out: see ``build_appliance``."""
    appliance = await build_appliance(config, engines, today)
    try:
        yield appliance
    finally:
        await appliance.close()


async def build_appliance(
    config: Config,
    engines: Engines | None = None,
    today: Callable[[], date] = date.today,
) -> Appliance:
    """The appliance for ``config``: database open and migrated (calls a crash left open are
    closed), sessions, hotel, tools, agent, switchboard and channels. No model is loaded:
    ``start`` does that. ``engines`` shares models already loaded (the tests' session); the
    appliance closes only engines it made itself."""
    owns_engines = engines is None
    engines = engines or build_engines(config)
    try:
        appliance = await _assemble(config, engines, today)
    except BaseException:
        if owns_engines:
            await asyncio.to_thread(engines.close)
        raise
    appliance.owns_engines = owns_engines
    return appliance


async def _assemble(config: Config, engines: Engines, today: Callable[[], date]) -> Appliance:
    hotel = load_hotel(config.paths.hotel_file)
    store = Store(config.paths.database_file)
    await store.open(on_open=_close_crashed_calls)
    try:
        recordings = open_recordings(config.recording, config.paths.data_dir)
        if recordings is not None:
            await _finish_crashed_recordings(store, recordings)
        sentiment = build_scorer(config.analytics)
        moods = MoodTracker(sentiment) if sentiment is not None else None
        sessions = SessionManager(store, recordings, moods, admission=admission(config))
        # No calls until the models are loaded and the agent is prepared (``start``).
        sessions.admission.accepting = False
        sessions.admission.not_accepting_reason = (
            "the appliance is starting: its models are loading"
        )
        reservations = LocalReservations(store, hotel)
        rest = TwilioRest(config.twilio)
        twilio_ready = bool(config.twilio.account_sid and config.twilio.auth_token)
        lines = load_catalogue("en")
        desk = FrontDesk(
            hotel, reservations, lines, config.departments, store,
            sms=rest if twilio_ready else NoSms(), today=today,
        )  # fmt: skip
        toolbox = Toolbox(ToolContext(desk, sessions))
        install_toolbox(toolbox)
        agent = HotelAgent(
            desk,
            build_understander(config, hotel, engines, today),
            lines,
            today=today,
            sentiment=sentiment,
            escalation=EscalationPolicy.from_settings(config.analytics),
            payment_link=config.payments.link_url,
        )
        switchboard = Switchboard(
            engines, agent, sessions, hotel, config.vad, config.dialogue, config.voice, lines
        )
        return Appliance(
            config=config,
            engines=engines,
            store=store,
            hotel=hotel,
            sessions=sessions,
            toolbox=toolbox,
            reservations=reservations,
            records=CallRecords(store, storages(recordings, config.paths.data_dir)),
            agent=agent,
            switchboard=switchboard,
            twilio=TwilioChannel(
                switchboard, config.twilio, config.departments, config.voice, rest, lines
            ),
            webrtc=WebRtcChannel(switchboard, config.webrtc, config.twilio.max_concurrent_calls),
            sync=SyncRunner(config.sync, config.analytics, store),
            config_view=masked(config),
        )
    except BaseException:
        await store.close()
        raise


def build_understander(
    config: Config, hotel: Hotel, engines: Engines, today: Callable[[], date] = date.today
) -> Understander:
    """The configured understander; the LLM one falls back to the semantic one."""
    if config.understanding.understander == "rules":
        return PaymentCue(RulesUnderstander(hotel, today))
    semantic = SemanticUnderstander(hotel, engines.encode, today, config.understanding)
    if config.understanding.understander == "llm":
        return PaymentCue(
            LlmUnderstander(hotel, engines, today, fallback=semantic, timeout_s=config.llm.timeout_s)
        )
    return PaymentCue(semantic)


async def prepare_judge(config: Config, sessions: SessionManager, engines: Engines) -> None:
    """The language model judges each caller turn's mood: when asked to, or, on "auto", when
    it passes the check."""
    mode = config.analytics.sentiment
    moods = sessions.moods
    if mode not in ("llm", "auto") or not isinstance(moods, MoodTracker):
        return
    if not engines.llm.status().loaded:
        _LOGGER.info("moods scored by VADER: the language model is not loaded")
        return
    judge = LlmMoodJudge(engines, config.llm.timeout_s)
    if mode == "llm" or await judge_gate(judge):
        moods.judge = judge
        _LOGGER.info(
            "moods judged by the language model (%s)",
            "as configured" if mode == "llm" else "it passed the check",
        )


def _close_crashed_calls(db: Connection) -> None:
    interrupted = calls.mark_interrupted(db)
    if interrupted:
        _LOGGER.warning(
            "%d call(s) were cut off when the appliance last stopped; marked interrupted: %s",
            len(interrupted), ", ".join(interrupted),
        )  # fmt: skip


async def _finish_crashed_recordings(store: Store, recordings: Recordings) -> None:
    urls = await store.read(calls.recording_urls)
    try:
        finished = await asyncio.to_thread(recordings.recover, urls)
    except (StoreError, OSError) as err:  # a full disk must not keep the phone line down
        _LOGGER.error("recordings left by the last run could not be stored: %s", err)
        return
    if finished:
        _LOGGER.warning("finished %d recording(s) of calls cut off by the last stop", len(finished))
