"""The running server's state, shared by the HTTP handlers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from appliance.analytics.sync import SyncRunner
from appliance.config import AnalyticsSettings, ServerSettings
from appliance.dialogue.agent import Agent
from appliance.engines import Engines
from appliance.hotel.reservations import PropertySystem
from appliance.sessions import SessionManager
from appliance.store.database import Store
from appliance.store.records import CallRecords
from appliance.switchboard import Switchboard
from appliance.tools.registry import Toolbox

if TYPE_CHECKING:
    from appliance.channels.twilio.webhooks import TwilioChannel
    from appliance.channels.webrtc.call import WebRtcChannel

Phase = Literal["loading", "ready", "stopping", "failed"]


@dataclass
class ServerState:
    """What the running server knows about itself; the handlers read it."""

    engines: Engines
    settings: ServerSettings
    #: The configuration as shown to admins (secrets masked).
    config_view: dict[str, Any]
    store: Store
    sessions: SessionManager
    toolbox: Toolbox
    reservations: PropertySystem
    records: CallRecords
    agent: Agent
    switchboard: Switchboard
    twilio: TwilioChannel
    webrtc: WebRtcChannel
    analytics: AnalyticsSettings
    sync: SyncRunner
    phase: Phase = "loading"
    started_monotonic: float = field(default_factory=time.monotonic)


STATE = web.AppKey("state", ServerState)


def json_error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)
